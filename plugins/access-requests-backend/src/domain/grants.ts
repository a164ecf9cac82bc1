import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  AccessPolicy, Grant, POST_HOC_REVIEWS_NEEDED, PostHocReview, breakGlassMaxMinutes, isGrantActive,
} from '@internal/plugin-access-requests-common';

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
  if (policy.allowBreakGlass === false) {
    throw new NotAllowedError(`policy ${policy.name} does not allow break-glass access`);
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
  if (!grant.breakGlass) throw new ConflictError('post-hoc reviews apply to break-glass grants only');
  if (reviewer === grant.userRef) throw new NotAllowedError('you cannot review your own break-glass grant');
  if (!reviewerIsSecurityReviewer) throw new NotAllowedError('only current security reviewers can review break-glass grants');
  if (existing.some(r => r.reviewer === reviewer)) throw new ConflictError('you have already reviewed this grant');
}

/** Revoke: by the holder, or by someone with the revoke permission; never twice. */
export function checkRevoke(grant: Pick<Grant, 'status' | 'userRef'>, actor: string, hasRevokePermission: boolean) {
  if (actor !== grant.userRef && !hasRevokePermission) {
    throw new NotAllowedError('you may only revoke your own grants');
  }
  if (grant.status === 'revoked' || grant.status === 'expired') {
    throw new ConflictError(`grant is already ${grant.status}`);
  }
}
