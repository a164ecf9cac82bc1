import { remainingApprovals, approvalsComplete } from './approvals';
import { FrozenPolicy, Review } from './types';

const policy = (approvals: FrozenPolicy['roles'][0]['approvals']): FrozenPolicy => ({
  name: 'p', kind: 'rigid', maxDurationMinutes: 60, requireJustification: true, requireTicket: false,
  roleId: 'r', frozenAt: '2026-01-01T00:00:00Z',
  roles: [{ id: 'r', title: 'R', allows: ['x'], privilege: 1, approvals }],
});
const approve = (reviewer: string, eligibleGroups: string[]): Review => ({
  reviewer, decision: 'approve', comment: '', createdAt: '', eligibleGroups,
});
const SEC = 'group:default/security-reviewers';
const OWN = 'group:default/frontier-research';

describe('remainingApprovals', () => {
  it('counts distinct approvers per step', () => {
    const p = policy([{ group: SEC, count: 2 }]);
    expect(remainingApprovals(p, [])).toEqual([{ group: SEC, needed: 2, have: 0 }]);
    const r = remainingApprovals(p, [approve('user:default/bob', [SEC]), approve('user:default/bob', [SEC])]);
    expect(r).toEqual([{ group: SEC, needed: 2, have: 1 }]);
    expect(approvalsComplete(r)).toBe(false);
    const r2 = remainingApprovals(p, [approve('user:default/bob', [SEC]), approve('user:default/carol', [SEC])]);
    expect(approvalsComplete(r2)).toBe(true);
  });

  it('one person never satisfies two steps', () => {
    const p = policy([{ group: OWN, count: 1 }, { group: SEC, count: 1 }]);
    const r = remainingApprovals(p, [approve('user:default/mallory', [OWN, SEC])]);
    expect(approvalsComplete(r)).toBe(false);
    expect(r.reduce((n, s) => n + s.have, 0)).toBe(1);
  });

  it('finds the assignment that fills all steps regardless of review order', () => {
    const p = policy([{ group: OWN, count: 1 }, { group: SEC, count: 1 }]);
    // mallory is in both groups and approves first; alice only in owners
    const r = remainingApprovals(p, [approve('user:default/mallory', [OWN, SEC]), approve('user:default/alice', [OWN])]);
    expect(r).toEqual([{ group: OWN, needed: 1, have: 1 }, { group: SEC, needed: 1, have: 1 }]);
  });

  it('ignores denials and approvals from people in no step group', () => {
    const p = policy([{ group: SEC, count: 1 }]);
    const r = remainingApprovals(p, [
      { ...approve('user:default/bob', [SEC]), decision: 'deny' },
      approve('user:default/erin', []),
    ]);
    expect(r).toEqual([{ group: SEC, needed: 1, have: 0 }]);
  });
});
