import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { isExceptedAmong } from '@internal/plugin-policy-exceptions-common';
import {
  ExceptionRecord,
  applyReview,
  newException,
  prepareContent,
  reReview,
  reviewDue,
  revise,
  revoke,
  submitDraft,
  suspend,
  toCoverage,
  withdraw,
} from './lifecycle';
import { ALICE, BOB, CAROL, CLUSTER, DAY, EGRESS, ERIN, FINDING, MALLORY, T0, content, settings } from '../__testUtils__/fixtures';

const at = (ms: number) => new Date(T0.getTime() + ms);
const make = (over: Parameters<typeof content>[0] = {}, submit = true) =>
  newException({ id: 'e1', controlId: EGRESS, requester: ALICE, content: prepareContent(content(over), T0, settings), submit, now: T0 }).record;
const review = (rec: ExceptionRecord, reviewer: string, decision: 'approve' | 'reject' = 'approve', now = T0, eligible = true, comment = '') =>
  applyReview(rec, rec.reviews, { reviewer, decision, comment, eligible }, now, settings);
const approved = (over: Parameters<typeof content>[0] = {}) => {
  let r = make(over);
  r = review(r, BOB).record;
  if (r.status !== 'approved') r = review(r, CAROL).record;
  return r;
};
const covered = (rec: ExceptionRecord, when: Date) =>
  isExceptedAmong([toCoverage(rec)], EGRESS, { entityRef: CLUSTER, findingKey: FINDING }, when).excepted;

describe('prepareContent', () => {
  it('derives the rating and defaults the start to now', () => {
    const c = prepareContent(content({ risk: { likelihood: 'high', impact: 'high' }, endsAt: at(20 * DAY).toISOString() }), T0, settings);
    expect(c.risk.rating).toBe('critical');
    expect(c.startsAt).toBe(T0.toISOString());
  });
  it.each([
    [{ risk: { likelihood: 'high', impact: 'high' }, endsAt: at(31 * DAY).toISOString() }, 'endsAt: a critical-risk exception lasts at most 30 days from its start'],
    [{ risk: { likelihood: 'low', impact: 'low' }, endsAt: at(366 * DAY).toISOString() }, 'endsAt: a low-risk exception lasts at most 365 days from its start'],
    [{ startsAt: at(-DAY).toISOString() }, 'startsAt: must not be in the past'],
    [{ endsAt: at(-1000).toISOString(), startsAt: at(-2000).toISOString() }, 'endsAt: must be in the future'],
  ] as const)('refuses a window the rules forbid (%#)', (over, message) => {
    expect(() => prepareContent(content(over as any), T0, settings)).toThrow(new InputError(message));
  });
});

describe('state machine', () => {
  it('draft → submitted → approved (one reviewer for medium) → active → expired, with coverage following the time', () => {
    let r = make({}, false);
    expect(r.status).toBe('draft');
    expect(() => submitDraft(r, BOB, T0)).toThrow(NotAllowedError);
    r = submitDraft(r, ALICE, T0);
    expect(r.status).toBe('submitted');
    expect(() => submitDraft(r, ALICE, T0)).toThrow(ConflictError);
    expect(covered(r, T0)).toBe(false);
    const res = review(r, BOB);
    expect(res.outcome).toBe('approved');
    expect(res.record.approvedBy).toEqual([BOB]);
    expect(res.record.nextReviewAt).toBeUndefined(); // medium cadence 90 d is past the 14-day window
    expect(covered(res.record, at(DAY))).toBe(true);
    expect(covered(res.record, at(14 * DAY))).toBe(false); // the clock passes the end: open again
  });

  it('an exception that starts later is approved but covers only from its start', () => {
    const r = approved({ startsAt: at(2 * DAY).toISOString(), endsAt: at(10 * DAY).toISOString() });
    expect(r.status).toBe('approved');
    expect(covered(r, at(DAY))).toBe(false);
    expect(covered(r, at(3 * DAY))).toBe(true);
  });

  it('high and critical risk need two DISTINCT reviewers', () => {
    let r = make({ risk: { likelihood: 'high', impact: 'medium' } });
    expect(r.requiredApprovals).toBe(2);
    const first = review(r, BOB);
    expect(first.outcome).toBe('pending');
    r = first.record;
    expect(() => review(r, BOB)).toThrow(new ConflictError('you have already reviewed this'));
    const second = review(r, CAROL);
    expect(second.outcome).toBe('approved');
    expect(second.record.approvedBy).toEqual([BOB, CAROL]);
  });

  it('refuses a reviewer who is not a current member of the reviewers group', () => {
    expect(() => review(make(), BOB, 'approve', T0, false)).toThrow(new NotAllowedError('only current members of group:default/security-reviewers review exceptions'));
  });

  it('refuses self-approval, even by a reviewer', () => {
    const r = newException({ id: 'e', controlId: EGRESS, requester: MALLORY, content: prepareContent(content(), T0, settings), submit: true, now: T0 }).record;
    expect(() => review(r, MALLORY)).toThrow(new NotAllowedError('no self-approval: you requested this exception'));
    expect(() => review(r, MALLORY, 'reject', T0, true, 'no')).toThrow(NotAllowedError);
  });

  it('refuses the owner as reviewer', () => {
    const r = make({ owner: MALLORY });
    expect(() => review(r, MALLORY)).toThrow(new NotAllowedError('the owner of an exception cannot review it'));
  });

  it('one rejection ends a submitted exception; rejected is final', () => {
    const r = review(make(), BOB, 'reject', T0, true, 'compensating control too weak').record;
    expect(r.status).toBe('rejected');
    expect(() => review(r, CAROL)).toThrow(ConflictError);
    expect(() => revise(r, ALICE, r.content, true, T0)).toThrow(ConflictError);
    expect(() => withdraw(r, ALICE, T0)).toThrow(ConflictError);
  });

  it('cannot approve after the requested end passed', () => {
    expect(() => review(make(), BOB, 'approve', at(15 * DAY))).toThrow(new ConflictError('the requested end has passed; it can no longer be approved'));
  });

  it('withdraw: only the requester, only while undecided', () => {
    const r = make();
    expect(() => withdraw(r, ERIN, T0)).toThrow(NotAllowedError);
    expect(withdraw(r, ALICE, T0).record.status).toBe('withdrawn');
    expect(() => withdraw(approved(), ALICE, T0)).toThrow(ConflictError);
  });

  it('revoke: current reviewers only, only live exceptions; revoked never covers', () => {
    const r = approved();
    expect(() => revoke(r, ALICE, false, 'x', T0, settings.reviewerGroup)).toThrow(NotAllowedError);
    const v = revoke(r, BOB, true, 'team left', at(DAY), settings.reviewerGroup);
    expect(v.status).toBe('revoked');
    expect(covered(v, at(DAY))).toBe(false);
    expect(() => revoke(v, BOB, true, 'again', at(DAY), settings.reviewerGroup)).toThrow(ConflictError);
    expect(() => revoke(approved(), BOB, true, 'late', at(15 * DAY), settings.reviewerGroup)).toThrow(ConflictError); // expired
  });

  it('suspended stops coverage at once; a re-approval round (same rules) restores it', () => {
    const r = approved({ risk: { likelihood: 'high', impact: 'medium' } });
    const s = suspend(r, 'compensating-control-failing', 'FG-WEIGHTS-DETECTIVE fails', at(DAY))!;
    expect(s.status).toBe('suspended');
    expect(s.round).toBe(r.round + 1);
    expect(covered(s, at(DAY))).toBe(false);
    expect(suspend(s, 'scope-drift', 'again', at(DAY))).toBeUndefined();
    // earlier approvals do not count for the new round
    const one = review(s, BOB, 'approve', at(DAY));
    expect(one.outcome).toBe('pending');
    expect(() => review(one.record, ERIN, 'approve', at(DAY))).toThrow(NotAllowedError); // owner
    const two = review(one.record, CAROL, 'approve', at(DAY));
    expect(two.outcome).toBe('reapproved');
    expect(two.record.suspension).toBeUndefined();
    expect(covered(two.record, at(2 * DAY))).toBe(true);
  });

  it('a rejected re-approval revokes the suspended exception', () => {
    const s = suspend(approved(), 'scope-drift', 'entity gone', at(DAY))!;
    const r = review(s, BOB, 'reject', at(DAY), true, 'gone for good');
    expect(r.outcome).toBe('revoked');
    expect(r.record.status).toBe('revoked');
  });

  it('an expired exception is not suspended, reviewed or revised', () => {
    const r = approved();
    expect(suspend(r, 'scope-drift', 'x', at(15 * DAY))).toBeUndefined();
    expect(() => review(r, CAROL, 'approve', at(15 * DAY))).toThrow(ConflictError);
    expect(() => revise(r, ALICE, r.content, true, at(15 * DAY))).toThrow(ConflictError);
  });
});

describe('revisions', () => {
  it('a decided exception never silently changes: an edit is a pending revision, the decided one stays in force', () => {
    const r = approved();
    const wider = prepareContent(content({ scope: { entityRefs: [CLUSTER, 'resource:default/research-sandbox-namespace'] } }), at(DAY), settings);
    const p = revise(r, ALICE, wider, true, at(DAY));
    expect(p.action).toBe('revision-proposed');
    expect(p.record.content).toEqual(r.content);
    expect(p.record.pendingRevision?.revision).toBe(2);
    expect(covered(p.record, at(DAY))).toBe(true);
    expect(() => review(p.record, ALICE, 'approve', at(DAY))).toThrow(NotAllowedError);
    const ok = review(p.record, BOB, 'approve', at(DAY));
    expect(ok.outcome).toBe('revision-approved');
    expect(ok.record.revision).toBe(2);
    expect(ok.record.content.scope.entityRefs).toHaveLength(2);
    expect(ok.record.pendingRevision).toBeUndefined();
  });

  it('a rejected revision leaves the decided one in force', () => {
    const r = approved();
    const p = revise(r, ERIN, prepareContent(content({ endsAt: at(13 * DAY).toISOString() }), at(DAY), settings), true, at(DAY));
    expect(() => review(p.record, ERIN, 'approve', at(DAY))).toThrow(NotAllowedError); // author and owner
    const no = review(p.record, BOB, 'reject', at(DAY), true, 'no');
    expect(no.outcome).toBe('revision-rejected');
    expect(no.record.status).toBe('approved');
    expect(no.record.content).toEqual(r.content);
  });

  it('editing a submitted exception makes a new revision whose review starts over', () => {
    let r = make({ risk: { likelihood: 'high', impact: 'medium' } });
    r = review(r, BOB).record;
    const p = revise(r, ALICE, prepareContent(content({ risk: { likelihood: 'high', impact: 'medium' }, justification: 'A longer justification with more detail.' }), T0, settings), true, T0);
    expect(p.action).toBe('revised');
    expect(p.superseded).toBe(1);
    expect(p.record.revision).toBe(2);
    const again = review(p.record, BOB); // Bob's approval of revision 1 does not count
    expect(again.outcome).toBe('pending');
    expect(review(again.record, CAROL).outcome).toBe('approved');
  });

  it('only the requester edits an undecided exception; only requester or owner propose a revision', () => {
    expect(() => revise(make(), BOB, make().content, true, T0)).toThrow(NotAllowedError);
    expect(() => revise(approved(), BOB, make().content, true, at(DAY))).toThrow(NotAllowedError);
  });
});

describe('re-review cadence', () => {
  it('is due after the cadence for the rating and a reviewer resets it', () => {
    const r = approved({ risk: { likelihood: 'high', impact: 'high' }, endsAt: at(30 * DAY).toISOString() });
    expect(r.nextReviewAt).toBe(at(14 * DAY).toISOString());
    expect(reviewDue(r, at(13 * DAY))).toBe(false);
    expect(reviewDue(r, at(14 * DAY))).toBe(true);
    expect(() => reReview(r, ERIN, false, at(14 * DAY), settings)).toThrow(NotAllowedError);
    expect(() => reReview(r, ALICE, true, at(14 * DAY), settings)).toThrow(NotAllowedError);
    const rr = reReview(r, BOB, true, at(14 * DAY), settings);
    expect(rr.lastReviewedAt).toBe(at(14 * DAY).toISOString());
    expect(rr.nextReviewAt).toBe(at(28 * DAY).toISOString());
    expect(reviewDue(rr, at(20 * DAY))).toBe(false);
  });
});
