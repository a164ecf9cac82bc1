import { createPermission } from '@backstage/plugin-permission-common';

/** Read stores, posture findings, history, drift events and weight listings. */
export const weightInventoryReadPermission = createPermission({
  name: 'weight-inventory.read',
  attributes: { action: 'read' },
});

/** Start a refresh on demand (discovery and evaluation of every source). */
export const weightInventoryRefreshPermission = createPermission({
  name: 'weight-inventory.refresh',
  attributes: { action: 'update' },
});

/** Every permission of the weight-inventory plugin family. */
export const weightInventoryPermissions = [weightInventoryReadPermission, weightInventoryRefreshPermission];
