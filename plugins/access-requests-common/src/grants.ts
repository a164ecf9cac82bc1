import { FrozenPolicySummary, Grant } from './types';

/** Break-glass grants last at most this long, whatever the policy says. */
export const BREAK_GLASS_MAX_MINUTES = 60;
/** A break-glass justification has at least this many characters. */
export const BREAK_GLASS_MIN_JUSTIFICATION = 10;
/** Distinct security reviewers who must review a break-glass grant afterwards. */
export const POST_HOC_REVIEWS_NEEDED = 2;

/** The longest break-glass grant a policy allows: its own maximum, capped at BREAK_GLASS_MAX_MINUTES. */
export function breakGlassMaxMinutes(policy: Pick<FrozenPolicySummary, 'maxDurationMinutes'>): number {
  return Math.min(BREAK_GLASS_MAX_MINUTES, policy.maxDurationMinutes);
}

/**
 * THE one answer to "is this grant active?". Used by every check and every display.
 * A grant is active when it was not revoked and did not fail, its provisioning succeeded
 * and `startsAt <= now < expiresAt`. A stored status of 'active' after `expiresAt` is
 * NOT active: expiry does not depend on the scheduled task having run.
 */
export function isGrantActive(
  grant: Pick<Grant, 'status' | 'startsAt' | 'expiresAt' | 'provisioning'>,
  now: Date,
): boolean {
  if (grant.status === 'revoked' || grant.status === 'failed' || grant.status === 'expired') {
    return false;
  }
  if (grant.provisioning.state !== 'provisioned') {
    return false;
  }
  const t = now.getTime();
  const start = Date.parse(grant.startsAt);
  const end = Date.parse(grant.expiresAt);
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return false;
  }
  return start <= t && t < end;
}
