import { createPermission } from '@backstage/plugin-permission-common';

/*
 * The permissions the portal checks to decide what to show. The backend
 * enforces them; these must carry the same names as the ones exported by
 * @internal/plugin-model-scan-common (modelScanPermissions).
 */

export const modelScanRescanPermission = createPermission({
  name: 'model-scan.scan.rescan',
  attributes: { action: 'update' },
});

export const modelScanVerdictAcceptPermission = createPermission({
  name: 'model-scan.verdict.accept',
  attributes: { action: 'update' },
});
