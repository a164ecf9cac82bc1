import { AccessRequest, DecisionTimeSummary } from '@internal/plugin-access-requests-common';

/** How many of the most recent decisions the median is taken over. */
export const RECENT_DECISIONS = 20;
/** Fewer decided requests than this on the resource: use every resource of its policy. */
export const MIN_DECISIONS = 3;

type Decided = Pick<AccessRequest, 'resourceRef' | 'requester' | 'status' | 'createdAt' | 'decidedAt' | 'selfService' | 'reviews'> & {
  policy: Pick<AccessRequest['policy'], 'name'>;
};

/**
 * The request read rule (as GET /requests/:id) for DECIDED requests: the requester, anyone who
 * reviewed it, or read-all. (Group members who did not review a decided request do not read it.)
 */
export function readsDecidedRequest(r: Pick<Decided, 'requester' | 'reviews'>, viewer: string, canReadAll: boolean): boolean {
  return canReadAll || r.requester === viewer || r.reviews.some(v => v.reviewer === viewer);
}

function minutesToDecide(r: Decided): number | undefined {
  if (r.status !== 'approved' && r.status !== 'denied') return undefined;
  if (r.selfService || !r.decidedAt) return undefined;
  const ms = Date.parse(r.decidedAt) - Date.parse(r.createdAt);
  return Number.isFinite(ms) && ms >= 0 ? ms / 60_000 : undefined;
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarize(requests: Decided[], basis: 'resource' | 'policy'): DecisionTimeSummary {
  const recent = requests
    .filter(r => minutesToDecide(r) !== undefined)
    .sort((a, b) => (b.decidedAt ?? '').localeCompare(a.decidedAt ?? ''))
    .slice(0, RECENT_DECISIONS);
  const m = median(recent.map(r => minutesToDecide(r)!));
  return { basis, decided: recent.length, ...(m === undefined ? {} : { medianMinutes: Math.round(m) }) };
}

/**
 * Median time-to-decision of the recent decided requests the viewer may read: on the resource,
 * or — when it has fewer than MIN_DECISIONS — on every resource of `policyName`. Only approved
 * and denied requests count (not self-service, withdrawn or expired ones).
 */
export function decisionTimeSummary(
  requests: Decided[],
  options: { resourceRef: string; policyName?: string; viewer: string; canReadAll: boolean },
): DecisionTimeSummary {
  const readable = requests.filter(r => readsDecidedRequest(r, options.viewer, options.canReadAll));
  const onResource = summarize(readable.filter(r => r.resourceRef === options.resourceRef), 'resource');
  if (onResource.decided >= MIN_DECISIONS || !options.policyName) {
    return onResource.decided ? onResource : { basis: 'none', decided: 0 };
  }
  const onPolicy = summarize(readable.filter(r => r.policy.name === options.policyName), 'policy');
  if (onPolicy.decided > onResource.decided) return onPolicy;
  return onResource.decided ? onResource : { basis: 'none', decided: 0 };
}
