import { AccessPolicy, AccessRequest, FrozenPolicySummary, Grant, RequestStatus, Review } from './types';
import { approvalStepsOf } from './approvals';

/**
 * Who may do what, as plain functions: the portal offers an action only when these say yes,
 * and the backend's checks (domain/requests.ts, domain/grants.ts) call the same functions and
 * turn a refusal's `code` into its HTTP error (403 or 409) — one rule answers both sides.
 * Each returns `{ allowed, reason, code }`; `reason` is a sentence for the person when the
 * action is not offered, `code` names which rule said no.
 */
export interface ActionCheck {
  allowed: boolean;
  reason?: string;
  code?: RefusalCode;
}

/** Which rule refused an action. `conflict` codes are 409 in the backend, the others 403. */
export type RefusalCode =
  | 'request-decided'
  | 'request-overdue'
  | 'own-request'
  | 'already-reviewed'
  | 'not-approver'
  | 'not-requester'
  | 'not-holder'
  | 'grant-ended'
  | 'grant-not-active'
  | 'break-glass-renew'
  | 'break-glass-forbidden'
  | 'not-break-glass'
  | 'own-break-glass'
  | 'not-security-reviewer'
  | 'already-post-hoc-reviewed';

/** Refusals about the record's state (409 Conflict); the rest are about the person (403). */
export const CONFLICT_REFUSALS: ReadonlySet<RefusalCode> = new Set<RefusalCode>([
  'request-decided', 'request-overdue', 'already-reviewed', 'grant-ended', 'grant-not-active',
  'not-break-glass', 'already-post-hoc-reviewed',
]);

const yes: ActionCheck = { allowed: true };
const no = (code: RefusalCode, reason: string): ActionCheck => ({ allowed: false, reason, code });

/** The step groups of the request's role that `currentGroups` includes. */
export function approverGroupsOf(
  request: Pick<AccessRequest, 'policy'>,
  currentGroups: Iterable<string>,
): string[] {
  const mine = new Set(currentGroups);
  return [...new Set(approvalStepsOf(request.policy).map(s => s.group))].filter(g => mine.has(g));
}

/**
 * Approve / Deny given the approver groups the person already counts for (`approverGroups`,
 * from approverGroupsOf): pending, before its deadline, not your own, not reviewed yet, and at
 * least one approver group. The backend's applyReview calls this with the groups it stores.
 */
export function reviewCheck(
  request: Pick<AccessRequest, 'status' | 'expiresAt' | 'requester'> & {
    reviews: Pick<Review, 'reviewer'>[];
  },
  user: string,
  approverGroups: readonly string[],
  now: Date,
): ActionCheck {
  if (request.status !== 'pending') return no('request-decided', `This request is ${request.status}; it can no longer be reviewed.`);
  if (now.getTime() >= Date.parse(request.expiresAt)) return no('request-overdue', 'This request passed its decision deadline.');
  if (request.requester === user) return no('own-request', 'You cannot review your own request.');
  if (request.reviews.some(r => r.reviewer === user)) return no('already-reviewed', 'You have already reviewed this request.');
  if (approverGroups.length === 0) {
    return no('not-approver', 'You are not a member of an approver group for this request.');
  }
  return yes;
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
  return reviewCheck(request, user, approverGroupsOf(request, currentGroups), now);
}

/** Withdraw: only the requester, only while pending. */
export function mayWithdrawRequest(
  request: Pick<AccessRequest, 'status' | 'requester'>,
  user: string,
): ActionCheck {
  if (request.requester !== user) return no('not-requester', 'Only the requester can withdraw a request.');
  if (request.status !== 'pending') return no('request-decided', `This request is already ${request.status}.`);
  return yes;
}

/** Whether a deny by one more person ends the request now (rigid: always; flexible: `denialsToReject`). */
export function denyEndsRequest(
  request: { policy: Pick<AccessPolicy, 'kind' | 'denialsToReject'>; reviews: Pick<Review, 'reviewer' | 'decision'>[] },
): boolean {
  const needed = request.policy.kind === 'rigid' ? 1 : request.policy.denialsToReject ?? 1;
  const denials = new Set(request.reviews.filter(r => r.decision === 'deny').map(r => r.reviewer)).size;
  return denials + 1 >= needed;
}

/** Break-glass is offered only where the resource's policy allows it (default: allowed). */
export function breakGlassAllowed(
  policy: Pick<AccessPolicy, 'allowBreakGlass'> | Pick<FrozenPolicySummary, 'allowBreakGlass'>,
): ActionCheck {
  return policy.allowBreakGlass === false
    ? no('break-glass-forbidden', 'The policy of this resource does not allow break-glass access.')
    : yes;
}

/** Revoke / end early: the holder, or someone with the revoke permission; never an ended grant. */
export function mayRevokeGrant(
  grant: Pick<Grant, 'status' | 'userRef'>,
  user: string,
  hasRevokePermission: boolean,
): ActionCheck {
  if (grant.userRef !== user && !hasRevokePermission) return no('not-holder', 'You may only end your own access.');
  if (grant.status === 'revoked' || grant.status === 'expired') return no('grant-ended', `This access is already ${grant.status}.`);
  return yes;
}

/** Renew / extend: only your own grant, never break-glass access, only while active. */
export function mayRenewGrant(
  grant: Pick<Grant, 'userRef'> & { breakGlass?: boolean; active?: boolean },
  user: string,
): ActionCheck {
  if (grant.userRef !== user) return no('not-holder', 'Only the holder can extend this access.');
  if (grant.breakGlass) return no('break-glass-renew', 'Break-glass access cannot be extended; request access normally.');
  if (!grant.active) return no('grant-not-active', 'Only active access can be extended.');
  return yes;
}

/** Post-hoc review of a break-glass grant: a current security reviewer, not the holder, once. */
export function mayPostHocReview(
  grant: Pick<Grant, 'breakGlass' | 'userRef' | 'postHocReviews'>,
  user: string,
  isSecurityReviewer: boolean,
): ActionCheck {
  if (!grant.breakGlass) return no('not-break-glass', 'Only break-glass access is reviewed afterwards.');
  if (grant.userRef === user) return no('own-break-glass', 'You cannot review your own break-glass access.');
  if (!isSecurityReviewer) return no('not-security-reviewer', 'Only security reviewers review break-glass access.');
  if ((grant.postHocReviews ?? []).some(r => r.reviewer === user)) return no('already-post-hoc-reviewed', 'You have already reviewed this access.');
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
