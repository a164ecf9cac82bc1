/**
 * Extension point and runners for where the model-scan backend runs its scans: in-process worker
 * threads (the backend's default) or isolated Kubernetes Jobs.
 *
 * @packageDocumentation
 */

export type {
  ModelScanRunnerExtensionPoint,
  ScanRunner,
  ScanRunnerIdentity,
  ScanRunnerOptions,
} from './runner';
export { modelScanRunnerExtensionPoint } from './runner';
export type { KubernetesJobRunnerOptions } from './kubernetes';
export { KubernetesJobScanRunner, jobManifests } from './kubernetes';
export type {
  AzureBlobJobStagingOptions,
  JobStaging,
  StagedRun,
} from './staging';
export { AzureBlobJobStaging } from './staging';
