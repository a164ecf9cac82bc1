import { AccessPolicy, AccessRequest, FrozenPolicySummary, Grant, RequestStatus, Review } from './types';
import { approvalStepsOf } from './approvals';

/**
 * Who may do what, as plain functions: the portal offers an action only when these say yes,
 * and they state the same rules the backend enforces (domain/requests.ts, domain/grants.ts),
 * which still refuses on its own. Each returns `{ allowed, reason }`; `reason` is a sentence
 * for the person when the action is not offered.
 */
export interface ActionCheck {
  allowed: boolean;
  reason?: string;
}

const yes: ActionCheck = { allowed: true };
const no = (reason: string): ActionCheck => ({ allowed: false, reason });

/** The step groups of the request's role that `currentGroups` includes. */
export function approverGroupsOf(
  request: Pick<AccessRequest, 'policy'>,
  currentGroups: Iterable<string>,
): string[] {
  const mine = new Set(currentGroups);
  return [...new Set(approvalStepsOf(request.policy).map(s => s.group))].filter(g => mine.has(g));
}

/** Approve / Deny: pending, before its deadline, not your own, not reviewed yet, and you are a current approver. */
export function mayReviewRequest(
  request: Pick<AccessRequest, 'status' | 'expiresAt' | 'requester' | 'policy'> & {
    reviews: Pick<Review, 'reviewer'>[];
  },
  user: string,
  currentGroups: Iterable<string>,
  now: Date,
): ActionCheck {
  if (request.status !== 'pending') return no(`This request is ${request.status}; it can no longer be reviewed.`);
  if (now.getTime() >= Date.parse(request.expiresAt)) return no('This request passed its decision deadline.');
  if (request.requester === user) return no('You cannot review your own request.');
  if (request.reviews.some(r => r.reviewer === user)) return no('You have already reviewed this request.');
  if (approverGroupsOf(request, currentGroups).length === 0) {
    return no('You are not a member of an approver group for this request.');
  }
  return yes;
}

/** Withdraw: only the requester, only while pending. */
export function mayWithdrawRequest(
  request: Pick<AccessRequest, 'status' | 'requester'>,
  user: string,
): ActionCheck {
  if (request.requester !== user) return no('Only the requester can withdraw a request.');
  if (request.status !== 'pending') return no(`This request is already ${request.status}.`);
  return yes;
}

/** Whether a deny by one more person ends the request now (rigid: always; flexible: `denialsToReject`). */
export function denyEndsRequest(request: Pick<AccessRequest, 'policy' | 'reviews'>): boolean {
  const needed = request.policy.kind === 'rigid' ? 1 : request.policy.denialsToReject ?? 1;
  const denials = new Set(request.reviews.filter(r => r.decision === 'deny').map(r => r.reviewer)).size;
  return denials + 1 >= needed;
}

/** Break-glass is offered only where the resource's policy allows it (default: allowed). */
export function breakGlassAllowed(
  policy: Pick<AccessPolicy, 'allowBreakGlass'> | Pick<FrozenPolicySummary, 'allowBreakGlass'>,
): ActionCheck {
  return policy.allowBreakGlass === false
    ? no('The policy of this resource does not allow break-glass access.')
    : yes;
}

/** Revoke / end early: the holder, or someone with the revoke permission; never an ended grant. */
export function mayRevokeGrant(
  grant: Pick<Grant, 'status' | 'userRef'>,
  user: string,
  hasRevokePermission: boolean,
): ActionCheck {
  if (grant.userRef !== user && !hasRevokePermission) return no('You may only end your own access.');
  if (grant.status === 'revoked' || grant.status === 'expired') return no(`This access is already ${grant.status}.`);
  return yes;
}

/** Renew / extend: only your own grant, only while active. */
export function mayRenewGrant(grant: Pick<Grant, 'userRef'> & { active?: boolean }, user: string): ActionCheck {
  if (grant.userRef !== user) return no('Only the holder can extend this access.');
  if (!grant.active) return no('Only active access can be extended.');
  return yes;
}

/** Post-hoc review of a break-glass grant: a current security reviewer, not the holder, once. */
export function mayPostHocReview(
  grant: Pick<Grant, 'breakGlass' | 'userRef' | 'postHocReviews'>,
  user: string,
  isSecurityReviewer: boolean,
): ActionCheck {
  if (!grant.breakGlass) return no('Only break-glass access is reviewed afterwards.');
  if (grant.userRef === user) return no('You cannot review your own break-glass access.');
  if (!isSecurityReviewer) return no('Only security reviewers review break-glass access.');
  if ((grant.postHocReviews ?? []).some(r => r.reviewer === user)) return no('You have already reviewed this access.');
  return yes;
}

/** A decided request's status may be requested again (denied, expired, withdrawn, or approved and since ended). */
export function mayRequestAgain(request: Pick<AccessRequest, 'status' | 'requester'>, user: string): boolean {
  const ended: RequestStatus[] = ['denied', 'expired', 'withdrawn', 'approved'];
  return request.requester === user && ended.includes(request.status);
}

/** The reason given with the decisive deny, if any (the comment of the last deny). */
export function denialReason(request: Pick<AccessRequest, 'status' | 'reviews'>): Review | undefined {
  if (request.status !== 'denied') return undefined;
  const denies = request.reviews.filter(r => r.decision === 'deny');
  return denies[denies.length - 1];
}
