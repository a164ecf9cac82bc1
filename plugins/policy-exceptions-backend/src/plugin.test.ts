import request from 'supertest';
import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import { TestDatabases, mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { coreServices, createServiceFactory, resolvePackagePath } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExceptionsPlugin } from './plugin';
import { ALICE, BOB, CAROL, CLUSTER, DAVE, EGRESS, ERIN, FINDING, catalogEntities, content, recordingAuditor } from './__testUtils__/fixtures';

jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/** Mirrors FrontierGuardPermissionPolicy for this plugin: review/revoke/export/checks for reviewers. */
const everyone = ['policy-exceptions.exception.create', 'policy-exceptions.exception.read', 'policy-exceptions.coverage.read'];
const reviewer = [...everyone, 'policy-exceptions.exception.review', 'policy-exceptions.exception.revoke', 'policy-exceptions.export', 'policy-exceptions.checks.run'];
const rights: Record<string, string[]> = { [BOB]: reviewer, [CAROL]: reviewer, [DAVE]: [...everyone, 'policy-exceptions.export', 'policy-exceptions.checks.run'] };
const permissionsMock = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    const p = options.credentials.principal;
    return requests.map(r => ({
      result: p.type === 'service' || (rights[p.userEntityRef] ?? everyone).includes(r.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    })) as any;
  },
});

async function start(knex: Knex, config: JsonObject = {}) {
  const auditor = recordingAuditor();
  const sent: any[] = [];
  const backend = await startTestBackend({
    features: [
      policyExceptionsPlugin,
      catalogServiceMock.factory({ entities: catalogEntities() }),
      createServiceFactory({ service: notificationService, deps: {}, factory: () => ({ send: async (n: any) => { sent.push(n); } }) }),
      mockServices.database.factory({ knex }),
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      permissionsMock.factory,
      createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
      mockServices.rootConfig.factory({ data: { app: { baseUrl: 'http://portal' }, policyExceptions: config } }),
    ],
  });
  const api = (method: 'get' | 'post', path: string, user?: string) => {
    const r = request(backend.server)[method](`/api/policy-exceptions${path}`);
    return user ? r.set('Authorization', mockCredentials.user.header(user)) : r;
  };
  return { backend, api, auditor, sent };
}

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const body = () => ({ controlId: EGRESS, ...content({ endsAt: future(10) }) });

describe.each(databases.eachSupportedId())('policy-exceptions plugin on %p', databaseId => {
  let knex: Knex;
  let t: Awaited<ReturnType<typeof start>> | undefined;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
  });
  afterEach(async () => {
    await t?.backend.stop();
    t = undefined;
  });

  it('requires authentication everywhere; isExcepted and export also accept service credentials', async () => {
    t = await start(knex);
    for (const [m, p] of [['get', '/exceptions'], ['post', '/exceptions'], ['get', '/is-excepted'], ['post', '/exceptions/x/reviews'], ['get', '/export']] as const) {
      expect((await request(t.backend.server)[m](`/api/policy-exceptions${p}`).set('Authorization', mockCredentials.none.header())).status).toBe(401);
    }
    const svc = await request(t.backend.server)
      .get(`/api/policy-exceptions/is-excepted?controlId=${EGRESS}&entityRef=${CLUSTER}`)
      .set('Authorization', mockCredentials.service.header({ onBehalfOf: mockCredentials.service('plugin:model-scan'), targetPluginId: 'policy-exceptions' }));
    expect(svc.status).toBe(200);
    expect(svc.body.excepted).toBe(false);
    // reviews are for people only
    const svcReview = await request(t.backend.server).post('/api/policy-exceptions/exceptions/x/reviews')
      .set('Authorization', mockCredentials.service.header({ onBehalfOf: mockCredentials.service('plugin:x'), targetPluginId: 'policy-exceptions' }))
      .send({ decision: 'approve' });
    expect(isRefusal(svcReview.status)).toBe(true);
  });

  it('400 names the field and the reason; nothing stored', async () => {
    t = await start(knex);
    const bad = await t.api('post', '/exceptions', ALICE).send({ ...body(), justification: 'hidden \u202e text in the justification', compensatingControls: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('justification: must not contain control or formatting characters');
    expect(bad.body.error.message).toContain('compensatingControls');
    const tooLong = await t.api('post', '/exceptions', ALICE).send({ ...body(), risk: { likelihood: 'high', impact: 'high' }, endsAt: future(45) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toBe('endsAt: a critical-risk exception lasts at most 30 days from its start');
    const q = await t.api('get', '/is-excepted?controlId=X&entityRef=nope%20x', ALICE);
    expect(q.status).toBe(400);
    expect(q.body.error.message).toContain('entityRef');
    expect((await t.api('get', '/exceptions', ALICE)).body.items).toEqual([]);
    // NUL and bidi characters never reach SQL, wherever they are
    const nul = await t.api('get', '/exceptions?entityRef=resource%3Adefault%2Fx%00', ALICE);
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toMatch(/^query\.entityRef: contains a NUL character/);
    const nulPath = await t.api('get', '/exceptions/%00', ALICE);
    expect(nulPath.status).toBe(400);
    expect(nulPath.body.error.message).toMatch(/^path: contains a NUL character/);
    expect((await t.api('post', '/exceptions/not-a-uuid/reviews', BOB).send({ decision: 'approve' })).status).toBe(404);
  });

  it('the whole flow over HTTP; 403s are audited; OSCAL exports list the active exception', async () => {
    t = await start(knex);
    const created = await t.api('post', '/exceptions', ALICE).send(body());
    expect(created.status).toBe(201);
    const id = created.body.exception.id;

    const denied = await t.api('post', `/exceptions/${id}/reviews`, ALICE).send({ decision: 'approve' });
    expect(denied.status).toBe(403);
    expect(t.auditor.events.find(e => e.eventId === 'permission-denied')).toMatchObject({ outcome: 'fail', meta: { actor: ALICE, permission: 'policy-exceptions.exception.review' } });
    expect((await t.api('get', '/export', ALICE)).status).toBe(403);

    const ok = await t.api('post', `/exceptions/${id}/reviews`, BOB).send({ decision: 'approve' });
    expect(ok.status).toBe(200);
    expect(ok.body.exception.effectiveStatus).toBe('active');
    const again = await t.api('post', `/exceptions/${id}/reviews`, CAROL).send({ decision: 'approve' });
    expect(again.status).toBe(409);

    const covered = await t.api('get', `/is-excepted?controlId=${EGRESS}&entityRef=${CLUSTER}&findingKey=${encodeURIComponent(FINDING)}`, ERIN);
    expect(covered.body).toMatchObject({ excepted: true, exceptionId: id, approvedBy: [BOB] });
    const later = await t.api('get', `/is-excepted?controlId=${EGRESS}&entityRef=${CLUSTER}&findingKey=${encodeURIComponent(FINDING)}&at=${future(11)}`, ERIN);
    expect(later.body.excepted).toBe(false);
    const many = await t.api('post', '/is-excepted', ERIN).send({ queries: [{ controlId: EGRESS, entityRef: CLUSTER, findingKey: FINDING }, { controlId: EGRESS, entityRef: CLUSTER }] });
    expect(many.body.items.map((i: any) => i.excepted)).toEqual([true, false]);

    const json = await t.api('get', '/export', BOB);
    expect(json.body.items).toMatchObject([{ id, controlId: EGRESS, approvedBy: [BOB], scope: { findingKey: FINDING } }]);
    const poam = await t.api('get', '/export?format=oscal-poam', DAVE);
    const doc = poam.body['plan-of-action-and-milestones'];
    expect(doc.metadata['oscal-version']).toBe('1.1.2');
    expect(doc.risks[0]).toMatchObject({ status: 'deviation-approved', deadline: created.body.exception.content.endsAt });
    expect(doc['poam-items'][0]['related-risks'][0]['risk-uuid']).toBe(doc.risks[0].uuid);
    const ar = await t.api('get', '/export?format=oscal-ar', BOB);
    expect(ar.body['assessment-results'].results[0].findings[0].target).toMatchObject({ 'target-id': EGRESS, status: { state: 'not-satisfied' } });
    const details = await t.api('get', `/exceptions/${id}`, ERIN);
    expect(details.body.history.map((h: any) => h.action)).toEqual(['submitted', 'approved']);
    expect((await t.api('get', '/exceptions/nope', ERIN)).status).toBe(404);
  });

  it('has no clock control unless configured for tests', async () => {
    t = await start(knex);
    expect((await t.api('post', '/admin/clock', DAVE).send({ advanceSeconds: 60 })).status).toBe(404);
    await t.backend.stop();
    t = await start(knex, { testing: { allowClockControl: true } });
    expect((await t.api('post', '/admin/clock', ALICE).send({ advanceSeconds: 60 })).status).toBe(403);
    expect((await t.api('post', '/admin/clock', DAVE).send({ advanceSeconds: 60 })).status).toBe(200);
  });

  it('schedules the compensating-control check once across replicas (scope global); a run with model-scan and the inventory absent records unknown and fails nothing', async () => {
    const tasks: any[] = [];
    const scheduler = mockServices.scheduler.mock({ scheduleTask: async (task: any) => { tasks.push(task); } });
    const auditor = recordingAuditor();
    const backend = await startTestBackend({
      features: [
        policyExceptionsPlugin,
        catalogServiceMock.factory({ entities: catalogEntities() }),
        mockServices.database.factory({ knex }),
        scheduler.factory,
        permissionsMock.factory,
        createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
        createServiceFactory({ service: notificationService, deps: {}, factory: () => ({ send: async () => {} }) }),
      ],
    });
    try {
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ id: 'policy-exceptions-checks', scope: 'global' });
      const created = await request(backend.server).post('/api/policy-exceptions/exceptions')
        .set('Authorization', mockCredentials.user.header(ALICE)).send(body());
      await request(backend.server).post(`/api/policy-exceptions/exceptions/${created.body.exception.id}/reviews`)
        .set('Authorization', mockCredentials.user.header(BOB)).send({ decision: 'approve' });
      await tasks[0].fn(new AbortController().signal);
      const d = await request(backend.server).get(`/api/policy-exceptions/exceptions/${created.body.exception.id}`)
        .set('Authorization', mockCredentials.user.header(ERIN));
      expect(d.body.exception.status).toBe('approved');
      expect(d.body.checks).toMatchObject([{ controlId: 'FG-WEIGHTS-DETECTIVE', status: 'unknown' }]);
    } finally {
      await backend.stop();
    }
  });

  it('refuses to start with the test clock in a production configuration', async () => {
    await expect(
      startTestBackend({
        features: [
          policyExceptionsPlugin,
          catalogServiceMock.factory({ entities: catalogEntities() }),
          mockServices.database.factory({ knex }),
          mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
          mockServices.rootConfig.factory({ data: { auth: { environment: 'production' }, policyExceptions: { testing: { allowClockControl: true } } } }),
        ],
      }),
    ).rejects.toThrow(/allowClockControl must not be set in production/);
  });
});

describe.each(databases.eachSupportedId())('migrations on %p', databaseId => {
  it('go up and down', async () => {
    const knex = await databases.init(databaseId);
    const directory = resolvePackagePath('@internal/plugin-policy-exceptions-backend', 'migrations');
    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('exception_reviews')).toBe(true);
    await knex.migrate.rollback({ directory }, true);
    expect(await knex.schema.hasTable('exceptions')).toBe(false);
  });
});

function isRefusal(status: number) {
  return status === 401 || status === 403;
}
