import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Knex } from 'knex';
import { TestDatabases, mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { coreServices, createBackendModule, createServiceFactory } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { accessProvisionersExtensionPoint } from '@internal/plugin-access-requests-node';
import accessRequestsPlugin from '@internal/plugin-access-requests-backend';
import {
  BOB, CAROL, POLICY_DIR, RecordingProvisioner, W7B, orgEntities, resourceEntities,
} from '@internal/plugin-access-requests-backend/src/__testUtils__/fixtures';
import { recordingAuditor } from '@internal/test-stand-ins';
import { detectionsPlugin } from './plugin';
import { GiB, iso, ndjson, podExec, weightReads } from './__testUtils__/fixtures';

/**
 * The plugin in a running backend next to the REAL access-requests backend (grant export and
 * revoke over HTTP), each with its own database, on SQLite and PostgreSQL.
 */
jest.setTimeout(120_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = 'user:default/alice';
const ALICE_UPN = 'alice@frontier.example';
const REVIEWERS = [BOB, CAROL];
const accessEveryone = ['access-requests.request.create', 'access-requests.request.read', 'access-requests.request.review', 'access-requests.grant.read'];
/** Mirrors the portal policy: detections and access-requests' read-all/revoke for reviewers only. */
const permissionsMock = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    const p = options.credentials.principal;
    return requests.map(r => {
      const name: string = r.permission.name;
      if (p.type === 'service') return { result: AuthorizeResult.ALLOW };
      if (name === 'detections.events.ingest') return { result: AuthorizeResult.DENY };
      const reviewer = REVIEWERS.includes(p.userEntityRef);
      const ok = accessEveryone.includes(name) || (reviewer && name !== 'access-requests.break-glass');
      return { result: ok ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
    }) as any;
  },
});

function entities() {
  return [
    ...orgEntities().map(e =>
      e.metadata.name === 'alice' && e.kind === 'User'
        ? { ...e, metadata: { ...e.metadata, annotations: { 'graph.microsoft.com/user-id': 'oid-alice' } }, spec: { ...e.spec, profile: { displayName: 'Alice', email: ALICE_UPN } } }
        : e,
    ),
    ...resourceEntities(),
  ];
}

async function start(knexes: { detections: Knex; access: Knex }) {
  const auditor = recordingAuditor();
  const sent: any[] = [];
  const provisioner = new RecordingProvisioner('azure-role-assignment');
  const backend = await startTestBackend({
    features: [
      detectionsPlugin,
      accessRequestsPlugin,
      createBackendModule({
        pluginId: 'access-requests',
        moduleId: 'test-provisioners',
        register(reg) {
          reg.registerInit({
            deps: { ep: accessProvisionersExtensionPoint },
            async init({ ep }) {
              ep.addProvisioner(provisioner, new RecordingProvisioner('kubernetes-rolebinding'));
            },
          });
        },
      }),
      catalogServiceMock.factory({ entities: entities() }),
      createServiceFactory({ service: notificationService, deps: {}, factory: () => ({ send: async (n: any) => { sent.push(n); } }) }),
      // one database per plugin, as in production
      createServiceFactory({
        service: coreServices.database,
        deps: { plugin: coreServices.pluginMetadata },
        factory: ({ plugin }) => {
          const knex = plugin.getId() === 'detections' ? knexes.detections : knexes.access;
          return { getClient: async () => knex, migrations: { skip: false } };
        },
      }),
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      permissionsMock.factory,
      createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
      mockServices.rootConfig.factory({ data: { accessRequests: { policyDirectory: POLICY_DIR }, detections: { ingest: { maxLines: 1000 } } } }),
    ],
  });
  const as = (user: string) => mockCredentials.user.header(user);
  const service = mockCredentials.service.header({ onBehalfOf: mockCredentials.service('external:log-shipper'), targetPluginId: 'detections' });
  const api = (method: 'get' | 'post', path: string, header?: string) => {
    const r = request(backend.server)[method](`/api/detections${path}`);
    return header ? r.set('Authorization', header) : r;
  };
  const ingest = (body: string, header = service) => api('post', '/ingest', header).set('Content-Type', 'application/x-ndjson').send(body);
  const access = (method: 'get' | 'post', path: string, user: string) =>
    request(backend.server)[method](`/api/access-requests${path}`).set('Authorization', as(user));
  return { backend, api, ingest, access, as, auditor, sent, service };
}

/** Every (method, path) route registered in the express app behind a test backend's server. */
function routesOf(server: any, prefix: string): Array<{ method: string; path: string }> {
  const app = server.listeners('request').find((l: any) => l?._router || l?.router);
  const found = new Map<string, { method: string; path: string }>();
  const walk = (stack: any[], base: string) => {
    for (const layer of stack ?? []) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) found.set(`${method} ${String(layer.route.path)}`, { method, path: String(layer.route.path) });
      } else if (layer.handle?.stack) walk(layer.handle.stack, base);
    }
  };
  walk((app._router ?? app.router).stack, prefix);
  return [...found.values()];
}

describe.each(databases.eachSupportedId())('detections plugin on %p', databaseId => {
  let t: Awaited<ReturnType<typeof start>>;
  beforeEach(async () => {
    t = await start({ detections: await databases.init(databaseId), access: await databases.init(databaseId) });
  });
  afterEach(async () => {
    await t.backend.stop();
  });

  it('ingests from service principals only: a user token is refused and audited', async () => {
    const ok = await t.ingest(`${ndjson([podExec(ALICE_UPN)])}garbage\n`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ accepted: 1, duplicates: 0, rejected: [{ line: 2, error: expect.stringContaining('not JSON') }], alertsOpened: 1 });
    expect(t.auditor.events.filter(e => e.eventId === 'events-ingest').map(e => e.outcome)).toEqual(['success']);

    for (const user of [ALICE, BOB]) {
      const refused = await t.ingest(ndjson([podExec(ALICE_UPN, iso('2026-12-07T10:00:00.000Z', 5))]), t.as(user));
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('service principals only');
    }
    expect(t.auditor.events.filter(e => e.eventId === 'permission-denied').map(e => [e.meta?.actor, e.meta?.permission])).toEqual([
      [ALICE, 'detections.events.ingest'],
      [BOB, 'detections.events.ingest'],
    ]);
    expect((await t.ingest(ndjson([podExec()]), mockCredentials.none.header())).status).toBe(401);
    // not NDJSON
    const json = await t.api('post', '/ingest', t.service).set('Content-Type', 'application/json').send({ records: [] });
    expect(json.status).toBe(400);
    expect(json.body.error.message).toMatch(/^body: send NDJSON/);
    // over the line limit: 400, nothing stored
    const tooMany = await t.ingest(ndjson(Array.from({ length: 1001 }, (_, i) => podExec('x@corp.example', iso('2026-12-07T00:00:00.000Z', i)))));
    expect(tooMany.status).toBe(400);
    expect((await t.api('get', '/events?principal=x%40corp.example', t.as(BOB))).body.items).toEqual([]);
  });

  it('stores batches in the order their requests arrived, also when a later body is complete first', async () => {
    const first = ndjson(weightReads(2, ALICE_UPN, '2026-12-07T09:00:00.000Z'));
    const second = ndjson(weightReads(2, ALICE_UPN, '2026-12-07T09:10:00.000Z'));
    const { port } = t.backend.server.address() as AddressInfo;
    const finished: string[] = [];
    // the first request arrives with half of its body
    const req = http.request({
      port, method: 'POST', path: '/api/detections/ingest',
      headers: { authorization: t.service, 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(first) },
    });
    const firstDone = new Promise<{ status?: number; body: any }>((resolve, reject) => {
      req.on('response', res => {
        let text = '';
        res.setEncoding('utf8').on('data', c => { text += c; }).on('end', () => {
          finished.push('first');
          resolve({ status: res.statusCode, body: JSON.parse(text) });
        });
      });
      req.on('error', reject);
    });
    const half = Math.floor(first.length / 2);
    req.write(first.slice(0, half));
    await new Promise(r => setTimeout(r, 200));
    // the second is sent whole and waits for the first
    const secondDone = t.ingest(second).then(r => { finished.push('second'); return r; });
    await new Promise(r => setTimeout(r, 300));
    expect(finished).toEqual([]);
    req.end(first.slice(half));
    const [a, b] = await Promise.all([firstDone, secondDone]);
    expect(finished).toEqual(['first', 'second']);
    expect([a.status, a.body.accepted, b.status, b.body.accepted]).toEqual([200, 2, 200, 2]);
  });

  it('keeps alerts and events from researchers (403, audited) and shows them to reviewers', async () => {
    await t.ingest(ndjson([podExec(ALICE_UPN), ...weightReads(4, ALICE_UPN)])).expect(200);
    for (const path of ['/alerts', '/events', '/dashboard', '/rules']) {
      const r = await t.api('get', path, t.as(ALICE));
      expect([path, r.status]).toEqual([path, 403]);
    }
    expect(t.auditor.events.filter(e => e.eventId === 'permission-denied' && e.meta?.actor === ALICE)).toHaveLength(4);
    const list = await t.api('get', '/alerts?status=new&limit=1', t.as(BOB));
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.totalCount).toBeGreaterThanOrEqual(2);
    const next = await t.api('get', `/alerts?status=new&limit=1&cursor=${list.body.nextCursor}`, t.as(BOB));
    expect(next.body.items[0].id).not.toBe(list.body.items[0].id);
    const alertId = list.body.items[0].id;
    expect((await t.api('get', `/alerts/${alertId}`, t.as(ALICE))).status).toBe(403);
    const one = await t.api('get', `/alerts/${alertId}`, t.as(CAROL));
    expect(one.body.alert).toMatchObject({ id: alertId, status: 'new', history: [{ action: 'opened', actor: 'detections' }] });
    const events = await t.api('get', `/alerts/${alertId}/events`, t.as(CAROL));
    expect(events.body.items.length).toBeGreaterThan(0);
    const ev = await t.api('get', `/events/${events.body.items[0].id}`, t.as(CAROL));
    expect(ev.body.event.raw).toBeDefined();
    expect((await t.api('get', '/events/00000000-0000-4000-8000-000000000000', t.as(CAROL))).status).toBe(404);
    expect((await t.api('get', '/alerts/not-an-id', t.as(CAROL))).status).toBe(404);
    expect((await t.api('get', '/alerts?severity=severe', t.as(CAROL))).body.error.message).toContain('severity: unknown severity');
    expect((await t.api('get', '/alerts?cursor=abc', t.as(CAROL))).status).toBe(400);
    const dash = await t.api('get', `/dashboard?from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z`, t.as(BOB));
    // the reader as the catalog user the UPN is (the page shows the name, linked)
    expect(dash.body.weightReadsByPrincipal).toEqual([{ principal: ALICE_UPN, principalRef: ALICE, bytes: 16 * GiB, reads: 4 }]);
    const rules = await t.api('get', '/rules', t.as(BOB));
    expect(rules.body.items.find((r: any) => r.id === 'weight-store-bulk-read')).toMatchObject({ kind: 'stateful', kql: expect.any(String) });
    expect(rules.body.items.some((r: any) => r.kind === 'sigma' && /SigmaHQ/.test(r.attribution ?? ''))).toBe(true);
  });

  it('triage: acknowledge, assign, note, close with reason and comment; illegal moves are 409; all audited', async () => {
    await t.ingest(ndjson([podExec(ALICE_UPN)])).expect(200);
    const id = (await t.api('get', '/alerts', t.as(BOB))).body.items[0].id;
    const post = (action: string, body: object, user = BOB) => t.api('post', `/alerts/${id}/${action}`, t.as(user)).send(body);
    expect((await post('acknowledge', {}, ALICE)).status).toBe(403);
    expect((await post('acknowledge', { comment: 'looking' })).body.alert.status).toBe('acknowledged');
    const again = await post('acknowledge', {});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe('The alert is already acknowledged.');
    expect((await post('assign', { assignee: 'user:default/Carol' })).body.alert.assignee).toBe(CAROL);
    expect((await post('assign', { assignee: 'group:default/security-reviewers' })).status).toBe(400);
    const nobody = await post('assign', { assignee: 'user:default/nobody' });
    expect(nobody.status).toBe(400);
    expect(nobody.body.error.message).toBe('assignee: user:default/nobody is not a user in the catalog');
    expect((await post('notes', { text: 'talked to alice' }, CAROL)).status).toBe(200);
    const noComment = await post('close', { reason: 'benign_positive' });
    expect(noComment.status).toBe(400);
    expect(noComment.body.error.message).toContain('comment');
    const closed = await post('close', { reason: 'benign_positive', comment: 'planned debugging session' });
    expect(closed.body.alert).toMatchObject({ status: 'closed', closeReason: 'benign_positive' });
    expect((await post('close', { reason: 'true_positive', comment: 'x' })).status).toBe(409);
    expect((await post('reopen', { comment: 'happened again' })).body.alert).toMatchObject({ status: 'acknowledged' });
    expect((await post('acknowledge', {}, BOB)).status).toBe(409);
    const history = (await t.api('get', `/alerts/${id}`, t.as(BOB))).body.alert.history;
    expect(history.map((h: any) => [h.action, h.actor])).toEqual([
      ['opened', 'detections'], ['acknowledged', BOB], ['assigned', BOB], ['noted', CAROL], ['closed', BOB], ['reopened', BOB],
    ]);
    const audit = t.auditor.events.filter(e => e.eventId.startsWith('alert-')).map(e => [e.eventId, e.outcome]);
    expect(audit).toEqual([
      ['alert-acknowledge', 'success'], ['alert-acknowledge', 'fail'], ['alert-assign', 'success'], ['alert-assign', 'fail'], ['alert-note', 'success'],
      ['alert-close', 'success'], ['alert-close', 'fail'], ['alert-reopen', 'success'], ['alert-acknowledge', 'fail'],
    ]);
    // refusals and rejected writes are audited too
    expect(t.auditor.events.filter(e => e.eventId === 'permission-denied' && e.meta?.actor === ALICE)).toHaveLength(1);
    expect(t.auditor.events.filter(e => e.eventId === 'input-rejected')).toHaveLength(2);
  });

  it('revokes the principal\'s grant on the store through access-requests, on behalf of the reviewer, audited in both', async () => {
    // alice gets a grant on the 7B weights (two reviewers approve)
    const reqId = (await t.access('post', '/requests', ALICE).send({ resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 240, justification: 'evaluate the 7b checkpoint' })).body.request.id;
    await t.access('post', `/requests/${reqId}/reviews`, BOB).send({ decision: 'approve' }).expect(200);
    await t.access('post', `/requests/${reqId}/reviews`, CAROL).send({ decision: 'approve' }).expect(200);
    const grant = (await t.access('get', '/grants?scope=mine', ALICE)).body.items[0];
    expect(grant.status).toBe('active');

    // then reads far more than a person should (on the store of that grant)
    const now = new Date(Date.now() - 10 * 60_000).toISOString();
    const r = await t.ingest(ndjson(weightReads(4, ALICE_UPN, now, 4, { account: 'frontierweights', container: 'frontier-7b' })));
    expect(r.body.accepted).toBe(4);
    const alert = (await t.api('get', '/alerts?rule=weight-store-bulk-read', t.as(BOB))).body.items[0];
    // refs from the catalog: the user by e-mail, the store by its Azure scope; the entity tab's filter finds it
    expect(alert).toMatchObject({ principal: ALICE_UPN, principalRef: ALICE, resource: 'frontierweights/frontier-7b', resourceRef: W7B });
    for (const ref of [ALICE, W7B]) {
      const tab = await t.api('get', `/alerts?entityRef=${encodeURIComponent(ref)}`, t.as(BOB));
      expect(tab.body.items.map((a: any) => a.id)).toContain(alert.id);
    }

    expect((await t.api('get', `/alerts/${alert.id}/grants`, t.as(ALICE))).status).toBe(403);
    const grants = await t.api('get', `/alerts/${alert.id}/grants`, t.as(BOB));
    expect(grants.body.items).toEqual([{ grantId: grant.id, userRef: ALICE, resourceRef: W7B, role: 'blob-reader', end: expect.any(String) }]);

    expect((await t.api('post', `/alerts/${alert.id}/revoke-grants`, t.as(ALICE)).send({ reason: 'x' })).status).toBe(403);
    expect((await t.api('post', `/alerts/${alert.id}/revoke-grants`, t.as(BOB)).send({})).status).toBe(400);
    const revoked = await t.api('post', `/alerts/${alert.id}/revoke-grants`, t.as(BOB)).send({ reason: 'bulk download of weights' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toEqual([{ grantId: grant.id, resourceRef: W7B, userRef: ALICE }]);
    expect(revoked.body.alert.history.at(-1)).toMatchObject({ action: 'grants-revoked', actor: BOB, comment: expect.stringContaining('bulk download of weights') });

    // access-requests ended the grant, recorded the reviewer (not the detections plugin) as the actor
    const after = (await t.access('get', `/grants/${grant.id}`, BOB)).body.grant;
    expect(after.status).toBe('revoked');
    const accessAudit = t.auditor.events.find(e => e.eventId.includes('revoke') && e.eventId !== 'alert-revoke-grants');
    expect(accessAudit).toMatchObject({ outcome: 'success', meta: expect.objectContaining({ actor: BOB }) });
    expect(t.auditor.events.filter(e => e.eventId === 'alert-revoke-grants').map(e => e.outcome)).toEqual(['success']);
    // the researcher's attempt and the reasonless request were refusals, each audited
    expect(t.auditor.events.filter(e => e.eventId === 'permission-denied' && e.meta?.actor === ALICE).map(e => e.meta?.permission))
      .toEqual(['detections.alert.revoke', 'detections.alert.revoke']);
    expect(t.auditor.events.filter(e => e.eventId === 'input-rejected').map(e => e.meta?.path)).toEqual([`/api/detections/alerts/${alert.id}/revoke-grants`]);
    // nothing left to revoke
    expect((await t.api('get', `/alerts/${alert.id}/grants`, t.as(BOB))).body.items).toEqual([]);
    expect((await t.api('post', `/alerts/${alert.id}/revoke-grants`, t.as(BOB)).send({ reason: 'again' })).status).toBe(409);
  });

  it('notifies the security reviewers of a new high alert with a link to its page', async () => {
    await t.ingest(ndjson([podExec(ALICE_UPN, undefined, 'research-sandbox')])).expect(200);
    const alert = (await t.api('get', '/alerts', t.as(BOB))).body.items[0];
    const id = alert.id;
    // the namespace is a catalog resource (frontier-guard.io/kubernetes-namespace): the alert names it
    expect(alert).toMatchObject({ principalRef: ALICE, resourceRef: 'resource:default/research-sandbox-namespace' });
    for (let i = 0; i < 50 && !t.sent.some(n => n.payload.topic === 'detections'); i++) await new Promise(r => setTimeout(r, 20));
    expect(t.sent.filter(n => n.payload.topic === 'detections')).toEqual([
      expect.objectContaining({ recipients: { type: 'entity', entityRef: 'group:default/security-reviewers' }, payload: expect.objectContaining({ link: `/detections/alerts/${id}`, severity: 'high' }) }),
    ]);
  });

  it('generic: every route of the plugin answers 400, never 500, to NUL and bidi input', async () => {
    const routes = routesOf(t.backend.server, '').filter(r => !r.path.startsWith('/.'));
    const ours = routes.filter(r => ['/ingest', '/alerts', '/events', '/dashboard', '/rules'].some(p => r.path.startsWith(p)));
    expect(ours.length).toBeGreaterThanOrEqual(15);
    for (const { method, path } of ours) {
      const url = `${path.replace(/:[A-Za-z]+/g, 'x%00y')}?q=%E2%80%AE`;
      const header = path === '/ingest' ? t.service : t.as(BOB);
      const req = t.api(method as 'get' | 'post', url, header);
      const res = await (method === 'post' ? req.send({ comment: 'a\u0000', ['k\u202e']: 1 }) : req);
      expect([method, path, res.status]).toEqual([method, path, 400]);
    }
  });
});
