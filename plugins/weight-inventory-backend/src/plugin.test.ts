import request from 'supertest';
import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { notificationService } from '@backstage/plugin-notifications-node';
import { weightInventoryPlugin } from './plugin';
import { readSettings } from './config';
import { storeToEntity } from './entityProvider';
import { recordingAuditor } from '@internal/test-stand-ins';

jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const ADMIN = 'user:default/dave';
const RESEARCHER = 'user:default/alice';

async function start(knex: any) {
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
      mockServices.rootConfig.factory({ data: { weightInventory: { demo: { enabled: true }, posture: { storage: { weightStoreTags: { workload: 'model-weights' } } } } } }),
    ],
  });
  const api = (method: 'get' | 'post', path: string, user?: string) => {
    const r = request(backend.server)[method](`/api/weight-inventory${path}`);
    return user ? r.set('Authorization', mockCredentials.user.header(user)) : r;
  };
  return { backend, api, auditor };
}

describe.each(databases.eachSupportedId())('weight-inventory plugin on %p', databaseId => {
  it('serves the inventory to signed-in users, refreshes only with permission, and audits refusals', async () => {
    const knex = await databases.init(databaseId);
    const { backend, api, auditor } = await start(knex);
    try {
      for (const [m, p] of [['get', '/stores'], ['get', '/findings'], ['get', '/drift-events'], ['post', '/refreshes']] as const) {
        expect((await request(backend.server)[m](`/api/weight-inventory${p}`).set('Authorization', mockCredentials.none.header())).status).toBe(401);
        expect((await request(backend.server)[m](`/api/weight-inventory${p}`).set('Authorization', mockCredentials.user.invalidHeader())).status).toBe(401);
      }

      const refused = await api('post', '/refreshes', RESEARCHER).send({});
      expect(refused.status).toBe(403);
      expect(auditor.events).toContainEqual(expect.objectContaining({ eventId: 'permission-denied', outcome: 'fail', meta: expect.objectContaining({ actor: RESEARCHER, permission: 'weight-inventory.refresh' }) }));
      expect((await api('get', '/stores', RESEARCHER)).body.items).toEqual([]);

      const ok = await api('post', '/refreshes', ADMIN).send({});
      expect(ok.status).toBe(201);
      expect(ok.body.refresh).toMatchObject({ status: 'succeeded', stores: 4, requestedBy: ADMIN });
      expect(auditor.events).toContainEqual(expect.objectContaining({ eventId: 'inventory-refresh', outcome: 'success' }));

      const stores = (await api('get', '/stores', RESEARCHER)).body.items;
      expect(stores.map((s: any) => s.id)).toEqual(['storage-legacyweights', 'cluster-training', 'storage-evalcheckpoints', 'storage-frontierweights']);
      expect((await api('get', '/stores?posture=passing', RESEARCHER)).body.items.map((s: any) => s.id)).toEqual(['storage-frontierweights']);

      const posture = await api('get', '/posture?entityRef=resource:default/storage-evalcheckpoints', RESEARCHER);
      expect(posture.status).toBe(200);
      const failing = posture.body.findings.filter((f: any) => f.status === 'fail').map((f: any) => f.controlId);
      expect(failing).toEqual(expect.arrayContaining(['FG-STORAGE-PUBLIC-NETWORK', 'FG-STORAGE-SHARED-KEY', 'FG-K8S-PRIVATE-LINK']));
      expect(posture.body.findings[0]).toMatchObject({ status: 'fail', remediation: expect.any(String), path: expect.any(String) });

      const byControl = await api('get', '/findings?entityRef=resource:default/cluster-training&controlId=FG-K8S-PRIVILEGED&status=fail', RESEARCHER);
      expect(byControl.body.items.map((f: any) => f.findingKey)).toEqual(['FG-K8S-PRIVILEGED:k8s/research-sandbox/Deployment/notebook']);

      expect((await api('get', '/stores/storage-frontierweights/weights?limit=1', RESEARCHER)).body).toMatchObject({ total: 3, items: [expect.objectContaining({ format: 'pytorch' })] });
      expect((await api('get', '/summary', RESEARCHER)).body).toMatchObject({ storageAccounts: { failing: 2, passing: 1 }, clusters: { failing: 1 } });
      expect((await api('get', '/drift-events', RESEARCHER)).body.items).toEqual([]);

      // bad input: 400 naming the field; unknown store: 404
      const bad = await api('get', '/stores?posture=sideways', RESEARCHER);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/posture/);
      expect((await api('get', '/findings?controlId=%E2%80%AEFG', RESEARCHER)).status).toBe(400);
      expect((await api('get', '/drift-events?since=yesterday', RESEARCHER)).status).toBe(400);
      expect((await api('get', '/stores/NOT_AN_ID', RESEARCHER)).status).toBe(400);
      expect((await api('get', '/stores/storage-nope', RESEARCHER)).status).toBe(404);
      expect((await api('get', '/posture?entityRef=user:default/alice', RESEARCHER)).status).toBe(400);
      // the shared backstop: a NUL anywhere, even in a parameter no schema reads, or in the path
      const nul = await api('get', '/stores?extra=a%00b', RESEARCHER);
      expect(nul.status).toBe(400);
      expect(nul.body.error.message).toMatch(/^query\.extra: contains a NUL character/);
      const nulPath = await api('get', '/stores/storage-%00', RESEARCHER);
      expect(nulPath.status).toBe(400);
      expect(nulPath.body.error.message).toMatch(/^path: contains a NUL character/);
    } finally {
      await backend.stop();
      await knex.destroy();
    }
  });
});

describe('configuration', () => {
  it('refuses the demo source in production', () => {
    const cfg = new ConfigReader({ weightInventory: { demo: { enabled: true } }, auth: { environment: 'production' } });
    expect(() => readSettings(cfg, {})).toThrow(/demo/);
    expect(() => readSettings(new ConfigReader({ weightInventory: { demo: { enabled: true } } }), { NODE_ENV: 'production' })).toThrow(/demo/);
    expect(readSettings(new ConfigReader({ weightInventory: { demo: { enabled: true } } }), {}).demo).toBe(true);
  });

  it('refuses an invalid posture configuration naming the key', () => {
    expect(() => readSettings(new ConfigReader({ weightInventory: { posture: { kubernetes: { sandboxes: 'gvisor' } } } }), {})).toThrow(/weightInventory\.posture: kubernetes\.sandboxes/);
  });
});

describe('entity provider', () => {
  it('makes Resource entities of type weight-store and kubernetes-cluster, owned per tag', () => {
    const base = { entityRef: '', source: 'azure', demo: false, tags: {}, posture: 'failing', failing: { low: 0, medium: 0, high: 1, critical: 0 }, passing: 3, weights: { files: 0, bytes: 0 } } as const;
    const store = storeToEntity({ ...base, id: 'storage-acct', kind: 'storage-account', name: 'acct', owner: 'group:default/ml-platform', resourceId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/acct' }, { weightStore: 'weight-store' });
    expect(store.metadata.annotations!['frontier-guard.io/access-policy']).toBe('weight-store');
    expect(storeToEntity({ ...base, id: 'storage-b', kind: 'storage-account', name: 'b', tags: { 'access-policy': 'weights-frontier-70b' } }, { weightStore: 'weight-store' }).metadata.annotations!['frontier-guard.io/access-policy']).toBe('weights-frontier-70b');
    expect(store).toMatchObject({ kind: 'Resource', metadata: { name: 'storage-acct', annotations: { 'frontier-guard.io/azure-scope': expect.stringContaining('storageAccounts/acct') } }, spec: { type: 'weight-store', owner: 'group:default/ml-platform' } });
    const cluster = storeToEntity({ ...base, id: 'cluster-training', kind: 'kubernetes-cluster', name: 'training', demo: true });
    expect(cluster).toMatchObject({ spec: { type: 'kubernetes-cluster', owner: 'group:default/platform-admins' }, metadata: { tags: ['kubernetes', 'weights', 'demo'], annotations: { 'backstage.io/kubernetes-cluster': 'training' } } });
  });
});

describe('store naming', () => {
  it('is the same rule in the CLI (posture-checks) and the API (-common)', () => {
    const cli = require('@internal/posture-checks');
    const common = require('@internal/plugin-weight-inventory-common');
    for (const n of ['FGWeights01', 'Training AKS', '--x--', 'a'.repeat(80)]) {
      expect(cli.storageStoreId(n)).toBe(common.storageStoreId(n));
      expect(cli.clusterStoreId(n)).toBe(common.clusterStoreId(n));
    }
  });
});
