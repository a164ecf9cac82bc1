import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { AdjustableClock } from '@internal/clock';
import { ExceptionStore } from '../store/ExceptionStore';
import { ExceptionsService } from './ExceptionsService';
import { Notifier } from './Notifier';
import { runCompensatingChecks } from './CompensatingChecks';
import {
  ALICE, BOB, CAROL, CLUSTER, DAVE, DAY, EGRESS, ERIN, FINDING, FakeDirectory, FakePosture, MALLORY, SEC, T0,
  content, recordingAuditor, settings,
} from '../__testUtils__/fixtures';

jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

async function setup(knex: Knex) {
  const store = await ExceptionStore.create({ knex });
  const clock = new AdjustableClock({ now: () => T0 });
  const directory = new FakeDirectory();
  const auditor = recordingAuditor();
  const sent: any[] = [];
  const notifier = new Notifier({ send: async (n: any) => { sent.push(n); } } as any, mockServices.logger.mock());
  const service = new ExceptionsService({ store, directory, notifier, auditor, logger: mockServices.logger.mock(), clock, settings});
  const posture = new FakePosture();
  return { store, clock, directory, auditor, sent, notifier, service, posture };
}
const as = (userRef: string) => ({ userRef });
const body = (over: Parameters<typeof content>[0] = {}) => ({ controlId: EGRESS, submit: true, ...content(over) });
const subject = { entityRef: CLUSTER, findingKey: FINDING };

describe.each(databases.eachSupportedId())('ExceptionsService on %p', databaseId => {
  let knex: Knex;
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
    t = await setup(knex);
  });

  it('request → two reviewers → covered; the clock moves past the end and the finding is open again', async () => {
    const e = await t.service.create(as(ALICE), body({ risk: { likelihood: 'high', impact: 'medium' } }));
    expect(e).toMatchObject({ status: 'submitted', requiredApprovals: 2, effectiveStatus: 'submitted' });
    await t.notifier.drain();
    expect(t.sent[0]).toMatchObject({ recipients: { entityRef: SEC, excludeEntityRef: [ALICE, ERIN] }, payload: { link: `/policy-exceptions/exceptions/${e.id}` } });
    expect((await t.service.isExcepted(EGRESS, subject)).excepted).toBe(false);

    expect((await t.service.review(as(BOB), e.id, { decision: 'approve' })).status).toBe('submitted');
    const done = await t.service.review(as(CAROL), e.id, { decision: 'approve', comment: 'ok with detective control' });
    expect(done).toMatchObject({ status: 'approved', effectiveStatus: 'active', approvedBy: [BOB, CAROL] });
    expect(await t.service.isExcepted(EGRESS, subject)).toMatchObject({ excepted: true, exceptionId: e.id, until: e.content.endsAt, approvedBy: [BOB, CAROL] });
    expect((await t.service.isExcepted(EGRESS, { entityRef: CLUSTER, findingKey: 'other' })).excepted).toBe(false);

    t.clock.advance(14 * 86_400);
    expect((await t.service.isExcepted(EGRESS, subject)).excepted).toBe(false);
    expect((await t.service.get(e.id)).exception.effectiveStatus).toBe('expired');

    const details = await t.service.get(e.id);
    expect(details.history.map(h => h.action)).toEqual(['submitted', 'review-approve', 'approved']);
    expect(details.revisions).toMatchObject([{ revision: 1, outcome: 'approved', decidedBy: [BOB, CAROL] }]);
    expect(t.auditor.events.filter(ev => ev.outcome === 'success').map(ev => ev.eventId)).toEqual(
      ['exception-create', 'exception-review', 'exception-review', 'exception-approved']);
  });

  it('refusals are audited and change nothing: self-approval, owner, non-member, removed member, second review', async () => {
    const e = await t.service.create(as(MALLORY), body({ risk: { likelihood: 'high', impact: 'high' }, owner: ERIN }));
    await expect(t.service.review(as(MALLORY), e.id, { decision: 'approve' })).rejects.toThrow('no self-approval');
    await expect(t.service.review(as(DAVE), e.id, { decision: 'approve' })).rejects.toThrow('only current members');
    t.directory.members.set(CAROL, new Set()); // Carol left the reviewers group after signing in
    await expect(t.service.review(as(CAROL), e.id, { decision: 'approve' })).rejects.toThrow('only current members');
    await t.service.review(as(BOB), e.id, { decision: 'approve' });
    await expect(t.service.review(as(BOB), e.id, { decision: 'approve' })).rejects.toThrow('already reviewed');
    const owned = await t.service.create(as(ALICE), body({ owner: MALLORY }));
    await expect(t.service.review(as(MALLORY), owned.id, { decision: 'approve' })).rejects.toThrow('owner');
    const stored = await t.service.get(e.id);
    expect(stored.exception.status).toBe('submitted');
    expect(stored.exception.reviews).toHaveLength(1);
    const refusals = t.auditor.events.filter(ev => ev.eventId === 'exception-review' && ev.outcome === 'fail');
    expect(refusals).toHaveLength(5);
  });

  it('bad references are 400s naming the field and store nothing', async () => {
    await expect(t.service.create(as(ALICE), body({ scope: { entityRefs: ['resource:default/nope'] } }))).rejects.toThrow('scope.entityRefs.0: resource:default/nope is not in the catalog');
    await expect(t.service.create(as(ALICE), body({ owner: 'user:default/ghost' }))).rejects.toThrow('owner: user:default/ghost is not in the catalog');
    await expect(t.service.create(as(ALICE), body({ endsAt: new Date(T0.getTime() + 400 * DAY).toISOString() }))).rejects.toThrow('endsAt');
    expect(await t.service.list(as(ALICE), { view: 'all' })).toEqual([]);
  });

  it('two approvals at the same moment never produce two activations', async () => {
    // one approval needed: of two simultaneous approvals exactly one decides, the other is refused
    const single = await t.service.create(as(ALICE), body());
    const results = await Promise.allSettled([
      t.service.review(as(BOB), single.id, { decision: 'approve' }),
      t.service.review(as(CAROL), single.id, { decision: 'approve' }),
    ]);
    expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find(r => r.status === 'rejected') as PromiseRejectedResult).reason.name).toBe('ConflictError');
    let d = await t.service.get(single.id);
    expect(d.history.filter(h => h.action === 'approved')).toHaveLength(1);
    expect(d.exception.reviews).toHaveLength(1);

    // two needed, three reviewers at once: one activation, approved by exactly two
    const pair = await t.service.create(as(ALICE), body({ risk: { likelihood: 'high', impact: 'high' } }));
    const r2 = await Promise.allSettled([BOB, CAROL, MALLORY].map(u => t.service.review(as(u), pair.id, { decision: 'approve' })));
    d = await t.service.get(pair.id);
    expect(d.exception.status).toBe('approved');
    expect(d.history.filter(h => h.action === 'approved')).toHaveLength(1);
    expect(d.exception.approvedBy).toHaveLength(2);
    expect(r2.filter(r => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(2);
    expect(t.auditor.events.filter(ev => ev.eventId === 'exception-approved')).toHaveLength(2); // one per exception
  });

  it('a failing compensating control suspends the exception and its finding is open; re-approval restores it', async () => {
    const e = await t.service.create(as(ALICE), body());
    await t.service.review(as(BOB), e.id, { decision: 'approve' });
    t.posture.set(CLUSTER, 'FG-WEIGHTS-DETECTIVE', 'pass');
    expect(await runCompensatingChecks(t.service, t.posture)).toEqual({ checked: 1, suspended: 0 });
    expect((await t.service.get(e.id)).checks).toMatchObject([{ controlId: 'FG-WEIGHTS-DETECTIVE', entityRef: CLUSTER, status: 'passing' }]);

    t.posture.set(CLUSTER, 'FG-WEIGHTS-DETECTIVE', 'fail');
    expect(await runCompensatingChecks(t.service, t.posture)).toEqual({ checked: 1, suspended: 1 });
    const s = await t.service.get(e.id);
    expect(s.exception).toMatchObject({ status: 'suspended', effectiveStatus: 'suspended', suspension: { cause: 'compensating-control-failing' } });
    expect(s.checks[0].status).toBe('failing');
    expect((await t.service.isExcepted(EGRESS, subject)).excepted).toBe(false);
    await t.notifier.drain();
    expect(t.sent.some(n => n.payload.title.includes('suspended') && [].concat(n.recipients.entityRef).includes(ERIN as never))).toBe(true);
    // a second run does not suspend again
    expect((await runCompensatingChecks(t.service, t.posture)).suspended).toBe(0);

    t.posture.set(CLUSTER, 'FG-WEIGHTS-DETECTIVE', 'pass');
    await t.service.review(as(CAROL), e.id, { decision: 'approve', comment: 'detective control fixed' });
    expect((await t.service.isExcepted(EGRESS, subject)).excepted).toBe(true);
    expect(t.auditor.events.map(ev => ev.eventId)).toEqual(expect.arrayContaining(['exception-suspend', 'exception-reapproved']));
  });

  it('scope drift (entity gone from the catalog) suspends; unknown posture never does', async () => {
    const e = await t.service.create(as(ALICE), body());
    await t.service.review(as(BOB), e.id, { decision: 'approve' });
    expect((await runCompensatingChecks(t.service, t.posture)).suspended).toBe(0); // not assessed
    expect((await t.service.get(e.id)).checks[0].status).toBe('unknown');
    t.directory.entities.delete(CLUSTER);
    expect((await runCompensatingChecks(t.service, t.posture)).suspended).toBe(1);
    expect((await t.service.get(e.id)).exception.suspension?.cause).toBe('scope-drift');
  });

  it('revisions of a decided exception: pending review, old revision in force until approved, history keeps all', async () => {
    const e = await t.service.create(as(ALICE), body());
    await t.service.review(as(BOB), e.id, { decision: 'approve' });
    const p = await t.service.revise(as(ALICE), e.id, { submit: true, ...content({ scope: { entityRefs: [CLUSTER] } }) });
    expect(p.pendingRevision?.revision).toBe(2);
    expect((await t.service.isExcepted(EGRESS, { entityRef: CLUSTER, findingKey: 'another' })).excepted).toBe(false);
    await t.service.review(as(CAROL), e.id, { decision: 'approve' });
    expect((await t.service.isExcepted(EGRESS, { entityRef: CLUSTER, findingKey: 'another' })).excepted).toBe(true);
    const d = await t.service.get(e.id);
    expect(d.revisions.map(r => [r.revision, r.outcome])).toEqual([[1, 'superseded'], [2, 'approved']]);
    expect(d.revisions[1].reviews.map(r => r.reviewer)).toEqual([CAROL]);
  });

  it('draft, submit, withdraw, revoke and re-review through the store', async () => {
    const d = await t.service.create(as(ALICE), { ...body(), submit: false });
    expect(d.status).toBe('draft');
    await expect(t.service.review(as(BOB), d.id, { decision: 'approve' })).rejects.toThrow('nothing to review');
    await t.service.revise(as(ALICE), d.id, { ...content({ justification: 'An edited draft justification text.' }), submit: false });
    expect((await t.service.submit(as(ALICE), d.id)).status).toBe('submitted');
    await expect(t.service.withdraw(as(BOB), d.id)).rejects.toThrow('only the requester');
    expect((await t.service.withdraw(as(ALICE), d.id)).status).toBe('withdrawn');

    const e = await t.service.create(as(ALICE), body());
    await t.service.review(as(BOB), e.id, { decision: 'approve' });
    await expect(t.service.revoke(as(ALICE), e.id, 'mine')).rejects.toThrow('only current members');
    await expect(t.service.reReview(as(ERIN), e.id, 'looked')).rejects.toThrow('only current members');
    expect((await t.service.reReview(as(CAROL), e.id, 'still needed')).lastReviewedAt).toBe(T0.toISOString());
    expect((await t.service.revoke(as(CAROL), e.id, 'no longer needed')).status).toBe('revoked');
    expect((await t.service.isExcepted(EGRESS, subject)).excepted).toBe(false);
  });

  it('lists: mine, reviewer queue (not my own), expiring within 14 days', async () => {
    const a = await t.service.create(as(ALICE), body({ endsAt: new Date(T0.getTime() + 10 * DAY).toISOString() }));
    const m = await t.service.create(as(MALLORY), body({ endsAt: new Date(T0.getTime() + 60 * DAY).toISOString(), risk: { likelihood: 'low', impact: 'low' } }));
    expect((await t.service.list(as(ALICE), { view: 'mine' })).map(e => e.id)).toEqual([a.id]);
    expect((await t.service.list(as(ERIN), { view: 'mine' })).map(e => e.id).sort()).toEqual([a.id, m.id].sort()); // owner of both
    expect((await t.service.list(as(MALLORY), { view: 'queue' })).map(e => e.id)).toEqual([a.id]);
    const high = await t.service.create(as(ALICE), body({ risk: { likelihood: 'high', impact: 'medium' } }));
    await t.service.review(as(CAROL), high.id, { decision: 'approve' });
    expect((await t.service.list(as(CAROL), { view: 'queue' })).map(e => e.id).sort()).toEqual([a.id, m.id].sort()); // reviewed: gone from her queue
    expect((await t.service.list(as(BOB), { view: 'queue' })).map(e => e.id).sort()).toEqual([a.id, high.id, m.id].sort());
    await t.service.withdraw(as(ALICE), high.id);
    await t.service.review(as(BOB), a.id, { decision: 'approve' });
    await t.service.review(as(BOB), m.id, { decision: 'approve' });
    expect((await t.service.list(as(BOB), { view: 'expiring' })).map(e => e.id)).toEqual([a.id]);
    expect((await t.service.list(as(BOB), { view: 'all', status: 'active' })).length).toBe(2);
    expect((await t.service.list(as(BOB), { view: 'all', entityRef: CLUSTER })).length).toBe(3); // with the withdrawn one
  });

  it('reminds the owner once before expiry', async () => {
    const e = await t.service.create(as(ALICE), body({ endsAt: new Date(T0.getTime() + 20 * DAY).toISOString() }));
    await t.service.review(as(BOB), e.id, { decision: 'approve' });
    expect((await t.service.sendReminders()).expiry).toBe(0);
    t.clock.advance(7 * 86_400);
    expect((await t.service.sendReminders()).expiry).toBe(1);
    expect((await t.service.sendReminders()).expiry).toBe(0);
    await t.notifier.drain();
    expect(t.sent.filter(n => n.payload.title.includes('ends'))).toHaveLength(1);
  });
});

describe('compensating checks share lookups', () => {
  it('asks the posture source once per (entity, control) in a run', async () => {
    const knex = await databases.init('SQLITE_3');
    const t = await setup(knex);
    for (let i = 0; i < 3; i++) {
      const e = await t.service.create(as(ALICE), body({ scope: { entityRefs: [CLUSTER], findingKey: `${FINDING}-${i}` } }));
      await t.service.review(as(BOB), e.id, { decision: 'approve' });
    }
    const calls: string[] = [];
    const counting = { findings: async (ref: string, c: string) => { calls.push(`${ref} ${c}`); return t.posture.findings(ref, c); } };
    t.posture.set(CLUSTER, 'FG-WEIGHTS-DETECTIVE', 'fail');
    expect(await runCompensatingChecks(t.service, counting)).toEqual({ checked: 3, suspended: 3 });
    expect(calls).toEqual([`${CLUSTER} FG-WEIGHTS-DETECTIVE`]);
  });
});
