import { createPermission } from '@backstage/plugin-permission-common';

/** Read the audit trail and verify its hash chain (security reviewers, platform admins). */
export const auditEventsReadPermission = createPermission({
  name: 'audit.events.read',
  attributes: { action: 'read' },
});

/** Every permission of the audit plugin family. */
export const auditPermissions = [auditEventsReadPermission];
