import { Grant } from './types';

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
