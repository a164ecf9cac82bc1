import request from 'supertest';
import { Knex } from 'knex';
import { TestDatabases, mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExceptionsPlugin } from './plugin';
import { ALICE, BOB, EGRESS, catalogEntities, content, recordingAuditor } from './__testUtils__/fixtures';

jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const everyone = ['policy-exceptions.exception.create', 'policy-exceptions.exception.read', 'policy-exceptions.coverage.read'];
const reviewer = [...everyone, 'policy-exceptions.exception.review', 'policy-exceptions.exception.revoke', 'policy-exceptions.export', 'policy-exceptions.checks.run'];
const permissionsMock = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    const p = options.credentials.principal;
    return requests.map(r => ({
      result: (p.userEntityRef === BOB ? reviewer : everyone).includes(r.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    })) as any;
  },
});

/** Found by probing a running portal: refused writes of this plugin left no audit event (other plugins write input-rejected). */
describe.each(databases.eachSupportedId())('policy-exceptions refusals are audited exactly once on %p', databaseId => {
  let knex: Knex;
  let stop: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('a write refused 400 by its schema gets one input-rejected event; a 403 gets one event, not two', async () => {
    const auditor = recordingAuditor();
    const backend = await startTestBackend({
      features: [
        policyExceptionsPlugin,
        catalogServiceMock.factory({ entities: catalogEntities() }),
        createServiceFactory({ service: notificationService, deps: {}, factory: () => ({ send: async () => {} }) }),
        mockServices.database.factory({ knex }),
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        permissionsMock.factory,
        createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
        mockServices.rootConfig.factory({ data: { app: { baseUrl: 'http://portal' } } }),
      ],
    });
    stop = () => backend.stop();
    const post = (path: string, user: string) =>
      request(backend.server).post(`/api/policy-exceptions${path}`).set('Authorization', mockCredentials.user.header(user));

    const bad = await post('/exceptions', ALICE).send({ controlId: 5, scope: 'everything' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/controlId: /);
    let rejected = auditor.events.filter(e => e.eventId === 'input-rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ outcome: 'fail', meta: { actor: ALICE, method: 'POST', path: '/api/policy-exceptions/exceptions' } });

    // nothing was stored
    expect((await request(backend.server).get('/api/policy-exceptions/exceptions?view=all').set('Authorization', mockCredentials.user.header(BOB))).body.items).toEqual([]);

    // a researcher revoking: refused by the permission check, audited there only
    const before = auditor.events.length;
    expect((await post('/exceptions/00000000-0000-4000-8000-000000000001/revoke', ALICE).send({ reason: 'no' })).status).toBe(403);
    const added = auditor.events.slice(before);
    expect(added.map(e => [e.eventId, e.outcome])).toEqual([['permission-denied', 'fail']]);

    // a reviewer approving their own exception: refused inside the service's audited review, one event
    const own = await post('/exceptions', BOB).send({ controlId: EGRESS, ...content({ endsAt: new Date(Date.now() + 10 * 86_400_000).toISOString() }) });
    expect(own.status).toBe(201);
    const mark = auditor.events.length;
    expect((await post(`/exceptions/${own.body.exception.id}/reviews`, BOB).send({ decision: 'approve' })).status).toBe(403);
    const review = auditor.events.slice(mark).filter(e => e.outcome === 'fail');
    expect(review.map(e => e.eventId)).toEqual(['exception-review']);
    rejected = auditor.events.filter(e => e.eventId === 'input-rejected' || e.eventId === 'permission-denied');
    expect(rejected).toHaveLength(2);
  });
});
