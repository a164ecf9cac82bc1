import {
  CONFLICT_REFUSALS,
  breakGlassAllowed,
  denialReason,
  denyEndsRequest,
  mayPostHocReview,
  mayRenewGrant,
  mayRequestAgain,
  mayReviewRequest,
  mayRevokeGrant,
  mayWithdrawRequest,
  reviewCheck,
} from './actions';
import { AccessRequest, FrozenPolicy, Review } from './types';

const SEC = 'group:default/security-reviewers';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const NOW = new Date('2026-01-01T12:00:00Z');

const policy = (kind: 'rigid' | 'flexible', denialsToReject?: number): FrozenPolicy => ({
  name: 'p', kind, maxDurationMinutes: 60, requireJustification: true, requireTicket: false, denialsToReject,
  roleId: 'r', frozenAt: '2026-01-01T00:00:00Z',
  roles: [{ id: 'r', title: 'R', allows: ['x'], privilege: 1, approvals: [{ group: SEC, count: 2 }] }],
});
const review = (reviewer: string, decision: 'approve' | 'deny', comment = ''): Review => ({
  reviewer, decision, comment, createdAt: '', eligibleGroups: [SEC],
});
const request = (over: Partial<AccessRequest> = {}): AccessRequest => ({
  id: 'r1', resourceRef: 'resource:default/w', roleId: 'r', requester: ALICE, justification: 'j',
  durationMinutes: 30, status: 'pending', createdAt: '2026-01-01T11:00:00Z', expiresAt: '2026-01-02T11:00:00Z',
  policy: policy('rigid'), reviews: [], remaining: [], ...over,
});

describe('mayReviewRequest', () => {
  it('offers review to a current approver who has not reviewed', () => {
    expect(mayReviewRequest(request(), BOB, [SEC], NOW).allowed).toBe(true);
  });
  it('refuses the requester, a second review, a non-member, a decided or overdue request', () => {
    expect(mayReviewRequest(request(), ALICE, [SEC], NOW)).toEqual({ allowed: false, reason: 'You cannot review your own request.', code: 'own-request' });
    expect(mayReviewRequest(request({ reviews: [review(BOB, 'approve')] }), BOB, [SEC], NOW).allowed).toBe(false);
    expect(mayReviewRequest(request(), BOB, ['group:default/researchers'], NOW).allowed).toBe(false);
    expect(mayReviewRequest(request({ status: 'denied' }), BOB, [SEC], NOW).allowed).toBe(false);
    expect(mayReviewRequest(request({ expiresAt: '2026-01-01T12:00:00Z' }), BOB, [SEC], NOW).allowed).toBe(false);
  });
});

describe('mayWithdrawRequest', () => {
  it('only the requester, only while pending', () => {
    expect(mayWithdrawRequest(request(), ALICE).allowed).toBe(true);
    expect(mayWithdrawRequest(request(), BOB).allowed).toBe(false);
    expect(mayWithdrawRequest(request({ status: 'approved' }), ALICE).allowed).toBe(false);
  });
});

describe('denyEndsRequest', () => {
  it('one deny ends a rigid request; a flexible one needs denialsToReject distinct denials', () => {
    expect(denyEndsRequest(request())).toBe(true);
    const flex = request({ policy: policy('flexible', 2) });
    expect(denyEndsRequest(flex)).toBe(false);
    expect(denyEndsRequest({ ...flex, reviews: [review('user:default/carol', 'deny')] })).toBe(true);
  });
});

describe('grant and break-glass rules', () => {
  it('break-glass only where the policy does not forbid it', () => {
    expect(breakGlassAllowed({ allowBreakGlass: false }).allowed).toBe(false);
    expect(breakGlassAllowed({}).allowed).toBe(true);
  });
  it('revoke: holder or permission, never an ended grant', () => {
    expect(mayRevokeGrant({ status: 'active', userRef: ALICE }, ALICE, false).allowed).toBe(true);
    expect(mayRevokeGrant({ status: 'active', userRef: ALICE }, BOB, false).allowed).toBe(false);
    expect(mayRevokeGrant({ status: 'active', userRef: ALICE }, BOB, true).allowed).toBe(true);
    expect(mayRevokeGrant({ status: 'expired', userRef: ALICE }, ALICE, true).allowed).toBe(false);
  });
  it('renew: only the holder of an active grant', () => {
    expect(mayRenewGrant({ userRef: ALICE, active: true }, ALICE).allowed).toBe(true);
    expect(mayRenewGrant({ userRef: ALICE, active: true }, BOB).allowed).toBe(false);
    expect(mayRenewGrant({ userRef: ALICE, active: false }, ALICE).allowed).toBe(false);
    expect(mayRenewGrant({ userRef: ALICE, active: true, breakGlass: true }, ALICE).code).toBe('break-glass-renew');
  });
  it('post-hoc review: a security reviewer other than the holder, once', () => {
    const g = { breakGlass: true, userRef: ALICE, postHocReviews: [] };
    expect(mayPostHocReview(g, BOB, true).allowed).toBe(true);
    expect(mayPostHocReview(g, ALICE, true).allowed).toBe(false);
    expect(mayPostHocReview(g, BOB, false).allowed).toBe(false);
    expect(mayPostHocReview({ ...g, postHocReviews: [{ reviewer: BOB, decision: 'confirm', comment: '', createdAt: '' }] }, BOB, true).allowed).toBe(false);
  });
});

describe('refusal codes (the backend maps them to 403 / 409)', () => {
  it('names the rule that refused, checked in a fixed order', () => {
    const codeOf = (r: AccessRequest, user: string, groups: string[], now = NOW) => mayReviewRequest(r, user, groups, now).code;
    expect(codeOf(request({ status: 'approved' }), ALICE, [], NOW)).toBe('request-decided');
    expect(codeOf(request(), BOB, [SEC], new Date('2026-01-02T11:00:00Z'))).toBe('request-overdue');
    expect(codeOf(request(), ALICE, [SEC])).toBe('own-request');
    expect(codeOf(request({ reviews: [review(BOB, 'approve')] }), BOB, [SEC])).toBe('already-reviewed');
    expect(codeOf(request(), BOB, [])).toBe('not-approver');
    expect(mayWithdrawRequest(request(), BOB).code).toBe('not-requester');
    expect(mayWithdrawRequest(request({ status: 'denied' }), ALICE).code).toBe('request-decided');
    expect(mayRevokeGrant({ status: 'revoked', userRef: ALICE }, ALICE, false).code).toBe('grant-ended');
    expect(mayPostHocReview({ breakGlass: false, userRef: ALICE }, BOB, true).code).toBe('not-break-glass');
    expect(breakGlassAllowed({ allowBreakGlass: false }).code).toBe('break-glass-forbidden');
  });
  it('state refusals are conflicts, person refusals are not', () => {
    expect(CONFLICT_REFUSALS.has('already-reviewed')).toBe(true);
    expect(CONFLICT_REFUSALS.has('request-decided')).toBe(true);
    expect(CONFLICT_REFUSALS.has('own-request')).toBe(false);
    expect(CONFLICT_REFUSALS.has('not-approver')).toBe(false);
  });
  it('reviewCheck takes the approver groups already worked out', () => {
    expect(reviewCheck(request(), BOB, [SEC], NOW).allowed).toBe(true);
    expect(reviewCheck(request(), BOB, [], NOW).code).toBe('not-approver');
  });
});

describe('decided requests', () => {
  it('the requester may request again once decided', () => {
    expect(mayRequestAgain(request({ status: 'denied' }), ALICE)).toBe(true);
    expect(mayRequestAgain(request(), ALICE)).toBe(false);
    expect(mayRequestAgain(request({ status: 'denied' }), BOB)).toBe(false);
  });
  it('the denial reason is the last deny comment', () => {
    const r = request({ status: 'denied', reviews: [review(BOB, 'deny', 'No ticket given')] });
    expect(denialReason(r)?.comment).toBe('No ticket given');
    expect(denialReason(request())).toBeUndefined();
  });
});
