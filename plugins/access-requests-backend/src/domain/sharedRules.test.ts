import {
  AccessRequest,
  FrozenPolicy,
  Grant,
  PostHocReview,
  mayPostHocReview,
  mayRenewGrant,
  mayReviewRequest,
  mayRevokeGrant,
  mayWithdrawRequest,
  isGrantActive,
  breakGlassAllowed,
} from '@internal/plugin-access-requests-common';
import { applyReview, canDecideNow, checkWithdraw, eligibleStepGroups } from './requests';
import { checkPostHocReview, checkRenew, checkRevoke, validateBreakGlass } from './grants';

/**
 * One rule answers both sides: for every case, the portal's -common check offers the action
 * exactly when the backend's domain check lets it through, and a refusal is the same HTTP
 * error as before the backend called the shared functions (403 person, 409 state, 400 input).
 */
const SEC = 'group:default/security-reviewers';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const NOW = new Date('2026-03-01T10:00:00.000Z');

const policy: FrozenPolicy = {
  name: 'w', kind: 'rigid', maxDurationMinutes: 480, requireJustification: true, requireTicket: false,
  roleId: 'r', frozenAt: '2026-03-01T00:00:00.000Z',
  roles: [{ id: 'r', title: 'Reader', allows: ['blob:read'], privilege: 1, approvals: [{ group: SEC, count: 2 }] }],
};

type RequestCase = Pick<AccessRequest, 'requester' | 'status' | 'expiresAt' | 'policy' | 'reviews'>;
const base: RequestCase = { requester: ALICE, status: 'pending', expiresAt: '2026-03-02T10:00:00.000Z', policy, reviews: [] };
const bobApproved = { reviewer: BOB, decision: 'approve' as const, comment: '', createdAt: '', eligibleGroups: [SEC] };

const STATUS_OF_ERROR: Record<string, number> = { NotAllowedError: 403, ConflictError: 409, InputError: 400 };

/** The backend's answer as an HTTP status (200 when it lets the action through). */
function statusOf(fn: () => unknown): number {
  try {
    fn();
    return 200;
  } catch (e) {
    return STATUS_OF_ERROR[(e as Error).name] ?? 500;
  }
}

describe('review: the portal offers Approve/Deny exactly when the backend accepts the review', () => {
  const cases: Array<[string, RequestCase, string, string[], number]> = [
    ['a current approver', base, BOB, [SEC], 200],
    ['the requester (no self-approval)', base, ALICE, [SEC], 403],
    ['a non-member', base, BOB, ['group:default/researchers'], 403],
    ['a second review by the same person', { ...base, reviews: [bobApproved] }, BOB, [SEC], 409],
    ['a decided request', { ...base, status: 'denied' }, BOB, [SEC], 409],
    ['an overdue request', { ...base, expiresAt: '2026-03-01T09:00:00.000Z' }, BOB, [SEC], 409],
  ];
  it.each(cases)('%s', (_name, request, user, groups, status) => {
    const offered = mayReviewRequest(request, user, groups, NOW).allowed;
    const backend = statusOf(() =>
      applyReview(request, request.reviews, { reviewer: user, decision: 'approve', eligibleGroups: eligibleStepGroups(policy, groups) }, NOW),
    );
    expect(backend).toBe(status);
    expect(offered).toBe(status === 200);
    expect(canDecideNow(request, user, groups, NOW)).toBe(offered);
  });
  it('keeps the backend wording (the portal has its own sentence)', () => {
    expect(() => applyReview(base, [], { reviewer: ALICE, decision: 'approve', eligibleGroups: [SEC] }, NOW)).toThrow(
      'you cannot review your own request (no self-approval)',
    );
    expect(mayReviewRequest(base, ALICE, [SEC], NOW).reason).toBe('You cannot review your own request.');
  });
});

describe('withdraw', () => {
  it.each([
    [ALICE, 'pending', 200],
    [BOB, 'pending', 403],
    [ALICE, 'approved', 409],
  ] as const)('%s on a %s request → %d', (user, status, expected) => {
    const request = { ...base, status };
    expect(statusOf(() => checkWithdraw(request, user))).toBe(expected);
    expect(mayWithdrawRequest(request, user).allowed).toBe(expected === 200);
  });
});

const grant = (over: Partial<Grant> = {}): Grant => ({
  id: 'g1', resourceRef: 'resource:default/w', roleId: 'r', userRef: ALICE, status: 'active',
  startsAt: '2026-03-01T09:00:00.000Z', expiresAt: '2026-03-01T11:00:00.000Z', breakGlass: false,
  provisioning: { state: 'provisioned' }, history: [], ...over,
});

describe('revoke / end early', () => {
  it.each([
    ['holder', grant(), ALICE, false, 200],
    ['someone else without the permission', grant(), BOB, false, 403],
    ['a reviewer with the permission', grant(), BOB, true, 200],
    ['an expired grant', grant({ status: 'expired' }), BOB, true, 409],
    ['a revoked grant, by its holder', grant({ status: 'revoked' }), ALICE, false, 409],
  ] as const)('%s', (_n, g, user, perm, expected) => {
    expect(statusOf(() => checkRevoke(g, user, perm))).toBe(expected);
    expect(mayRevokeGrant(g, user, perm).allowed).toBe(expected === 200);
  });
});

describe('renew / extend', () => {
  it.each([
    ['the holder of an active grant', grant(), ALICE, 200],
    ['someone else', grant(), BOB, 403],
    ['a break-glass grant (request normally)', grant({ breakGlass: true }), ALICE, 400],
    ['an ended grant', grant({ expiresAt: '2026-03-01T09:30:00.000Z' }), ALICE, 409],
    ['a grant still being provisioned', grant({ status: 'scheduled', provisioning: { state: 'pending' } }), ALICE, 409],
  ] as const)('%s', (_n, g, user, expected) => {
    expect(statusOf(() => checkRenew(g, user, NOW))).toBe(expected);
    expect(mayRenewGrant({ ...g, active: isGrantActive(g, NOW) }, user).allowed).toBe(expected === 200);
  });
});

describe('post-hoc review and break-glass', () => {
  const done: PostHocReview = { reviewer: BOB, decision: 'confirm', comment: 'ok', createdAt: '' };
  it.each([
    ['a security reviewer', grant({ breakGlass: true }), [], BOB, true, 200],
    ['the holder', grant({ breakGlass: true }), [], ALICE, true, 403],
    ['not a security reviewer', grant({ breakGlass: true }), [], BOB, false, 403],
    ['twice', grant({ breakGlass: true }), [done], BOB, true, 409],
    ['a normal grant', grant(), [], BOB, true, 409],
  ] as const)('%s', (_n, g, existing, user, isReviewer, expected) => {
    expect(statusOf(() => checkPostHocReview(g, [...existing], user, isReviewer))).toBe(expected);
    expect(mayPostHocReview({ ...g, postHocReviews: [...existing] }, user, isReviewer).allowed).toBe(expected === 200);
  });
  it('break-glass only where the policy allows it', () => {
    for (const allowBreakGlass of [undefined, true, false]) {
      const p = { ...policy, allowBreakGlass };
      const expected = allowBreakGlass === false ? 403 : 200;
      expect(statusOf(() => validateBreakGlass(p, { roleId: 'r', durationMinutes: 30 }))).toBe(expected);
      expect(breakGlassAllowed(p).allowed).toBe(expected === 200);
    }
  });
});
