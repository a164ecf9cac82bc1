export { accessRequestsModuleProvisioners } from './module';
export { createPrincipalIdResolver } from './module';
export { RecordOnlyProvisioner } from './recordOnly';
export {
  KubernetesRoleBindingProvisioner,
  renderUserSubject,
  type KubernetesClusterConfig,
  type KubernetesProvisionerOptions,
} from './kubernetes';
export {
  AzureRoleAssignmentProvisioner,
  azureCredentialFromConfig,
  type AzureProvisionerOptions,
  type PrincipalIdResolver,
} from './azure';
export {
  roleAssignmentNameForGrant,
  roleBindingNameFor,
  uuidV5,
} from './names';
