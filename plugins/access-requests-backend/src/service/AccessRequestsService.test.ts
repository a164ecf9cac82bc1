import { Knex } from 'knex';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { isGrantActive } from '@internal/plugin-access-requests-common';
import { AdjustableClock } from '../clock';
import { AccessStore } from '../store/AccessStore';
import { AccessRequestsService } from './AccessRequestsService';
import { CatalogDirectory } from './CatalogDirectory';
import { Notifier } from './Notifier';
import { ProvisionerRegistry } from './ProvisionerRegistry';
import {
  ADMINS, ALICE, BOB, CAROL, DAVE, ERIN, FLAKY, MALLORY, NS, OWNERS, SEC, T0, W70B, W7B,
  RecordingProvisioner, orgEntities, recordingAuditor, resourceEntities, testPolicies,
} from '../__testUtils__/fixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

async function setup(knex: Knex) {
  const clock = new AdjustableClock({ now: () => T0 });
  const store = await AccessStore.create({ knex });
  const policies = await testPolicies();
  const auditor = recordingAuditor();
  const azure = new RecordingProvisioner('azure-role-assignment');
  const k8s = new RecordingProvisioner('kubernetes-rolebinding');
  const flaky = new RecordingProvisioner('flaky');
  const recordOnly = new RecordingProvisioner('record-only');
  const notifications = { send: jest.fn(async (_: any) => {}) };
  const logger = mockServices.logger.mock();
  const make = (entities: Entity[] = [...orgEntities(), ...resourceEntities()]) =>
    new AccessRequestsService({
      store,
      policies,
      directory: new CatalogDirectory(catalogServiceMock({ entities }), mockServices.auth()),
      provisioners: new ProvisionerRegistry([azure, k8s, flaky, recordOnly]),
      notifier: new Notifier(notifications, logger),
      auditor,
      logger,
      clock,
    });
  return { clock, store, auditor, azure, k8s, flaky, notifications, policies, service: make(), make };
}

const as = (userRef: string) => ({ userRef });
const readerRequest = { resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 60, justification: 'eval of 7b' };

describe.each(databases.eachSupportedId())('AccessRequestsService on %p', databaseId => {
  let knex: Knex;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
  });

  it('two distinct security reviewers approve → one active, provisioned grant; self-approval refused', async () => {
    const { service, azure, auditor, notifications } = await setup(knex);
    const req = await service.createRequest(as(ALICE), readerRequest);
    expect(req.status).toBe('pending');
    expect(req.remaining).toEqual([{ group: SEC, needed: 2, have: 0 }]);
    expect(req.policy.roleId).toBe('blob-reader');
    // approvers notified through their group
    expect(notifications.send).toHaveBeenCalledWith(
      expect.objectContaining({ recipients: expect.objectContaining({ entityRef: [SEC], excludeEntityRef: ALICE }) }),
    );

    await expect(service.review(as(ALICE), req.id, { decision: 'approve' })).rejects.toMatchObject({ name: 'NotAllowedError' });

    const r1 = await service.review(as(BOB), req.id, { decision: 'approve', comment: 'ok' });
    expect(r1.request.status).toBe('pending');
    expect(r1.request.remaining).toEqual([{ group: SEC, needed: 2, have: 1 }]);
    expect(r1.grant).toBeUndefined();

    const r2 = await service.review(as(CAROL), req.id, { decision: 'approve' });
    expect(r2.request.status).toBe('approved');
    expect(r2.grant).toMatchObject({ status: 'active', userRef: ALICE, provisioning: { state: 'provisioned' }, active: true });
    expect(r2.grant!.expiresAt).toBe(new Date(T0.getTime() + 60 * 60_000).toISOString());
    // the grant in the response (built from what the review wrote) is what the database holds
    expect(r2.grant!.history.map(h => h.event)).toEqual(['created', 'provisioned']);
    expect(JSON.parse(JSON.stringify(r2.grant))).toEqual(JSON.parse(JSON.stringify(await service.getGrantView(r2.grant!.id))));
    expect(azure.provisioned).toHaveLength(1);
    expect(azure.provisioned[0].resource.annotations['frontier-guard.io/azure-scope']).toContain('/containers/frontier-7b');
    expect(r2.request.reviews.map(r => r.asGroup)).toEqual([SEC, SEC]);
    expect(auditor.events.map(e => e.eventId)).toEqual(
      expect.arrayContaining(['request-create', 'request-review', 'grant-active']),
    );
    expect(auditor.events.find(e => e.eventId === 'request-review' && e.meta?.actor === ALICE)?.outcome).toBe('fail');
  });

  it('the policy is frozen at creation: editing the policy later changes only new requests', async () => {
    const { service, policies } = await setup(knex);
    const before = await service.createRequest(as(ALICE), readerRequest);
    const loaded = policies.map.get('weights-frontier-7b')!;
    const relaxed = JSON.parse(JSON.stringify(loaded.policy));
    relaxed.roles[0].approvals = [{ group: SEC, count: 1 }];
    policies.map.set('weights-frontier-7b', { ...loaded, policy: relaxed, digest: 'edited' });
    const r = await service.review(as(BOB), before.id, { decision: 'approve' });
    expect(r.request.status).toBe('pending'); // still 2 needed, as frozen
    expect(r.request.policy.roles[0].approvals).toEqual([{ group: SEC, count: 2 }]);
    const after = await service.createRequest(as(ALICE), readerRequest);
    expect(after.remaining).toEqual([{ group: SEC, needed: 1, have: 0 }]);
    expect(after.policy.digest).toBe('edited');
  });

  it('one review per person (409), the database also refuses a duplicate', async () => {
    const { service, store } = await setup(knex);
    const req = await service.createRequest(as(ALICE), readerRequest);
    await service.review(as(BOB), req.id, { decision: 'approve' });
    await expect(service.review(as(BOB), req.id, { decision: 'approve' })).rejects.toMatchObject({ name: 'ConflictError' });
    await expect(
      store.insertReview({ requestId: req.id, reviewer: BOB, decision: 'approve', comment: '', eligibleGroups: [SEC], createdAt: T0.toISOString() }),
    ).rejects.toThrow();
    expect((await service.getRequestView(req.id)).reviews).toHaveLength(1);
  });

  it('eligibility is CURRENT catalog membership, never a grant the reviewer holds', async () => {
    const { service, make } = await setup(knex);
    // erin holds an active blob-reader grant on the same store (approved by bob and carol)
    const erinReq = await service.createRequest(as(ERIN), readerRequest);
    await service.review(as(BOB), erinReq.id, { decision: 'approve' });
    const { grant } = await service.review(as(CAROL), erinReq.id, { decision: 'approve' });
    expect(grant?.active).toBe(true);

    const req = await service.createRequest(as(ALICE), readerRequest);
    await expect(service.review(as(ERIN), req.id, { decision: 'approve' })).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: 'you are not a current member of security-reviewers, the approver group of this request',
    });
    // the approver group by its catalog title when it has one; the ref in the error's ids
    const titled = make([
      ...orgEntities().map(e => (e.metadata.name === 'security-reviewers' ? { ...e, metadata: { ...e.metadata, title: 'Security reviewers' } } : e)),
      ...resourceEntities(),
    ]);
    await expect(titled.review(as(ERIN), req.id, { decision: 'approve' })).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: 'you are not a current member of Security reviewers, the approver group of this request',
      ids: { groups: SEC },
    });
    // bob leaves security-reviewers after the request was created: refused at review time
    const afterReorg = make([...orgEntities({ bob: ['group:default/researchers'] }), ...resourceEntities()]);
    await expect(afterReorg.review(as(BOB), req.id, { decision: 'approve' })).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect((await service.getRequestView(req.id)).reviews).toHaveLength(0);
  });

  it('rigid: one owner AND one security reviewer, by distinct people', async () => {
    const { service } = await setup(knex);
    const body = { resourceRef: W70B, roleId: 'blob-reader', durationMinutes: 30, justification: 'incident', ticket: 'SEC-42' };
    const req = await service.createRequest(as(ALICE), body);
    expect(req.remaining).toEqual([{ group: OWNERS, needed: 1, have: 0 }, { group: SEC, needed: 1, have: 0 }]);
    // mallory is in both groups: counts once only
    const r1 = await service.review(as(MALLORY), req.id, { decision: 'approve' });
    expect(r1.request.status).toBe('pending');
    expect(r1.request.remaining.reduce((n, s) => n + s.have, 0)).toBe(1);
    // two security reviewers cannot fill the owner step... bob fills security, mallory moves to owner
    const r2 = await service.review(as(BOB), req.id, { decision: 'approve' });
    expect(r2.request.status).toBe('approved');
    expect(Object.fromEntries(r2.request.reviews.map(r => [r.reviewer, r.asGroup]))).toEqual({ [MALLORY]: OWNERS, [BOB]: SEC });

    const req2 = await service.createRequest(as(ALICE), body);
    await service.review(as(BOB), req2.id, { decision: 'approve' });
    const r3 = await service.review(as(CAROL), req2.id, { decision: 'approve' });
    expect(r3.request.status).toBe('pending');
    expect(r3.request.remaining).toEqual([{ group: OWNERS, needed: 1, have: 0 }, { group: SEC, needed: 1, have: 1 }]);
  });

  it('rigid: any denial ends the request; a decided request never changes', async () => {
    const { service, notifications } = await setup(knex);
    const req = await service.createRequest(as(ALICE), readerRequest);
    await service.review(as(BOB), req.id, { decision: 'approve' });
    const denied = await service.review(as(CAROL), req.id, { decision: 'deny', comment: 'no ticket' });
    expect(denied.request.status).toBe('denied');
    expect(denied.grant).toBeUndefined();
    await expect(service.review(as(MALLORY), req.id, { decision: 'approve' })).rejects.toMatchObject({ name: 'ConflictError' });
    await expect(service.withdraw(as(ALICE), req.id)).rejects.toMatchObject({ name: 'ConflictError' });
    const after = await service.getRequestView(req.id);
    expect(after.status).toBe('denied');
    expect(after.reviews).toHaveLength(2);
    expect(after.grantId).toBeUndefined();
    // the requester heard about each decision
    expect(notifications.send.mock.calls.filter(c => c[0].recipients.entityRef === ALICE)).toHaveLength(2);
  });

  it('withdraw: only the requester, only while pending', async () => {
    const { service } = await setup(knex);
    const req = await service.createRequest(as(ALICE), readerRequest);
    await expect(service.withdraw(as(BOB), req.id)).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect((await service.withdraw(as(ALICE), req.id)).status).toBe('withdrawn');
    await expect(service.review(as(BOB), req.id, { decision: 'approve' })).rejects.toMatchObject({ name: 'ConflictError' });
  });

  it('request validation: duration, justification, ticket, unknown role, unknown resource', async () => {
    const { service } = await setup(knex);
    await expect(service.createRequest(as(ALICE), { ...readerRequest, durationMinutes: 481 })).rejects.toThrow(/durationMinutes/);
    await expect(service.createRequest(as(ALICE), { ...readerRequest, justification: '' })).rejects.toThrow(/justification/);
    await expect(service.createRequest(as(ALICE), { ...readerRequest, resourceRef: W70B, ticket: 'NOPE' })).rejects.toThrow(/ticket/);
    await expect(service.createRequest(as(ALICE), { ...readerRequest, roleId: 'owner' })).rejects.toThrow(/roleId/);
    await expect(service.createRequest(as(ALICE), { ...readerRequest, resourceRef: 'resource:default/nope' })).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await service.listRequests(as(ALICE), { scope: 'mine' }, false)).toHaveLength(0);
  });

  it('flexible: self-service viewer is approved at creation and audited; editor needs the owner team', async () => {
    const { service, k8s, auditor } = await setup(knex);
    const viewer = await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'debug' });
    expect(viewer.status).toBe('approved');
    expect(viewer.selfService).toBe(true);
    const grant = await service.getGrantView(viewer.grantId!);
    expect(grant.active).toBe(true);
    expect(k8s.provisioned.map(t => t.role.provisioner)).toEqual([{ type: 'kubernetes-rolebinding', clusterRole: 'view' }]);
    expect(auditor.events.find(e => e.eventId === 'request-self-service-approve')?.meta).toMatchObject({ requestId: viewer.id });

    const editor = await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'editor', durationMinutes: 60, justification: 'deploy' });
    expect(editor.status).toBe('pending');
    expect(editor.remaining).toEqual([{ group: OWNERS, needed: 1, have: 0 }]);
    await expect(service.review(as(BOB), editor.id, { decision: 'approve' })).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect((await service.review(as(ERIN), editor.id, { decision: 'approve' })).request.status).toBe('approved');
  });

  it('inbox lists only what the caller may decide now', async () => {
    const { service } = await setup(knex);
    const a = await service.createRequest(as(ALICE), readerRequest);
    const b = await service.createRequest(as(BOB), readerRequest);
    const bobInbox = await service.listRequests(as(BOB), { scope: 'inbox' }, false);
    expect(bobInbox.map(r => r.id)).toEqual([a.id]);
    await service.review(as(BOB), a.id, { decision: 'approve' });
    expect(await service.listRequests(as(BOB), { scope: 'inbox' }, false)).toHaveLength(0);
    expect((await service.listRequests(as(CAROL), { scope: 'inbox' }, false)).map(r => r.id).sort()).toEqual([a.id, b.id].sort());
    expect(await service.listRequests(as(ERIN), { scope: 'inbox' }, false)).toHaveLength(0);
    await expect(service.listRequests(as(ERIN), { scope: 'all' }, false)).rejects.toMatchObject({ name: 'NotAllowedError' });
    await expect(service.getRequest(as(ERIN), a.id, false)).rejects.toMatchObject({ name: 'NotAllowedError' });
  });

  it('expiry: inactive the moment the clock passes expiresAt; the sweep deprovisions and records it', async () => {
    const { service, azure, clock } = await setup(knex);
    const req = await service.createRequest(as(ALICE), readerRequest);
    await service.review(as(BOB), req.id, { decision: 'approve' });
    const { grant } = await service.review(as(CAROL), req.id, { decision: 'approve' });
    clock.advance(60 * 60); // exactly expiresAt
    const before = await service.getGrantView(grant!.id);
    expect(before.status).toBe('active'); // sweep has not run...
    expect(isGrantActive(before, clock.now())).toBe(false); // ...but it is not active
    expect(before.active).toBe(false);
    const sweep = await service.runExpirySweep();
    expect(sweep.expiredGrants).toBe(1);
    const after = await service.getGrantView(grant!.id);
    expect(after.status).toBe('expired');
    expect(after.provisioning.state).toBe('deprovisioned');
    expect(after.history.map(h => h.event)).toEqual(['created', 'provisioned', 'expired', 'deprovisioned']);
    expect(azure.deprovisioned.map(t => t.externalId)).toEqual([`azure-role-assignment:${grant!.id}`]);
    // idempotent
    expect(await service.runExpirySweep()).toEqual({ expiredRequests: 0, expiredGrants: 0, deprovisioned: 0, resumed: 0, reminders: 0 });
    expect(azure.deprovisioned).toHaveLength(1);
  });

  it('after a restart (new service instance on the same database) overdue grants are revoked at once', async () => {
    const first = await setup(knex);
    const req = await first.service.createRequest(as(ALICE), readerRequest);
    await first.service.review(as(BOB), req.id, { decision: 'approve' });
    const { grant } = await first.service.review(as(CAROL), req.id, { decision: 'approve' });
    // the process is down for three hours
    const second = await setup(knex);
    second.clock.advance(3 * 3600);
    await second.service.runExpirySweep(); // what the startup hook runs
    const after = await second.service.getGrantView(grant!.id);
    expect(after).toMatchObject({ status: 'expired', provisioning: { state: 'deprovisioned' } });
    expect(second.azure.deprovisioned).toHaveLength(1);
  });

  it('overlapping grants of the same role are counted: the first expiring does not cut the second', async () => {
    const { service, azure, clock } = await setup(knex);
    const approve = async (duration: number) => {
      const r = await service.createRequest(as(ALICE), { ...readerRequest, durationMinutes: duration });
      await service.review(as(BOB), r.id, { decision: 'approve' });
      return (await service.review(as(CAROL), r.id, { decision: 'approve' })).grant!;
    };
    const short = await approve(30);
    clock.advance(10 * 60);
    const long = await approve(120);
    clock.advance(25 * 60); // short has ended, long is active
    await service.runExpirySweep();
    const s = await service.getGrantView(short.id);
    expect(s.status).toBe('expired');
    expect(s.history.map(h => h.event)).toContain('deprovision-skipped');
    expect(azure.deprovisioned).toHaveLength(0);
    expect((await service.getGrantView(long.id)).active).toBe(true);
    clock.advance(120 * 60);
    await service.runExpirySweep();
    expect(azure.deprovisioned.map(t => t.grantId)).toEqual([long.id]);
  });

  it('revoking one of two overlapping grants keeps access; revoking the last removes it', async () => {
    const { service, k8s } = await setup(knex);
    const g1 = (await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'x' })).grantId!;
    const g2 = (await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 90, justification: 'y' })).grantId!;
    await expect(service.revokeGrant(as(ERIN), g1, 'no', false)).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect((await service.revokeGrant(as(BOB), g1, 'incident', true)).status).toBe('revoked');
    expect(k8s.deprovisioned).toHaveLength(0);
    await service.revokeGrant(as(ALICE), g2, 'done early', false);
    expect(k8s.deprovisioned.map(t => t.grantId)).toEqual([g2]);
    await expect(service.revokeGrant(as(BOB), g2, 'again', true)).rejects.toMatchObject({ name: 'ConflictError' });
  });

  it('provisioning failure leaves a visible failed grant (never active); retry makes it active', async () => {
    const { service, flaky, auditor } = await setup(knex);
    flaky.failWith = 'ARM said 503';
    const req = await service.createRequest(as(ALICE), { resourceRef: FLAKY, roleId: 'reader', durationMinutes: 60 });
    const failed = await service.getGrantView(req.grantId!);
    expect(failed).toMatchObject({ status: 'failed', active: false, provisioning: { state: 'failed', error: 'ARM said 503' } });
    expect(failed.history.map(h => h.event)).toEqual(['created', 'provisioning-failed']);
    expect(auditor.events.find(e => e.eventId === 'grant-provisioning-failed')?.outcome).toBe('fail');
    await expect(service.retryGrant(as(ERIN), failed.id, false)).rejects.toMatchObject({ name: 'NotAllowedError' });
    flaky.failWith = undefined;
    const retried = await service.retryGrant(as(ALICE), failed.id, false);
    expect(retried).toMatchObject({ status: 'active', active: true, provisioning: { state: 'provisioned' } });
    await expect(service.retryGrant(as(ALICE), failed.id, false)).rejects.toMatchObject({ name: 'ConflictError' });
  });

  it('a grant left scheduled by a crash before provisioning is provisioned by the sweep', async () => {
    const { service, store, azure, clock } = await setup(knex);
    const req = await service.createRequest(as(ALICE), readerRequest);
    await service.review(as(BOB), req.id, { decision: 'approve' });
    // simulate: the approving process died after commit, before provisioning
    const realProvision = service.provision.bind(service);
    (service as any).provision = async () => {};
    const { grant } = await service.review(as(CAROL), req.id, { decision: 'approve' });
    (service as any).provision = realProvision;
    expect(grant).toMatchObject({ status: 'scheduled', active: false, provisioning: { state: 'pending' } });
    expect((await service.runExpirySweep()).resumed).toBe(0); // too fresh: maybe still in flight
    clock.advance(3 * 60);
    expect((await service.runExpirySweep()).resumed).toBe(1);
    expect(await store.getGrant(grant!.id)).toMatchObject({ status: 'active', provisioning: { state: 'provisioned' } });
    expect(azure.provisioned).toHaveLength(1);
  });

  it('sweeps in one process run one after another', async () => {
    const { service, clock } = await setup(knex);
    await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'x' });
    clock.advance(3600);
    const [a, b] = await Promise.all([service.runExpirySweep(), service.runExpirySweep()]);
    expect(a.expiredGrants + b.expiredGrants).toBe(1);
    expect(a.deprovisioned + b.deprovisioned).toBe(1);
  });

  it('a missing provisioner type fails the grant instead of pretending', async () => {
    const { store, make } = await setup(knex);
    const svc = make();
    (svc as any).o.provisioners = new ProvisionerRegistry([]);
    const req = await svc.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'x' });
    const grant = await store.getGrant(req.grantId!);
    expect(grant).toMatchObject({ status: 'failed', provisioning: { state: 'failed' } });
    expect(grant!.provisioning.error).toContain("no provisioner registered for type 'kubernetes-rolebinding'");
  });

  it('pending requests expire at their decision deadline', async () => {
    const { service, clock } = await setup(knex);
    const req = await service.createRequest(as(ALICE), readerRequest);
    clock.advance(24 * 3600);
    await expect(service.review(as(BOB), req.id, { decision: 'approve' })).rejects.toMatchObject({ name: 'ConflictError' });
    expect((await service.getRequestView(req.id)).status).toBe('expired');
    const req2 = await service.createRequest(as(ALICE), readerRequest);
    clock.advance(24 * 3600);
    expect((await service.runExpirySweep()).expiredRequests).toBe(1);
    expect((await service.getRequestView(req2.id)).status).toBe('expired');
  });

  it('sends exactly one reminder before expiry', async () => {
    const { service, clock, notifications } = await setup(knex);
    const req = await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'x' });
    await service.runExpirySweep();
    const reminders = () => notifications.send.mock.calls.filter(c => String(c[0].payload.title).includes('ends at'));
    expect(reminders()).toHaveLength(0);
    clock.advance(35 * 60); // 25 minutes left, lead time 30
    expect((await service.runExpirySweep()).reminders).toBe(1);
    expect((await service.runExpirySweep()).reminders).toBe(0);
    expect(reminders()).toHaveLength(1);
    expect(reminders()[0][0].recipients.entityRef).toBe(ALICE);
    expect((await service.getGrantView(req.grantId!)).history.map(h => h.event)).toContain('reminder-sent');
  });

  it('a failing notification service never fails the request', async () => {
    const { service, notifications } = await setup(knex);
    notifications.send.mockRejectedValue(new Error('notifications down'));
    const req = await service.createRequest(as(ALICE), readerRequest);
    expect(req.status).toBe('pending');
    await service.review(as(BOB), req.id, { decision: 'approve' });
    expect((await service.review(as(CAROL), req.id, { decision: 'approve' })).grant?.active).toBe(true);
  });

  it('renewal is a new request linked to the grant, under the current policy', async () => {
    const { service, auditor } = await setup(knex);
    const g = (await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'x' })).grantId!;
    await expect(service.renewGrant(as(ERIN), g, { durationMinutes: 30 })).rejects.toMatchObject({ name: 'NotAllowedError' });
    // the refused renewal is an audit event too
    expect(auditor.events.filter(e => e.eventId === 'grant-renew-request')).toEqual([
      expect.objectContaining({ outcome: 'fail', meta: expect.objectContaining({ actor: ERIN, renewsGrantId: g }) }),
    ]);
    const renewal = await service.renewGrant(as(ALICE), g, { durationMinutes: 30, justification: 'more' });
    expect(renewal).toMatchObject({ renewsGrantId: g, requester: ALICE, roleId: 'viewer' });
    // a revoked grant is not renewable (the UI offers Renew on active grants only; the backend agrees)
    await service.revokeGrant(as(BOB), g, 'left the project', true);
    await expect(service.renewGrant(as(ALICE), g, { durationMinutes: 30, justification: 'again' })).rejects.toMatchObject({ name: 'ConflictError' });
    expect(auditor.events.filter(e => e.eventId === 'grant-renew-request').map(e => e.outcome)).toEqual(['fail', 'success', 'fail']);
  });

  it('break-glass: platform admins only, short, critical audit, security reviewers notified, two post-hoc reviews', async () => {
    const { service, auditor, notifications, make } = await setup(knex);
    const body = { resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 30, justification: 'prod outage, weights corrupted' };
    // permission granted but not a current platform admin: the group by its catalog title, its ref in ids
    const titled = make([
      ...orgEntities().map(e => (e.metadata.name === 'platform-admins' ? { ...e, metadata: { ...e.metadata, title: 'Platform admins' } } : e)),
      ...resourceEntities(),
    ]);
    await expect(titled.breakGlass(as(ALICE), body, true)).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: 'break-glass is for current members of Platform admins only',
      ids: { group: ADMINS },
    });
    expect(auditor.events.filter(e => e.eventId === 'break-glass').at(-1)?.meta).toMatchObject({ ids: { group: ADMINS } });
    await expect(service.breakGlass(as(ALICE), body, true)).rejects.toMatchObject({ name: 'NotAllowedError' });
    // current admin but no permission
    await expect(service.breakGlass(as(DAVE), body, false)).rejects.toMatchObject({ name: 'NotAllowedError' });
    await expect(service.breakGlass(as(DAVE), { ...body, durationMinutes: 61 }, true)).rejects.toThrow(/durationMinutes/);
    // the refusal names the policy by its title; its id stays in the error's ids and the audit meta
    const forbidden = await service.breakGlass(as(DAVE), { ...body, resourceRef: W70B }, true).catch(e => e);
    expect(forbidden).toMatchObject({
      name: 'NotAllowedError',
      message: 'the Frontier 70B weights policy does not allow break-glass access',
      ids: { policy: 'weights-frontier-70b' },
    });
    expect(auditor.events.filter(e => e.eventId === 'break-glass').at(-1)).toMatchObject({
      outcome: 'fail',
      error: 'the Frontier 70B weights policy does not allow break-glass access',
      meta: expect.objectContaining({ resourceRef: W70B, ids: { policy: 'weights-frontier-70b' } }),
    });
    const grant = await service.breakGlass(as(DAVE), body, true);
    expect(grant).toMatchObject({ breakGlass: true, userRef: DAVE, active: true, postHocReviews: [], postHocReviewsNeeded: 2 });
    const audit = auditor.events.filter(e => e.eventId === 'break-glass');
    expect(audit.every(e => e.severityLevel === 'critical')).toBe(true);
    expect(audit.map(e => e.outcome)).toEqual(['fail', 'fail', 'fail', 'fail', 'fail', 'success']);
    expect(notifications.send).toHaveBeenCalledWith(
      expect.objectContaining({ recipients: expect.objectContaining({ entityRef: SEC }), payload: expect.objectContaining({ severity: 'critical' }) }),
    );
    // post-hoc reviews
    await expect(service.postHocReview(as(DAVE), grant.id, { decision: 'confirm', comment: 'me' }, true)).rejects.toMatchObject({ name: 'NotAllowedError' });
    await expect(service.postHocReview(as(ERIN), grant.id, { decision: 'confirm', comment: 'x' }, true)).rejects.toMatchObject({ name: 'NotAllowedError' });
    await expect(service.postHocReview(as(BOB), grant.id, { decision: 'confirm', comment: 'x' }, false)).rejects.toMatchObject({ name: 'NotAllowedError' });
    await service.postHocReview(as(BOB), grant.id, { decision: 'confirm', comment: 'ok' }, true);
    await expect(service.postHocReview(as(BOB), grant.id, { decision: 'flag', comment: 'again' }, true)).rejects.toMatchObject({ name: 'ConflictError' });
    const done = await service.postHocReview(as(CAROL), grant.id, { decision: 'flag', comment: 'too broad' }, true);
    expect(done.postHocReviews!.map(r => r.reviewer)).toEqual([BOB, CAROL]);
    expect(done.history.map(h => h.event)).toEqual(expect.arrayContaining(['break-glass', 'post-hoc-confirm', 'post-hoc-flag', 'post-hoc-complete']));
    // a normal grant cannot be post-hoc reviewed
    const viewer = await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'x' });
    await expect(service.postHocReview(as(BOB), viewer.grantId!, { decision: 'confirm', comment: 'x' }, true)).rejects.toMatchObject({ name: 'ConflictError' });
    expect(ADMINS).toBe('group:default/platform-admins');
  });

  it('resource search returns requestable resources with their policy; details list active holders', async () => {
    const { service } = await setup(knex);
    const found = await service.searchResources('frontier 7b weights');
    expect(found.items[0].entityRef).toBe(W7B);
    expect(found.items[0].policy.roles.map(r => r.id)).toEqual(['blob-reader', 'blob-contributor']);
    expect(found.suggestion).toBeUndefined(); // no suggester configured in this test
    await service.createRequest(as(ALICE), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'x' });
    await service.createRequest(as(ERIN), { resourceRef: NS, roleId: 'viewer', durationMinutes: 60, justification: 'y' });
    // the caller's own grants only, unless they hold read-all
    expect((await service.getResourceDetails(as(ALICE), NS, false)).activeGrants.map(g => g.userRef)).toEqual([ALICE]);
    expect((await service.getResourceDetails(as(ALICE), NS, true)).activeGrants.map(g => g.userRef).sort()).toEqual([ALICE, ERIN]);
  });

  it('concurrent approvals produce exactly one grant (repeated)', async () => {
    const { service, store, azure } = await setup(knex);
    for (let i = 0; i < 5; i++) {
      // both approvals are needed and arrive together
      const a = await service.createRequest(as(ALICE), readerRequest);
      const both = await Promise.allSettled([
        service.review(as(BOB), a.id, { decision: 'approve' }),
        service.review(as(CAROL), a.id, { decision: 'approve' }),
      ]);
      expect(both.map(r => r.status)).toEqual(['fulfilled', 'fulfilled']);
      // one approval is already in; two more race for the last slot
      const b = await service.createRequest(as(ERIN), readerRequest);
      await service.review(as(BOB), b.id, { decision: 'approve' });
      const race = await Promise.allSettled([
        service.review(as(CAROL), b.id, { decision: 'approve' }),
        service.review(as(MALLORY), b.id, { decision: 'approve' }),
      ]);
      const ok = race.filter(r => r.status === 'fulfilled');
      const refused = race.filter(r => r.status === 'rejected') as PromiseRejectedResult[];
      expect(ok).toHaveLength(1);
      expect(refused.map(r => r.reason.name)).toEqual(['ConflictError']);
      for (const id of [a.id, b.id]) {
        const view = await service.getRequestView(id);
        expect(view.status).toBe('approved');
        const grants = await store.listGrants({ userRef: view.requester });
        expect(grants.filter(g => g.requestId === id)).toHaveLength(1);
        expect(view.grantId).toBe(grants.find(g => g.requestId === id)!.id);
      }
    }
    expect(azure.provisioned).toHaveLength(10);
  });
});
