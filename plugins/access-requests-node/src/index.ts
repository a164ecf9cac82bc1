/**
 * Extension points for the access-requests backend plugin.
 *
 * @packageDocumentation
 */

export type {
  AccessProvisioner,
  AccessProvisionersExtensionPoint,
  ProvisioningTarget,
  ProvisionResult,
} from './provisioners';
export { accessProvisionersExtensionPoint } from './provisioners';
