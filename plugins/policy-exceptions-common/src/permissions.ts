import { createPermission } from '@backstage/plugin-permission-common';

/** File (and edit, withdraw) one's own exception requests. */
export const policyExceptionCreatePermission = createPermission({
  name: 'policy-exceptions.exception.create',
  attributes: { action: 'create' },
});

/** Read exceptions, their revisions, checks and history (the register is open to the lab). */
export const policyExceptionReadPermission = createPermission({
  name: 'policy-exceptions.exception.read',
  attributes: { action: 'read' },
});

/**
 * Review (approve, reject, re-approve, re-review). The backend additionally checks current
 * membership of the security reviewers group, no self-approval and that the owner never approves.
 */
export const policyExceptionReviewPermission = createPermission({
  name: 'policy-exceptions.exception.review',
  attributes: { action: 'update' },
});

/** Revoke an approved or suspended exception. */
export const policyExceptionRevokePermission = createPermission({
  name: 'policy-exceptions.exception.revoke',
  attributes: { action: 'update' },
});

/** Ask `isExcepted` (users and, without policy, services). */
export const policyExceptionCoverageReadPermission = createPermission({
  name: 'policy-exceptions.coverage.read',
  attributes: { action: 'read' },
});

/** Export active exceptions (JSON, OSCAL) for auditors and the posture CLI. */
export const policyExceptionExportPermission = createPermission({
  name: 'policy-exceptions.export',
  attributes: { action: 'read' },
});

/** Run the compensating-control check now instead of waiting for the schedule. */
export const policyExceptionChecksRunPermission = createPermission({
  name: 'policy-exceptions.checks.run',
  attributes: { action: 'update' },
});

export const policyExceptionsPermissions = [
  policyExceptionCreatePermission,
  policyExceptionReadPermission,
  policyExceptionReviewPermission,
  policyExceptionRevokePermission,
  policyExceptionCoverageReadPermission,
  policyExceptionExportPermission,
  policyExceptionChecksRunPermission,
];
