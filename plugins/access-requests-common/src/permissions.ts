import { createPermission } from '@backstage/plugin-permission-common';

export const accessRequestCreatePermission = createPermission({
  name: 'access-requests.request.create',
  attributes: { action: 'create' },
});
export const accessRequestReadPermission = createPermission({
  name: 'access-requests.request.read',
  attributes: { action: 'read' },
});
export const accessRequestReviewPermission = createPermission({
  name: 'access-requests.request.review',
  attributes: { action: 'update' },
});
export const accessGrantReadPermission = createPermission({
  name: 'access-requests.grant.read',
  attributes: { action: 'read' },
});
export const accessGrantRevokePermission = createPermission({
  name: 'access-requests.grant.revoke',
  attributes: { action: 'update' },
});
export const accessBreakGlassPermission = createPermission({
  name: 'access-requests.break-glass',
  attributes: { action: 'create' },
});
export const accessGrantPostHocReviewPermission = createPermission({
  name: 'access-requests.grant.post-hoc-review',
  attributes: { action: 'update' },
});
export const accessReadAllPermission = createPermission({
  name: 'access-requests.read-all',
  attributes: { action: 'read' },
});

export const accessRequestsPermissions = [
  accessRequestCreatePermission,
  accessRequestReadPermission,
  accessRequestReviewPermission,
  accessGrantReadPermission,
  accessGrantRevokePermission,
  accessBreakGlassPermission,
  accessGrantPostHocReviewPermission,
  accessReadAllPermission,
];
