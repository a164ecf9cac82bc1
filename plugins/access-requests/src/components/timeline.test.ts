import { AccessRequest, Grant } from '@internal/plugin-access-requests-common';
import { timelineEntries } from './AccessTimeline';
import { historyRows } from './EntityHistory';
import { decisionTimeText } from './SubmittedConfirmation';
import { approveEach, bulkApprovable } from './BulkApprove';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const SEC = 'group:default/security-reviewers';

const grant = (over: Partial<Grant>): Grant => ({
  id: 'g', resourceRef: 'resource:default/w', roleId: 'r', userRef: 'user:default/alice', status: 'active',
  startsAt: '2026-03-01T10:00:00.000Z', expiresAt: '2026-03-01T14:00:00.000Z', breakGlass: false,
  provisioning: { state: 'provisioned' }, history: [], ...over,
});

type Risky = AccessRequest & { risk: 'high' | 'medium' | 'low' };
const request = (over: Partial<Risky> = {}): Risky => ({
  id: 'q1', resourceRef: 'resource:default/w', roleId: 'r', requester: 'user:default/alice', justification: 'eval',
  durationMinutes: 60, status: 'pending', createdAt: '2026-03-01T11:00:00.000Z', expiresAt: '2026-03-02T11:00:00.000Z',
  policy: {
    name: 'p', kind: 'rigid', roleId: 'r', frozenAt: '', maxDurationMinutes: 480, requireJustification: true, requireTicket: false,
    roles: [{ id: 'r', title: 'Reader', allows: ['read'], privilege: 1, approvals: [{ group: SEC, count: 2 }] }],
  },
  reviews: [], remaining: [{ group: SEC, needed: 2, have: 0 }], risk: 'low', ...over,
});

describe('access timeline', () => {
  it('ends a revoked grant at its revocation, an active one at its expiry; oldest first', () => {
    const revoked = grant({
      id: 'g2', status: 'revoked', startsAt: '2026-03-01T08:00:00.000Z', breakGlass: true,
      history: [{ at: '2026-03-01T08:20:00.000Z', event: 'revoked', actor: 'user:default/bob', details: { reason: 'done' } }],
    });
    const entries = timelineEntries([grant({ id: 'g1' }), revoked], NOW);
    expect(entries.map(e => [e.grant.id, e.ended, new Date(e.end).toISOString()])).toEqual([
      ['g2', 'revoked', '2026-03-01T08:20:00.000Z'],
      ['g1', 'active', '2026-03-01T14:00:00.000Z'],
    ]);
    expect(entries[0]).toMatchObject({ revokedBy: 'user:default/bob', reason: 'done' });
    expect(timelineEntries([grant({ expiresAt: '2026-03-01T11:00:00.000Z' })], NOW)[0].ended).toBe('expired');
  });
});

describe('entity history', () => {
  it('shows a denied request with its reason, and grant events, newest first', () => {
    const denied = request({
      status: 'denied', decidedAt: '2026-03-01T11:30:00.000Z',
      reviews: [{ reviewer: 'user:default/bob', decision: 'deny', comment: 'No ticket', createdAt: '2026-03-01T11:30:00.000Z', eligibleGroups: [SEC] }],
    });
    const rows = historyRows([grant({ history: [{ at: '2026-03-01T10:00:00.000Z', event: 'created', actor: 'user:default/carol' }] })], [denied]);
    expect(rows.map(r => [r.event, r.actor ?? null])).toEqual([
      ['request-denied', null],
      ['review-deny', 'user:default/bob'],
      ['request-created', 'user:default/alice'],
      ['created', 'user:default/carol'],
    ]);
    expect(rows[1].comment).toBe('No ticket');
    // the portal's own events have no person as actor
    expect(historyRows([grant({ history: [{ at: '2026-03-01T10:00:00.000Z', event: 'expired', actor: 'system' }] })], [])[0].actor).toBeUndefined();
  });
});

describe('submitted confirmation', () => {
  it('says how long requests usually take, or nothing without decisions', () => {
    expect(decisionTimeText({ basis: 'resource', decided: 5, medianMinutes: 90 })).toBe(
      'Requests on this resource are usually decided within 1h 30m (median of the last 5 decisions you can see).',
    );
    expect(decisionTimeText({ basis: 'policy', decided: 1, medianMinutes: 0 })).toBe(
      'Requests on resources under the same policy are usually decided within less than a minute (median of the one earlier decision you can see).',
    );
    expect(decisionTimeText({ basis: 'none', decided: 0 })).toBeUndefined();
  });
});

describe('bulk approval', () => {
  const BOB = 'user:default/bob';
  it('is offered only where the reviewer may decide and the request is not high-risk', () => {
    expect(bulkApprovable(request(), BOB, [SEC], NOW).allowed).toBe(true);
    expect(bulkApprovable(request(), 'user:default/alice', [SEC], NOW)).toMatchObject({ allowed: false, code: 'own-request' });
    expect(bulkApprovable(request({ reviews: [{ reviewer: BOB, decision: 'approve', comment: '', createdAt: '', eligibleGroups: [SEC] }] }), BOB, [SEC], NOW).allowed).toBe(false);
    expect(bulkApprovable(request(), BOB, ['group:default/researchers'], NOW).allowed).toBe(false);
    expect(bulkApprovable(request({ risk: 'high' }), BOB, [SEC], NOW)).toEqual({ allowed: false, reason: 'High-risk requests are approved one at a time.' });
  });
  it('approves each request on its own and reports a refusal without stopping', async () => {
    const refused = Object.assign(new Error('you have already reviewed this request'), { name: 'ResponseError', response: { status: 409 } });
    const api = {
      review: jest.fn()
        .mockResolvedValueOnce({ request: request({ id: 'a', remaining: [{ group: SEC, needed: 2, have: 1 }] }) })
        .mockRejectedValueOnce(refused)
        .mockResolvedValueOnce({ request: request({ id: 'c', status: 'approved' }) }),
    };
    const progress: number[] = [];
    const results = await approveEach(api, [request({ id: 'a' }), request({ id: 'b' }), request({ id: 'c' })], 'ok', n => progress.push(n));
    expect(api.review.mock.calls).toEqual([
      ['a', { decision: 'approve', comment: 'ok' }],
      ['b', { decision: 'approve', comment: 'ok' }],
      ['c', { decision: 'approve', comment: 'ok' }],
    ]);
    expect(results.map(r => [r.request.id, r.ok])).toEqual([['a', true], ['b', false], ['c', true]]);
    expect(results[0].message).toBe('Approved. 1 more approval needed before access is granted.');
    expect(results[2].message).toMatch(/^Approved. The request is complete/);
    expect(progress).toEqual([1, 2, 3]);
  });
});
