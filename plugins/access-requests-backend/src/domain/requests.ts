import { InputError } from '@backstage/errors';
import {
  AccessPolicy,
  AccessRole,
  FrozenPolicy,
  RemainingApproval,
  RequestStatus,
  Review,
  ReviewDecision,
  approvalStepsOf,
  approvalsComplete,
  approverGroupsOf,
  denyEndsRequest,
  mayReviewRequest,
  mayWithdrawRequest,
  remainingApprovals,
  reviewCheck,
} from '@internal/plugin-access-requests-common';
import { refusalError } from './refusalErrors';

export const DEFAULT_DECISION_TIMEOUT_MINUTES = 24 * 60;

export function roleOf(policy: AccessPolicy, roleId: string): AccessRole {
  const role = policy.roles.find(r => r.id === roleId);
  if (!role) {
    throw new InputError(`roleId: policy ${policy.name} has no role '${roleId}'`);
  }
  return role;
}

/** Checks a new request against the policy: role exists, duration, justification, ticket. */
export function validateNewRequest(
  policy: AccessPolicy,
  input: { roleId: string; durationMinutes: number; justification?: string; ticket?: string },
): AccessRole {
  const role = roleOf(policy, input.roleId);
  if (input.durationMinutes > policy.maxDurationMinutes) {
    throw new InputError(
      `durationMinutes: ${input.durationMinutes} exceeds the policy maximum of ${policy.maxDurationMinutes} minutes`,
    );
  }
  if (policy.requireJustification && !input.justification?.trim()) {
    throw new InputError(`justification: required by policy ${policy.name}`);
  }
  if (policy.requireTicket && !input.ticket?.trim()) {
    throw new InputError(`ticket: a ticket reference is required by policy ${policy.name}`);
  }
  if (input.ticket && policy.ticketPattern && !new RegExp(policy.ticketPattern).test(input.ticket)) {
    throw new InputError(`ticket: does not match the pattern ${policy.ticketPattern} required by policy ${policy.name}`);
  }
  return role;
}

/** Flexible policies may mark low-risk roles self-service: approved at creation. Rigid never. */
export function isSelfService(policy: AccessPolicy, role: AccessRole): boolean {
  return policy.kind === 'flexible' && role.selfService === true;
}

export function decisionDeadline(policy: AccessPolicy, createdAt: Date): Date {
  const minutes = policy.decisionTimeoutMinutes ?? DEFAULT_DECISION_TIMEOUT_MINUTES;
  return new Date(createdAt.getTime() + minutes * 60_000);
}

/** The step groups a reviewer may approve for, given the groups they CURRENTLY belong to. */
export function eligibleStepGroups(policy: FrozenPolicy, currentGroups: Iterable<string>): string[] {
  return approverGroupsOf({ policy }, currentGroups);
}

export interface ReviewableRequest {
  requester: string;
  status: RequestStatus;
  expiresAt: string;
  policy: FrozenPolicy;
}

export type ReviewOutcome =
  | { status: 'pending'; remaining: RemainingApproval[] }
  | { status: 'approved'; remaining: RemainingApproval[] }
  | { status: 'denied'; remaining: RemainingApproval[] };

/**
 * The request state machine for one review. Throws when the review is not allowed:
 * - 409 the request is already decided (a decided request never changes state) or overdue
 * - 403 self-review (no self-approval)
 * - 409 the person already reviewed (one review per person)
 * - 403 the reviewer is not a CURRENT member of any step group
 * Returns the new status given all reviews including this one.
 */
export function applyReview(
  request: ReviewableRequest,
  existing: Pick<Review, 'reviewer' | 'decision' | 'eligibleGroups'>[],
  review: { reviewer: string; decision: ReviewDecision; eligibleGroups: string[] },
  now: Date,
): ReviewOutcome {
  // the same rule the portal uses to offer Approve/Deny (-common reviewCheck)
  const check = reviewCheck({ ...request, reviews: existing }, review.reviewer, review.eligibleGroups, now);
  if (!check.allowed) {
    const stepGroups = [...new Set(approvalStepsOf(request.policy).map(s => s.group))];
    throw refusalError(check, {
      'request-decided': `request is already ${request.status}; a decided request never changes`,
      'request-overdue': 'request passed its decision deadline and has expired',
      'own-request': 'you cannot review your own request (no self-approval)',
      'already-reviewed': 'you have already reviewed this request',
      'not-approver': notApproverMessage(stepGroups.map(g => g.slice(g.lastIndexOf('/') + 1))),
    }, check.code === 'not-approver' ? { groups: stepGroups.join(' ') } : undefined);
  }
  const all = [...existing, review];
  const remaining = remainingApprovals(request.policy, all);
  if (review.decision === 'deny') {
    // denyEndsRequest counts the existing denials plus this one (the reviewer has not reviewed yet)
    return { status: denyEndsRequest({ policy: request.policy, reviews: existing }) ? 'denied' : 'pending', remaining };
  }
  return { status: approvalsComplete(remaining) ? 'approved' : 'pending', remaining };
}

/**
 * The not-approver refusal, naming the request's approver groups ("Security reviewers or Platform
 * admins"). applyReview uses the groups' short names; the service, which can ask the catalog,
 * rewords it with display names (the refs stay in the error's `ids.groups`).
 */
export function notApproverMessage(groupNames: string[]): string {
  if (groupNames.length === 0) return 'you are not a current member of an approver group of this request';
  if (groupNames.length === 1) return `you are not a current member of ${groupNames[0]}, the approver group of this request`;
  const names = `${groupNames.slice(0, -1).join(', ')} or ${groupNames[groupNames.length - 1]}`;
  return `you are not a current member of ${names}, the approver groups of this request`;
}

/** Only the requester may withdraw, and only while pending. */
export function checkWithdraw(request: ReviewableRequest, actor: string): void {
  const check = mayWithdrawRequest(request, actor);
  if (!check.allowed) {
    throw refusalError(check, {
      'not-requester': 'only the requester can withdraw a request',
      'request-decided': `request is already ${request.status}; a decided request never changes`,
    });
  }
}

/** Whether `user` may decide this request now (used for the inbox). */
export function canDecideNow(
  request: ReviewableRequest & { reviews: Pick<Review, 'reviewer'>[] },
  user: string,
  currentGroups: Iterable<string>,
  now: Date,
): boolean {
  return mayReviewRequest(request, user, currentGroups, now).allowed;
}
