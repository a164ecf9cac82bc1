import { DecisionTimeSummary } from '@internal/plugin-access-requests-common';
import { MIN_DECISIONS, decisionTimeSummary } from '../domain/decisionTimes';
import { AccessRequestsService, Actor } from './AccessRequestsService';

/**
 * GET /decision-times: reads the recent approved and denied requests of the resource (and, for
 * the policy fallback, of every resource), then keeps only those the caller may read under the
 * request read rule (decisionTimeSummary → readsDecidedRequest) before taking the median — the
 * same rule as every other list and aggregate. Read-only.
 */
export async function decisionTimeFor(
  service: AccessRequestsService,
  actor: Actor,
  query: { resourceRef: string; policy?: string },
  canReadAll: boolean,
): Promise<DecisionTimeSummary> {
  // the read rule is applied below, per request: the listing itself reads every request
  const decided = async (resourceRef?: string) => {
    const [approved, denied] = await Promise.all([
      service.listRequests(actor, { scope: 'all', resourceRef, status: 'approved' }, true),
      service.listRequests(actor, { scope: 'all', resourceRef, status: 'denied' }, true),
    ]);
    return [...approved, ...denied];
  };
  const options = { resourceRef: query.resourceRef, policyName: query.policy, viewer: actor.userRef, canReadAll };
  const onResource = decisionTimeSummary(await decided(query.resourceRef), options);
  if (onResource.decided >= MIN_DECISIONS || !query.policy) return onResource;
  return decisionTimeSummary(await decided(undefined), options);
}
