import request from 'supertest';
import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { notificationService } from '@backstage/plugin-notifications-node';
import { recordingAuditor } from '@internal/test-stand-ins';
import { weightInventoryPlugin } from './plugin';

jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const ADMIN = 'user:default/dave';
const RESEARCHER = 'user:default/alice';

/** Found by probing a running portal: a refused refresh body left no audit event (other plugins write input-rejected). */
describe.each(databases.eachSupportedId())('weight-inventory refusals are audited exactly once on %p', databaseId => {
  it('a refresh refused 400 gets one input-rejected event and starts nothing; a 403 gets one event, not two', async () => {
    const knex = await databases.init(databaseId);
    const auditor = recordingAuditor();
    const backend = await startTestBackend({
      features: [
        weightInventoryPlugin,
        mockServices.database.factory({ knex }),
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.permissions.mock({
          authorize: async (requests: any[], options: any) =>
            requests.map(r => ({
              result: r.permission.name === 'weight-inventory.read' || options.credentials.principal.userEntityRef === ADMIN ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
            })) as any,
        }).factory,
        createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
        createServiceFactory({ service: notificationService, deps: {}, factory: () => ({ send: async () => {} }) }),
        mockServices.rootConfig.factory({ data: { weightInventory: { demo: { enabled: true } } } }),
      ],
    });
    const post = (user: string) => request(backend.server).post('/api/weight-inventory/refreshes').set('Authorization', mockCredentials.user.header(user));
    try {
      const bad = await post(ADMIN).send({ force: true });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/force/);
      const rejected = auditor.events.filter(e => e.eventId === 'input-rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ outcome: 'fail', meta: { actor: ADMIN, method: 'POST', path: '/api/weight-inventory/refreshes' } });
      expect(auditor.events.some(e => e.eventId === 'inventory-refresh')).toBe(false);
      const refreshes = await request(backend.server).get('/api/weight-inventory/refreshes').set('Authorization', mockCredentials.user.header(ADMIN));
      expect(refreshes.body.items).toEqual([]);

      const before = auditor.events.length;
      expect((await post(RESEARCHER).send({})).status).toBe(403);
      expect(auditor.events.slice(before).map(e => [e.eventId, e.outcome])).toEqual([['permission-denied', 'fail']]);
    } finally {
      await backend.stop();
    }
  });
});
