import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { FrozenPolicy } from '@internal/plugin-access-requests-common';
import { freezePolicy, loadPolicyDirectory, parsePolicy } from './policies';
import {
  applyReview,
  canDecideNow,
  checkWithdraw,
  decisionDeadline,
  eligibleStepGroups,
  isSelfService,
  notApproverMessage,
  validateNewRequest,
} from './requests';
import { checkPostHocReview, checkRevoke, holdsAccess, otherHolder, validateBreakGlass } from './grants';

const SEC = 'group:default/security-reviewers';
const OWN = 'group:default/frontier-research';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';
const NOW = new Date('2026-03-01T10:00:00.000Z');
const POLICY_DIR = path.resolve(__dirname, '../../../../catalog/policies');

const rigid = parsePolicy(
  `
name: w
kind: rigid
maxDurationMinutes: 480
requireJustification: true
requireTicket: true
ticketPattern: '^SEC-[0-9]+$'
roles:
  - id: blob-reader
    title: Reader
    allows: [blob:read]
    privilege: 1
    approvals: [{ group: group:default/security-reviewers, count: 2 }]
  - id: both
    title: Both
    allows: [blob:read, blob:write]
    privilege: 2
    approvals: [{ group: owner, count: 1 }, { group: group:default/security-reviewers, count: 1 }]
`,
  'test',
);
const flexible = parsePolicy(
  `
name: ns
kind: flexible
maxDurationMinutes: 60
requireJustification: false
denialsToReject: 2
roles:
  - { id: viewer, title: Viewer, allows: [get], privilege: 1, selfService: true }
  - { id: editor, title: Editor, allows: [get, write], privilege: 2, approvals: [{ group: owner, count: 1 }] }
`,
  'test',
);

const frozen = (policy = rigid, roleId = 'blob-reader'): FrozenPolicy =>
  freezePolicy({ policy, roleId, ownerRef: OWN, now: NOW });
const pending = (policy: FrozenPolicy) => ({
  requester: ALICE,
  status: 'pending' as const,
  expiresAt: '2026-03-02T10:00:00.000Z',
  policy,
});

describe('policy loading and validation', () => {
  it('loads every demo policy in catalog/policies without errors', async () => {
    const { policies, errors } = await loadPolicyDirectory(POLICY_DIR);
    expect(errors).toEqual([]);
    expect([...policies.keys()].sort()).toEqual(
      expect.arrayContaining(['weights-frontier-7b', 'research-namespace', 'weights-frontier-70b']),
    );
    const w = policies.get('weights-frontier-7b')!.policy;
    expect(w.roles.find(r => r.id === 'blob-reader')!.approvals).toEqual([{ group: SEC, count: 2 }]);
  });

  it('rejects invalid files and does not serve them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policies-'));
    fs.writeFileSync(path.join(dir, 'ok.yaml'), 'name: ok\nkind: flexible\nmaxDurationMinutes: 10\nroles: [{id: r, title: R, allows: [x], privilege: 1, selfService: true}]\n');
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'name: bad\nkind: rigid\nmaxDurationMinutes: 10\nroles: [{id: r, title: R, allows: [x], privilege: 1, selfService: true}]\n');
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'name: [\n');
    const { policies, errors } = await loadPolicyDirectory(dir);
    expect([...policies.keys()]).toEqual(['ok']);
    expect(errors.map(e => e.file).sort()).toEqual(['bad.yaml', 'broken.yaml']);
    expect(errors.find(e => e.file === 'bad.yaml')!.message).toContain('roles.0.selfService');
  });

  it('parsePolicy names the field', () => {
    expect(() => parsePolicy('name: x\nkind: odd\nmaxDurationMinutes: 1\nroles: []', 'f.yaml')).toThrow(/kind/);
  });
});

describe('freezing', () => {
  it('copies the policy and resolves owner steps to the owner group', () => {
    const f = frozen(rigid, 'both');
    expect(f.roleId).toBe('both');
    expect(f.frozenAt).toBe(NOW.toISOString());
    expect(f.roles.find(r => r.id === 'both')!.approvals).toEqual([{ group: OWN, count: 1 }, { group: SEC, count: 1 }]);
    // later edits of the source do not change the frozen copy
    rigid.roles[0].approvals[0].count = 99;
    expect(f.roles[0].approvals[0].count).toBe(2);
    rigid.roles[0].approvals[0].count = 2;
  });
  it('refuses owner approval when the owner is not a group', () => {
    expect(() => freezePolicy({ policy: rigid, roleId: 'both', ownerRef: 'user:default/alice', now: NOW })).toThrow(/not a group/);
  });
  it('refuses unknown roles', () => {
    expect(() => freezePolicy({ policy: rigid, roleId: 'admin', now: NOW })).toThrow(/roleId/);
  });
});

describe('new request validation', () => {
  const ok = { roleId: 'blob-reader', durationMinutes: 60, justification: 'eval run', ticket: 'SEC-1' };
  it('accepts a valid request', () => {
    expect(validateNewRequest(rigid, ok).id).toBe('blob-reader');
  });
  it('refuses duration over the maximum', () => {
    expect(() => validateNewRequest(rigid, { ...ok, durationMinutes: 481 })).toThrow(/durationMinutes/);
  });
  it('refuses a missing justification when required', () => {
    expect(() => validateNewRequest(rigid, { ...ok, justification: '  ' })).toThrow(/justification/);
  });
  it('refuses a missing or malformed ticket when required', () => {
    expect(() => validateNewRequest(rigid, { ...ok, ticket: undefined })).toThrow(/ticket/);
    expect(() => validateNewRequest(rigid, { ...ok, ticket: 'JIRA-1' })).toThrow(/ticket.*pattern/);
  });
  it('refuses unknown roles', () => {
    expect(() => validateNewRequest(rigid, { ...ok, roleId: 'nope' })).toThrow(/roleId/);
  });
  it('self-service only for flexible self-service roles', () => {
    expect(isSelfService(flexible, flexible.roles[0])).toBe(true);
    expect(isSelfService(flexible, flexible.roles[1])).toBe(false);
    // a rigid policy cannot be made self-service even if a role object says so
    expect(isSelfService(rigid, { ...rigid.roles[0], selfService: true })).toBe(false);
  });
  it('computes the decision deadline (default 24h)', () => {
    expect(decisionDeadline(rigid, NOW).toISOString()).toBe('2026-03-02T10:00:00.000Z');
  });
});

describe('review state machine', () => {
  const p = frozen();
  it('needs two distinct security reviewers', () => {
    const r1 = applyReview(pending(p), [], { reviewer: BOB, decision: 'approve', eligibleGroups: [SEC] }, NOW);
    expect(r1.status).toBe('pending');
    const r2 = applyReview(
      pending(p),
      [{ reviewer: BOB, decision: 'approve', eligibleGroups: [SEC] }],
      { reviewer: CAROL, decision: 'approve', eligibleGroups: [SEC] },
      NOW,
    );
    expect(r2.status).toBe('approved');
  });
  it('refuses self-approval (403)', () => {
    expect(() => applyReview(pending(p), [], { reviewer: ALICE, decision: 'approve', eligibleGroups: [SEC] }, NOW)).toThrow(
      expect.objectContaining({ name: 'NotAllowedError' }),
    );
  });
  it('refuses a second review by the same person (409)', () => {
    expect(() =>
      applyReview(pending(p), [{ reviewer: BOB, decision: 'approve', eligibleGroups: [SEC] }], { reviewer: BOB, decision: 'approve', eligibleGroups: [SEC] }, NOW),
    ).toThrow(expect.objectContaining({ name: 'ConflictError' }));
  });
  it('refuses reviewers who are not current members of a step group (403)', () => {
    expect(() => applyReview(pending(p), [], { reviewer: 'user:default/erin', decision: 'approve', eligibleGroups: [] }, NOW)).toThrow(
      expect.objectContaining({ name: 'NotAllowedError' }),
    );
  });
  it('rigid: any denial ends the request', () => {
    const r = applyReview(
      pending(p),
      [{ reviewer: BOB, decision: 'approve', eligibleGroups: [SEC] }],
      { reviewer: CAROL, decision: 'deny', eligibleGroups: [SEC] },
      NOW,
    );
    expect(r.status).toBe('denied');
  });
  it('flexible: denialsToReject distinct denials end the request', () => {
    const f = frozen(flexible, 'editor');
    const r1 = applyReview(pending(f), [], { reviewer: BOB, decision: 'deny', eligibleGroups: [OWN] }, NOW);
    expect(r1.status).toBe('pending');
    const r2 = applyReview(pending(f), [{ reviewer: BOB, decision: 'deny', eligibleGroups: [OWN] }], { reviewer: CAROL, decision: 'deny', eligibleGroups: [OWN] }, NOW);
    expect(r2.status).toBe('denied');
  });
  it.each(['approved', 'denied', 'expired', 'withdrawn'] as const)('a %s request never changes (409)', status => {
    expect(() => applyReview({ ...pending(p), status }, [], { reviewer: BOB, decision: 'approve', eligibleGroups: [SEC] }, NOW)).toThrow(
      expect.objectContaining({ name: 'ConflictError' }),
    );
  });
  it('refuses reviews after the decision deadline', () => {
    expect(() =>
      applyReview(pending(p), [], { reviewer: BOB, decision: 'approve', eligibleGroups: [SEC] }, new Date('2026-03-02T10:00:00.000Z')),
    ).toThrow(/deadline/);
  });
  it('one person cannot satisfy two steps', () => {
    const both = frozen(rigid, 'both');
    const r = applyReview(pending(both), [], { reviewer: BOB, decision: 'approve', eligibleGroups: [OWN, SEC] }, NOW);
    expect(r.status).toBe('pending');
  });
  it('eligibility comes from the groups passed in (current membership), per step', () => {
    expect(eligibleStepGroups(frozen(rigid, 'both'), new Set([SEC, 'group:default/other']))).toEqual([SEC]);
    expect(eligibleStepGroups(frozen(rigid, 'both'), new Set())).toEqual([]);
  });
});

describe('withdraw and inbox', () => {
  const p = frozen();
  it('only the requester may withdraw', () => {
    expect(() => checkWithdraw(pending(p), BOB)).toThrow(expect.objectContaining({ name: 'NotAllowedError' }));
    expect(() => checkWithdraw(pending(p), ALICE)).not.toThrow();
  });
  it('only pending requests can be withdrawn', () => {
    expect(() => checkWithdraw({ ...pending(p), status: 'approved' }, ALICE)).toThrow(expect.objectContaining({ name: 'ConflictError' }));
  });
  it('inbox shows only requests the user may decide now', () => {
    const r = { ...pending(p), reviews: [] as { reviewer: string }[] };
    expect(canDecideNow(r, BOB, [SEC], NOW)).toBe(true);
    expect(canDecideNow(r, ALICE, [SEC], NOW)).toBe(false); // own
    expect(canDecideNow(r, 'user:default/erin', [OWN], NOW)).toBe(false); // not eligible
    expect(canDecideNow({ ...r, reviews: [{ reviewer: BOB }] }, BOB, [SEC], NOW)).toBe(false); // reviewed
    expect(canDecideNow({ ...r, status: 'approved' }, BOB, [SEC], NOW)).toBe(false);
  });
});

describe('grants rules', () => {
  const g = (id: string, over: Partial<Parameters<typeof holdsAccess>[0]> = {}) => ({
    id,
    status: 'active' as const,
    startsAt: '2026-03-01T09:00:00.000Z',
    expiresAt: '2026-03-01T11:00:00.000Z',
    provisioning: { state: 'provisioned' as const },
    ...over,
  });
  it('overlapping grants: another active grant keeps the access', () => {
    const others = [g('a', { expiresAt: '2026-03-01T10:00:00.000Z' }), g('b')];
    expect(otherHolder('a', others, NOW)?.id).toBe('b');
    expect(otherHolder('b', others, NOW)).toBeUndefined(); // a has ended
  });
  it('a grant still being provisioned holds access; revoked/failed ones do not', () => {
    expect(holdsAccess(g('x', { status: 'scheduled', provisioning: { state: 'pending' } }), NOW)).toBe(true);
    expect(holdsAccess(g('x', { status: 'revoked' }), NOW)).toBe(false);
    expect(holdsAccess(g('x', { status: 'failed', provisioning: { state: 'failed' } }), NOW)).toBe(false);
  });
  it('break-glass is at most 60 minutes and at most the policy maximum', () => {
    expect(() => validateBreakGlass(rigid, { roleId: 'blob-reader', durationMinutes: 61 })).toThrow(/60/);
    expect(() => validateBreakGlass(flexible, { roleId: 'viewer', durationMinutes: 60 })).not.toThrow();
    expect(() => validateBreakGlass({ ...flexible, maxDurationMinutes: 30 }, { roleId: 'viewer', durationMinutes: 31 })).toThrow(/30/);
    expect(() => validateBreakGlass({ ...rigid, allowBreakGlass: false }, { roleId: 'blob-reader', durationMinutes: 5 })).toThrow(/does not allow/);
  });
  it('post-hoc review: not by the holder, only security reviewers, once each, only break-glass', () => {
    const bg = { breakGlass: true, userRef: 'user:default/dave' };
    expect(() => checkPostHocReview(bg, [], 'user:default/dave', true)).toThrow(/own/);
    expect(() => checkPostHocReview(bg, [], 'user:default/erin', false)).toThrow(/security reviewers/);
    expect(() => checkPostHocReview(bg, [{ reviewer: BOB, decision: 'confirm', comment: '', createdAt: '' }], BOB, true)).toThrow(/already/);
    expect(() => checkPostHocReview({ ...bg, breakGlass: false }, [], BOB, true)).toThrow(/break-glass/);
    expect(() => checkPostHocReview(bg, [], BOB, true)).not.toThrow();
  });
  it('revoke: holder or permission; not twice', () => {
    expect(() => checkRevoke({ status: 'active', userRef: ALICE }, BOB, false)).toThrow(expect.objectContaining({ name: 'NotAllowedError' }));
    expect(() => checkRevoke({ status: 'active', userRef: ALICE }, ALICE, false)).not.toThrow();
    expect(() => checkRevoke({ status: 'active', userRef: ALICE }, BOB, true)).not.toThrow();
    expect(() => checkRevoke({ status: 'revoked', userRef: ALICE }, BOB, true)).toThrow(expect.objectContaining({ name: 'ConflictError' }));
  });
});

describe('notApproverMessage', () => {
  it('names the approver groups in a sentence', () => {
    expect(notApproverMessage(['Security reviewers'])).toBe(
      'you are not a current member of Security reviewers, the approver group of this request',
    );
    expect(notApproverMessage(['Frontier research', 'Security reviewers'])).toBe(
      'you are not a current member of Frontier research or Security reviewers, the approver groups of this request',
    );
    expect(notApproverMessage(['A', 'B', 'C'])).toBe('you are not a current member of A, B or C, the approver groups of this request');
    expect(notApproverMessage([])).toBe('you are not a current member of an approver group of this request');
  });
});
