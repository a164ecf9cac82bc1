import { createPermission } from '@backstage/plugin-permission-common';

/** Start a scan (URL, registry target or upload). */
export const modelScanCreatePermission = createPermission({
  name: 'model-scan.scan.create',
  attributes: { action: 'create' },
});

/** Read scans, results, statistics and acceptances. */
export const modelScanReadPermission = createPermission({
  name: 'model-scan.scan.read',
  attributes: { action: 'read' },
});

/** Start a new scan of a target that was scanned before. */
export const modelScanRescanPermission = createPermission({
  name: 'model-scan.scan.rescan',
  attributes: { action: 'update' },
});

/** Accept a suspicious verdict for one exact file hash (security reviewers only). */
export const modelScanVerdictAcceptPermission = createPermission({
  name: 'model-scan.verdict.accept',
  attributes: { action: 'update' },
});

/** Ask the promotion gate whether a model version may be deployed. */
export const modelScanGateReadPermission = createPermission({
  name: 'model-scan.gate.read',
  attributes: { action: 'read' },
});

/** Every permission of the model-scan plugin family. */
export const modelScanPermissions = [
  modelScanCreatePermission,
  modelScanReadPermission,
  modelScanRescanPermission,
  modelScanVerdictAcceptPermission,
  modelScanGateReadPermission,
];
