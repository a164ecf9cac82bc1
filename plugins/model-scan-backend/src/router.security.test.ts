import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Knex } from 'knex';
import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { recordingAuditor } from '@internal/test-stand-ins';
import { modelScanPlugin } from './plugin';

/**
 * Issue 11 (security probe) for model-scan: refused reads are audited (4), control characters
 * never reach the store and never cause a 500 (3), a host NAME resolving to loopback is a 400
 * at submission (6), entity refs must exist and be visible to the caller (7).
 */
jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const MALLORY = 'user:default/mallory';

const component = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { type: 'model', owner: 'group:default/frontier-research', lifecycle: 'production' },
});
/** frontier-secret exists but alice may not see it (the catalog's permission rules, simulated). */
const HIDDEN_FROM: Record<string, string[]> = { [ALICE]: ['component:default/frontier-secret'] };

/** mallory has no model-scan permission at all; only bob may accept verdicts. */
const permissions = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    const user = options.credentials.principal.userEntityRef;
    return requests.map(r => ({
      result:
        user === MALLORY || (r.permission.name === 'model-scan.verdict.accept' && user !== BOB)
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    })) as any;
  },
});

/** Every (method, string path) route registered in the express app behind a test backend's server. */
function routesOf(server: any): Array<{ method: string; path: string }> {
  const app = server.listeners('request').find((l: any) => l?._router || l?.router);
  const found = new Map<string, { method: string; path: string }>();
  const walk = (stack: any[]) => {
    for (const layer of stack ?? []) {
      if (layer.route && typeof layer.route.path === 'string') {
        for (const method of Object.keys(layer.route.methods)) {
          found.set(`${method} ${layer.route.path}`, { method, path: layer.route.path });
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app._router ?? app.router).stack);
  return [...found.values()];
}

async function start(knex: Knex, workDir: string) {
  const auditor = recordingAuditor();
  const inner = catalogServiceMock({ entities: [component('frontier-7b'), component('frontier-secret')] });
  const getEntityByRef = async (ref: any, o: any) => {
    const user = o?.credentials?.principal?.userEntityRef;
    if ((HIDDEN_FROM[user] ?? []).includes(String(ref).toLowerCase())) return undefined;
    return inner.getEntityByRef(ref, o);
  };
  const catalog = new Proxy(inner, {
    get: (target, prop) => {
      if (prop === 'getEntityByRef') return getEntityByRef;
      const value = (target as any)[prop];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const backend = await startTestBackend({
    features: [
      modelScanPlugin,
      permissions.factory,
      mockServices.database.factory({ knex }),
      createServiceFactory({ service: catalogServiceRef, deps: {}, factory: () => catalog }),
      createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
      mockServices.rootConfig.factory({ data: { modelScan: { workDir, maxUploadBytes: 4096 } } }),
    ],
  });
  const server = backend.server;
  const stop = () => backend.stop();
  const api = (method: 'get' | 'post', path: string, user: string) =>
    (request(server) as any)[method](`/api/model-scan${path}`).set('Authorization', mockCredentials.user.header(user));
  return { server, stop, api, events: auditor.events };
}

describe.each(databases.eachSupportedId())('model-scan security on %p', databaseId => {
  let t: Awaited<ReturnType<typeof start>>;
  let workDir: string;
  beforeEach(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'model-scan-security-'));
    t = await start(await databases.init(databaseId), workDir);
  });
  afterEach(async () => {
    await t.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('every refused read is audited as a failed permission-denied event', async () => {
    for (const path of ['/scans', '/scans/00000000-0000-0000-0000-000000000000', '/stats', '/acceptances']) {
      expect([path, (await t.api('get', path, MALLORY)).status]).toEqual([path, 403]);
    }
    const denied = t.events.filter(e => e.eventId === 'permission-denied' && e.outcome === 'fail');
    expect(denied.map(e => [e.meta.actor, e.meta.path])).toEqual([
      [MALLORY, '/api/model-scan/scans'],
      [MALLORY, '/api/model-scan/scans/00000000-0000-0000-0000-000000000000'],
      [MALLORY, '/api/model-scan/stats'],
      [MALLORY, '/api/model-scan/acceptances'],
    ]);
    // refused writes keep their own action event, once
    expect((await t.api('post', '/acceptances', ALICE).send({})).status).toBe(403);
    expect(t.events.filter(e => e.outcome === 'fail').map(e => e.eventId)).toEqual([
      'permission-denied', 'permission-denied', 'permission-denied', 'permission-denied', 'verdict-accept',
    ]);
  });

  it('a target host NAME that resolves to loopback is a 400 at submission, not a queued scan', async () => {
    const res = await t.api('post', '/scans', ALICE).send({ target: 'https://localhost:1/model.safetensors' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^target: Refusing localhost: it resolves to the non-public address/);
    expect((await t.api('get', '/scans', ALICE)).body.items).toEqual([]);
    const failed = t.events.find(e => e.eventId === 'scan-create');
    expect(failed).toMatchObject({ outcome: 'fail' });
  });

  it.each([
    ['NUL', '\u0000', 'NUL'],
    ['right-to-left override', '\u202e', 'bidirectional'],
    ['ANSI escape', '\u001b[2K', 'ANSI escape'],
    ['bare CR', '\r', 'bare carriage return'],
  ])('free text with %s is a 400 naming the field (acceptance justification, target)', async (_what, bad, reason) => {
    const acc = await t.api('post', '/acceptances', BOB).send({
      sha256: 'a'.repeat(64),
      justification: `reviewed the pickle by hand ${bad} and it is fine`,
      expiresAt: new Date(Date.now() + 86400_000).toISOString(),
    });
    expect(acc.status).toBe(400);
    expect(acc.body.error.message).toMatch(/^justification: /);
    expect(acc.body.error.message).toContain(reason);
    const scan = await t.api('post', '/scans', ALICE).send({ target: `hf://org/model${bad}` });
    expect(scan.status).toBe(400);
    expect(scan.body.error.message).toMatch(/^target: /);
    expect((await t.api('get', '/acceptances', ALICE)).body.items).toEqual([]);
  });

  it('no route answers 500 to control characters in the path, query or body', async () => {
    const probes: Array<['get' | 'post', string, object?]> = [
      ['get', '/scans/%00'],
      ['get', '/scans/abc%00def'],
      ['get', '/scans?target=x%00'],
      ['get', '/scans?entityRef=component:default/a%00'],
      ['get', '/scans?verdict=safe%00'],
      ['get', '/gate?target=hf://a/b%00'],
      ['get', '/gate?target=%E2%80%AE'],
      ['get', '/stats?days=1%00'],
      ['get', '/scans/%E0%A4%A'],
      ['post', '/scans/x%00/rescan', {}],
      ['post', '/scans', { target: 'hf://a/b', entityRef: 'component:default/\u0000' }],
      ['post', '/scans', { target: 'hf://a/b', ['k\u0000']: 1 }],
      ['post', '/acceptances', { sha256: `${'a'.repeat(63)}\u0000`, justification: 'x'.repeat(30), expiresAt: '2030-01-01T00:00:00Z' }],
    ];
    for (const [method, path, payload] of probes) {
      const req = t.api(method, path, BOB);
      const res = await (payload ? req.send(payload) : req);
      expect([path, res.status]).toEqual([path, 400]);
    }
  });

  it('generic: every route of the plugin (found in the running app) refuses NUL and bidi input with a 4xx, never 500', async () => {
    const routes = routesOf(t.server).filter(r => !r.path.startsWith('/.'));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const { method, path } of routes) {
      const url = `${path.replace(/:[A-Za-z]+/g, 'x%00y')}?q=%E2%80%AE`;
      const req = t.api(method as 'get' | 'post', url, BOB);
      const res = await (method === 'post' ? req.send({ target: 'a\u0000', ['k\u202e']: 1 }) : req);
      // webhooks answer for themselves (no Backstage caller; unknown source → 404); every other route: 400
      const expected = path.startsWith('/webhooks/') ? 404 : 400;
      expect([method, path, res.status]).toEqual([method, path, expected]);
    }
  });

  it('entity refs: malformed 400, unknown or hidden from the caller 404 (scan and upload), visible ones stored normalized', async () => {
    const bad = await t.api('post', '/scans', ALICE).send({ target: 'hf://org/model', entityRef: 'frontier-7b' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^entityRef: /);
    const unknown = await t.api('post', '/scans', ALICE).send({ target: 'hf://org/model', entityRef: 'component:default/nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/^entityRef: /);
    const hidden = await t.api('post', '/scans', ALICE).send({ target: 'hf://org/model', entityRef: 'component:default/frontier-secret' });
    expect(hidden.status).toBe(404);
    const upload = await t
      .api('post', '/scans/upload', ALICE)
      .field('entityRef', 'component:default/frontier-secret')
      .attach('file', Buffer.from('not a model'), 'weights.bin');
    expect(upload.status).toBe(404);
    expect(upload.body.error.message).toMatch(/^entityRef: /);
    expect(readdirSync(join(workDir, 'uploads')).filter(n => !n.startsWith('.'))).toEqual([]);
    expect((await t.api('get', '/scans', ALICE)).body.items).toEqual([]);
    // bob may see it; the ref is stored normalized
    const ok = await t
      .api('post', '/scans/upload', BOB)
      .field('entityRef', 'Component:default/Frontier-Secret')
      .attach('file', Buffer.from('not a model'), 'weights.bin');
    expect(ok.status).toBe(202);
    expect(ok.body.scan.entityRef).toBe('component:default/frontier-secret');
    // the entity tab asks with the catalog's spelling: the filter is case-insensitive
    const listed = await t.api('get', '/scans?entityRef=component:default/Frontier-Secret', BOB);
    expect(listed.body.items.map((x: any) => x.id)).toEqual([ok.body.scan.id]);
  });
});
