import { InputError } from '@backstage/errors';
import {
  AccessPolicy, Grant, POST_HOC_REVIEWS_NEEDED, PostHocReview, breakGlassAllowed, breakGlassMaxMinutes, isGrantActive,
  mayPostHocReview, mayRenewGrant, mayRevokeGrant,
} from '@internal/plugin-access-requests-common';
import { refusalError } from './refusalErrors';

export { POST_HOC_REVIEWS_NEEDED };

/**
 * Whether another grant of the same user/resource/role still holds the external access,
 * so expiring or revoking THIS grant must not remove it (overlapping grants are counted).
 * A grant whose provisioning is still running counts too, so we never pull access from
 * under a grant that is being provisioned.
 */
export function holdsAccess(
  other: Pick<Grant, 'status' | 'startsAt' | 'expiresAt' | 'provisioning'>,
  now: Date,
): boolean {
  if (isGrantActive(other, now)) return true;
  return (
    other.status === 'scheduled' &&
    other.provisioning.state === 'pending' &&
    now.getTime() < Date.parse(other.expiresAt)
  );
}

export function otherHolder<G extends Pick<Grant, 'id' | 'status' | 'startsAt' | 'expiresAt' | 'provisioning'>>(
  grantId: string,
  sameUserResourceRole: G[],
  now: Date,
): G | undefined {
  return sameUserResourceRole.find(g => g.id !== grantId && holdsAccess(g, now));
}

/** Break-glass: short, only where the policy allows it. Group/permission checks happen before. */
export function validateBreakGlass(policy: AccessPolicy, input: { roleId: string; durationMinutes: number }) {
  const allowed = breakGlassAllowed(policy);
  if (!allowed.allowed) {
    // the policy by its title for the person; its id in the error's `ids` and the audit meta
    throw refusalError(
      allowed,
      { 'break-glass-forbidden': `the ${policy.title ?? policy.name} policy does not allow break-glass access` },
      { policy: policy.name },
    );
  }
  const role = policy.roles.find(r => r.id === input.roleId);
  if (!role) throw new InputError(`roleId: policy ${policy.name} has no role '${input.roleId}'`);
  const max = breakGlassMaxMinutes(policy);
  if (input.durationMinutes > max) {
    throw new InputError(`durationMinutes: break-glass grants last at most ${max} minutes`);
  }
  return role;
}

/**
 * Post-hoc review of a break-glass grant: by a CURRENT security reviewer, not the grant
 * holder, once per person.
 */
export function checkPostHocReview(
  grant: Pick<Grant, 'breakGlass' | 'userRef'>,
  existing: PostHocReview[],
  reviewer: string,
  reviewerIsSecurityReviewer: boolean,
) {
  const check = mayPostHocReview({ ...grant, postHocReviews: existing }, reviewer, reviewerIsSecurityReviewer);
  if (!check.allowed) {
    throw refusalError(check, {
      'not-break-glass': 'post-hoc reviews apply to break-glass grants only',
      'own-break-glass': 'you cannot review your own break-glass grant',
      'not-security-reviewer': 'only current security reviewers can review break-glass grants',
      'already-post-hoc-reviewed': 'you have already reviewed this grant',
    });
  }
}

/** Revoke: by the holder, or by someone with the revoke permission; never twice. */
export function checkRevoke(grant: Pick<Grant, 'status' | 'userRef'>, actor: string, hasRevokePermission: boolean) {
  const check = mayRevokeGrant(grant, actor, hasRevokePermission);
  if (!check.allowed) {
    throw refusalError(check, {
      'not-holder': 'you may only revoke your own grants',
      'grant-ended': `grant is already ${grant.status}`,
    });
  }
}

/**
 * Renew: only the holder, never a break-glass grant (400: request normally), only while
 * active (-common mayRenewGrant, the rule the portal uses to offer "Extend").
 */
export function checkRenew(
  grant: Pick<Grant, 'status' | 'userRef' | 'breakGlass' | 'startsAt' | 'expiresAt' | 'provisioning'>,
  actor: string,
  now: Date,
): void {
  const check = mayRenewGrant({ ...grant, active: isGrantActive(grant, now) }, actor);
  if (!check.allowed) {
    throw refusalError(check, {
      'not-holder': 'only the grant holder can renew it',
      'break-glass-renew': 'break-glass grants cannot be renewed; request access normally',
      'grant-not-active': `only active grants can be renewed; this one is ${grant.status}`,
    });
  }
}
