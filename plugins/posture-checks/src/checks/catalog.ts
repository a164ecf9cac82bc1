/**
 * The check catalog: one entry per check, with its control id (from
 * `@internal/plugin-security-controls-common`), severity, rationale and remediation.
 * Severities follow Prowler / kubescape (detection-posture.md sections 1.1 and 2.1).
 */
import type { PostureConfig } from '../config';
import type { CheckResult, Severity, StorageAccountModel } from '../types';
import type { KubeIndex } from './kubeIndex';
import * as k8s from './kubernetes';
import * as st from './storage';

export interface CheckDefinitionBase {
  /** Check id; equal to the control id it reports against. */
  id: string;
  controlId: string;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
}

export interface StorageCheckDefinition extends CheckDefinitionBase {
  target: 'storage';
  evaluate(account: StorageAccountModel, cfg: PostureConfig): CheckResult[];
}

export interface KubernetesCheckDefinition extends CheckDefinitionBase {
  target: 'kubernetes';
  evaluate(index: KubeIndex, cfg: PostureConfig): CheckResult[];
}

export type CheckDefinition = StorageCheckDefinition | KubernetesCheckDefinition;

const storage = (d: Omit<StorageCheckDefinition, 'target' | 'controlId'>): StorageCheckDefinition => ({ ...d, controlId: d.id, target: 'storage' });
const kube = (d: Omit<KubernetesCheckDefinition, 'target' | 'controlId'>): KubernetesCheckDefinition => ({ ...d, controlId: d.id, target: 'kubernetes' });

export const CHECKS: readonly CheckDefinition[] = [
  storage({
    id: 'FG-STORAGE-PUBLIC-NETWORK',
    title: 'Weight storage: public network access disabled',
    severity: 'high',
    rationale: 'With public network access enabled the account answers from the internet; weights must be reachable only through private links.',
    remediation: 'Set properties.publicNetworkAccess to "Disabled" (Terraform: public_network_access_enabled = false; Bicep: publicNetworkAccess: \'Disabled\').',
    evaluate: st.checkPublicNetworkAccess,
  }),
  storage({
    id: 'FG-K8S-PRIVATE-LINK',
    title: 'Weight storage: approved private endpoint connection',
    severity: 'high',
    rationale: 'Without an approved private endpoint, clients in the research network reach the account over public routes.',
    remediation: 'Create a Microsoft.Network/privateEndpoints resource with groupIds ["blob"] whose privateLinkServiceId is the account, and approve the connection (Terraform: azurerm_private_endpoint with is_manual_connection = false).',
    evaluate: st.checkPrivateEndpoint,
  }),
  storage({
    id: 'FG-STORAGE-SHARED-KEY',
    title: 'Weight storage: shared-key access disabled',
    severity: 'high',
    rationale: 'Account keys and SAS tokens signed with them bypass Entra ID, grants and audit; an absent allowSharedKeyAccess means keys work.',
    remediation: 'Set properties.allowSharedKeyAccess to false (Terraform: shared_access_key_enabled = false) and use Entra ID (defaultToOAuthAuthentication: true).',
    evaluate: st.checkSharedKeyAccess,
  }),
  storage({
    id: 'FG-STORAGE-ANONYMOUS-ACCESS',
    title: 'Weight storage: no anonymous blob access (account and containers)',
    severity: 'critical',
    rationale: 'Anonymous read access on a container publishes its weights to anyone who knows the URL.',
    remediation: 'Set properties.allowBlobPublicAccess to false (Terraform: allow_nested_items_to_be_public = false) and every container\'s publicAccess to "None" (Terraform: container_access_type = "private").',
    evaluate: st.checkAnonymousAccess,
  }),
  storage({
    id: 'FG-STORAGE-MIN-TLS',
    title: 'Weight storage: minimum TLS 1.2',
    severity: 'medium',
    rationale: 'TLS 1.0/1.1 have known weaknesses; an absent minimumTlsVersion lets clients negotiate TLS 1.0.',
    remediation: 'Set properties.minimumTlsVersion to "TLS1_2" (Terraform: min_tls_version = "TLS1_2").',
    evaluate: st.checkMinimumTls,
  }),
  storage({
    id: 'FG-STORAGE-NETWORK-DEFAULT-DENY',
    title: 'Weight storage: network rules deny by default',
    severity: 'high',
    rationale: 'With defaultAction Allow (the default when networkAcls is absent) every network not explicitly denied reaches the account.',
    remediation: 'Set properties.networkAcls.defaultAction to "Deny" and list only the needed virtual networks (Terraform: network_rules { default_action = "Deny" }).',
    evaluate: st.checkNetworkDefaultDeny,
  }),
  storage({
    id: 'FG-STORAGE-CMK',
    title: 'Weight storage: customer-managed encryption key',
    severity: 'high',
    rationale: 'A customer-managed key in Key Vault lets the lab revoke access to the data at rest and audits key use.',
    remediation: 'Set properties.encryption.keySource to "Microsoft.Keyvault" with keyvaultproperties (Terraform: customer_managed_key block or azurerm_storage_account_customer_managed_key).',
    evaluate: st.checkCustomerManagedKey,
  }),
  storage({
    id: 'FG-STORAGE-BLOB-SOFT-DELETE',
    title: 'Weight storage: blob soft delete',
    severity: 'medium',
    rationale: 'Soft delete keeps deleted or overwritten weights recoverable after an accident or a destructive attack.',
    remediation: 'On blobServices/default set properties.deleteRetentionPolicy.enabled to true with days ≥ 7 (Terraform: blob_properties { delete_retention_policy { days = 7 } }).',
    evaluate: st.checkBlobSoftDelete,
  }),
  storage({
    id: 'FG-STORAGE-CONTAINER-SOFT-DELETE',
    title: 'Weight storage: container soft delete',
    severity: 'medium',
    rationale: 'Container soft delete keeps a deleted container and all its weights recoverable.',
    remediation: 'On blobServices/default set properties.containerDeleteRetentionPolicy.enabled to true (Terraform: blob_properties { container_delete_retention_policy { days = 7 } }).',
    evaluate: st.checkContainerSoftDelete,
  }),
  storage({
    id: 'FG-STORAGE-READ-LOGS',
    title: 'Weight storage: blob read logs shipped',
    severity: 'medium',
    rationale: 'Detections of bulk weight downloads need StorageRead logs from the blob service; account-level settings carry no read logs.',
    remediation: 'Add a Microsoft.Insights/diagnosticSettings on <account>/blobServices/default with logs categoryGroup "allLogs" or category "StorageRead" enabled (Terraform: azurerm_monitor_diagnostic_setting with target_resource_id "${azurerm_storage_account.x.id}/blobServices/default" and enabled_log { category = "StorageRead" }).',
    evaluate: st.checkReadLogs,
  }),
  kube({
    id: 'FG-K8S-EGRESS-DENY',
    title: 'Research namespace: default-deny egress NetworkPolicy',
    severity: 'high',
    rationale: 'Without a default-deny egress policy any pod can send weights anywhere; allowed destinations must be added explicitly.',
    remediation: 'Add a NetworkPolicy with spec.podSelector: {}, spec.policyTypes: [Egress] and no egress rules to the namespace, then allow only the needed destinations in further policies.',
    evaluate: k8s.checkEgressDefaultDeny,
  }),
  kube({
    id: 'FG-K8S-EGRESS-ALLOWLIST',
    title: 'Research namespace: egress only to allowlisted destinations',
    severity: 'high',
    rationale: 'An egress rule without "to", or with 0.0.0.0/0 or a public CIDR, undoes the default deny.',
    remediation: 'Restrict each egress rule to namespace/pod selectors or ipBlock CIDRs on the allowlist (config kubernetes.allowedEgressCidrs).',
    evaluate: k8s.checkEgressAllowlist,
  }),
  kube({
    id: 'FG-K8S-SANDBOX',
    title: 'High-risk namespace: pods in the sandboxed runtime',
    severity: 'high',
    rationale: 'Untrusted models and code in high-risk namespaces must run under gVisor (or the configured sandbox) so a container escape does not reach the node.',
    remediation: 'Set spec.runtimeClassName to the sandbox RuntimeClass (default gvisor, handler runsc) on every pod template in the namespace.',
    evaluate: k8s.checkSandbox,
  }),
  kube({
    id: 'FG-K8S-PRIVILEGED',
    title: 'No privileged containers',
    severity: 'critical',
    rationale: 'A privileged container (including init and ephemeral containers) has full access to the node.',
    remediation: 'Remove securityContext.privileged: true (and Windows hostProcess) from every container.',
    evaluate: k8s.checkPrivileged,
  }),
  kube({
    id: 'FG-K8S-HOST-PATH',
    title: 'No hostPath volumes',
    severity: 'high',
    rationale: 'hostPath volumes expose the node file system, credentials and other pods\' data.',
    remediation: 'Replace hostPath volumes with persistentVolumeClaim, emptyDir or CSI volumes.',
    evaluate: k8s.checkHostPath,
  }),
  kube({
    id: 'FG-K8S-HOST-NAMESPACES',
    title: 'No host network, PID or IPC namespaces',
    severity: 'high',
    rationale: 'Sharing host namespaces bypasses network policies and lets a pod see host processes.',
    remediation: 'Remove hostNetwork, hostPID and hostIPC (or set them to false).',
    evaluate: k8s.checkHostNamespaces,
  }),
  kube({
    id: 'FG-K8S-PRIVILEGE-ESCALATION',
    title: 'allowPrivilegeEscalation: false',
    severity: 'medium',
    rationale: 'Unless set to false a process can gain more privileges than its parent (setuid binaries); absent means allowed.',
    remediation: 'Set securityContext.allowPrivilegeEscalation: false on every container.',
    evaluate: k8s.checkPrivilegeEscalation,
  }),
  kube({
    id: 'FG-K8S-RUN-AS-NON-ROOT',
    title: 'Containers run as non-root',
    severity: 'medium',
    rationale: 'Root in a container is root on the node after an escape; absent runAsNonRoot runs as the image\'s user, root by default.',
    remediation: 'Set securityContext.runAsNonRoot: true (pod or container) and a non-zero runAsUser.',
    evaluate: k8s.checkRunAsNonRoot,
  }),
  kube({
    id: 'FG-K8S-CAPABILITIES',
    title: 'Capabilities: drop ALL',
    severity: 'medium',
    rationale: 'Default capabilities (e.g. NET_RAW) enable attacks on the node network; PSS restricted allows only NET_BIND_SERVICE to be added back.',
    remediation: 'Set securityContext.capabilities.drop: ["ALL"] on every container and add back only NET_BIND_SERVICE if needed.',
    evaluate: k8s.checkCapabilities,
  }),
  kube({
    id: 'FG-K8S-SECCOMP',
    title: 'Seccomp RuntimeDefault or Localhost',
    severity: 'medium',
    rationale: 'Without a seccomp profile containers run Unconfined and can call every system call.',
    remediation: 'Set spec.securityContext.seccompProfile.type: RuntimeDefault (or Localhost with a profile) on the pod or every container.',
    evaluate: k8s.checkSeccomp,
  }),
  kube({
    id: 'FG-K8S-RBAC-WILDCARD',
    title: 'RBAC: no wildcard verbs, resources or API groups',
    severity: 'high',
    rationale: 'Wildcards grant every present and future permission, including reading secrets and escalating.',
    remediation: 'List the exact verbs, resources and apiGroups the role needs.',
    evaluate: k8s.checkRbacWildcards,
  }),
  kube({
    id: 'FG-K8S-RBAC-CLUSTER-ADMIN',
    title: 'RBAC: no cluster-admin for people or workload service accounts',
    severity: 'critical',
    rationale: 'Standing cluster-admin defeats time-bound access; only system components may hold it.',
    remediation: 'Remove the binding; request time-bound access to a narrower role through the portal instead.',
    evaluate: k8s.checkClusterAdminBindings,
  }),
  kube({
    id: 'FG-K8S-RBAC-SECRETS',
    title: 'RBAC: no get/list/watch on secrets',
    severity: 'high',
    rationale: 'Reading secrets (also through "*" resources or verbs) exposes storage keys and service credentials.',
    remediation: 'Remove get/list/watch on secrets (and wildcards); mount only the needed secret into the workload or use workload identity.',
    evaluate: k8s.checkRbacSecrets,
  }),
];

export function getCheck(id: string): CheckDefinition | undefined {
  return CHECKS.find(c => c.id === id);
}
