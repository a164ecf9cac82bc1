import request from 'supertest';
import { Knex } from 'knex';
import { TestDatabases, mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ALICE, BOB, CAROL, ERIN, NS, W7B, W70B, orgEntities, resourceEntities } from './__testUtils__/fixtures';
import { startAccessRequestsBackend } from './__testUtils__/testBackend';

/**
 * Issue 11 (security probe), items 2, 3, 4 and 7, and "reads by URL": every aggregate view
 * applies the record's read rule, free text refuses control characters (never a 500), every
 * refusal is audited, entity refs are validated against what the caller may see in the catalog.
 */
jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const readAll = [BOB, CAROL];
const everyone = ['access-requests.request.create', 'access-requests.request.read', 'access-requests.request.review', 'access-requests.grant.read'];
const permissionsMock = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    const user = options.credentials.principal.userEntityRef;
    return requests.map(r => ({
      result: everyone.includes(r.permission.name) || (readAll.includes(user) && r.permission.name !== 'access-requests.break-glass')
        ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    })) as any;
  },
});

/** Entities a user may not see in the catalog (the catalog's permission rules, simulated). */
const HIDDEN_FROM: Record<string, string[]> = { [ERIN]: [W70B] };

async function start(knex: Knex) {
  const entities = [...orgEntities(), ...resourceEntities()];
  const inner = catalogServiceMock({ entities });
  const hidden = (user: string | undefined, ref: string) => (HIDDEN_FROM[user ?? ''] ?? []).includes(ref.toLowerCase());
  const catalog = Object.assign(Object.create(inner), {
    async getEntityByRef(ref: any, options: any) {
      if (hidden(options?.credentials?.principal?.userEntityRef, String(ref))) return undefined;
      return inner.getEntityByRef(ref, options);
    },
    async getEntities(query: any, options: any) {
      const user = options?.credentials?.principal?.userEntityRef;
      const result = await inner.getEntities(query, options);
      return { ...result, items: result.items.filter((e: any) => !hidden(user, `resource:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`)) };
    },
  });
  const { backend, auditor } = await startAccessRequestsBackend({ knex, permissions: permissionsMock, catalog });
  const api = (method: 'get' | 'post', path: string, user: string) =>
    request(backend.server)[method](`/api/access-requests${path}`).set('Authorization', mockCredentials.user.header(user));
  return { backend, api, auditor };
}

/** Every (method, path) route registered in the express app behind a test backend's server. */
function routesOf(server: any): Array<{ method: string; path: string }> {
  const app = server.listeners('request').find((l: any) => l?._router || l?.router);
  const found = new Map<string, { method: string; path: string }>();
  const walk = (stack: any[]) => {
    for (const layer of stack ?? []) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          const path = String(layer.route.path);
          found.set(`${method} ${path}`, { method, path });
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app._router ?? app.router).stack);
  return [...found.values()];
}

const body = { resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 60, justification: 'evaluate 7b', ticket: 'SEC-1' };
const failed = (t: Awaited<ReturnType<typeof start>>, eventId: string) =>
  t.auditor.events.filter(e => e.eventId === eventId && e.outcome === 'fail');

describe.each(databases.eachSupportedId())('access-requests security on %p', databaseId => {
  let knex: Knex;
  let t: Awaited<ReturnType<typeof start>>;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
    t = await start(knex);
  });
  afterEach(async () => {
    await t.backend.stop();
  });

  async function approvedGrantOf(user: string) {
    const id = (await t.api('post', '/requests', user).send(body)).body.request.id;
    await t.api('post', `/requests/${id}/reviews`, BOB).send({ decision: 'approve' }).expect(200);
    const r = await t.api('post', `/requests/${id}/reviews`, CAROL).send({ decision: 'approve' }).expect(200);
    return { requestId: id, grantId: r.body.grant.id as string };
  }

  it('the resource view shows a researcher only their own grants; read-all sees every holder', async () => {
    const erin = await approvedGrantOf(ERIN);
    const alice = await approvedGrantOf(ALICE);
    // erin's grant by id: refused to alice, and the refusal is audited
    expect((await t.api('get', `/grants/${erin.grantId}`, ALICE)).status).toBe(403);
    const view = await t.api('get', '/resources/resource/default/weights-frontier-7b', ALICE).expect(200);
    const seen = [...view.body.activeGrants, ...view.body.history];
    expect(seen.map((g: any) => g.id)).toEqual([alice.grantId, alice.grantId]);
    expect(JSON.stringify(view.body)).not.toContain(ERIN);
    const all = await t.api('get', '/resources/Resource/default/weights-frontier-7b', BOB).expect(200);
    expect(all.body.activeGrants.map((g: any) => g.userRef).sort()).toEqual([ALICE, ERIN]);
    // lists: mine only, scope=all refused without read-all
    expect((await t.api('get', `/grants?resourceRef=${W7B}`, ALICE)).body.items.map((g: any) => g.id)).toEqual([alice.grantId]);
    expect((await t.api('get', `/requests?resourceRef=${W7B}`, ALICE)).body.items.map((r: any) => r.id)).toEqual([alice.requestId]);
    expect((await t.api('get', '/requests?scope=all', ALICE)).status).toBe(403);
    expect((await t.api('get', '/grants?scope=all', ALICE)).status).toBe(403);
  });

  it('reads by URL: a decided request of someone else is refused to a researcher of an approval group who did not review it', async () => {
    // w7b's blob-reader: two security reviewers; research-sandbox editor: one of the owner group (alice, erin, mallory)
    const pending = (await t.api('post', '/requests', ALICE).send({ resourceRef: NS, roleId: 'editor', durationMinutes: 30, justification: 'secret reason', ticket: 'SEC-9' })).body.request.id;
    // erin is in the owner group: she may decide it while pending, so she reads it (as in her inbox)
    expect((await t.api('get', '/requests?scope=inbox', ERIN)).body.items.map((r: any) => r.id)).toEqual([pending]);
    expect((await t.api('get', `/requests/${pending}`, ERIN)).body.request.justification).toBe('secret reason');
    // bob is in no approval group of this request but holds read-all: he reads it
    expect((await t.api('get', `/requests/${pending}`, BOB)).status).toBe(200);
    // a request on w7b (security reviewers only): erin is in no approval group → 403, audited
    const other = (await t.api('post', '/requests', ALICE).send(body)).body.request.id;
    const refused = await t.api('get', `/requests/${other}`, ERIN);
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).not.toContain('evaluate 7b');
    // once decided by mallory, erin (who did not review it) no longer reads the pending-only request;
    // mallory's approval answer carries the request, not alice's grant (mallory has no read-all)
    const decided = await t.api('post', `/requests/${pending}/reviews`, 'user:default/mallory').send({ decision: 'approve' }).expect(200);
    expect(decided.body.request.status).toBe('approved');
    expect(decided.body.grant).toBeUndefined();
    expect((await t.api('get', `/requests/${pending}`, ERIN)).status).toBe(403);
    // the reviewer still reads it, without the requester's grant (grant: holder or read-all)
    const asReviewer = await t.api('get', `/requests/${pending}`, 'user:default/mallory').expect(200);
    expect(asReviewer.body.request.status).toBe('approved');
    expect(asReviewer.body.grant).toBeUndefined();
    const asRequester = await t.api('get', `/requests/${pending}`, ALICE).expect(200);
    expect(asRequester.body.grant.userRef).toBe(ALICE);
    // "decided by me" without read-all: mallory lists what she reviewed, erin (no review) nothing
    const reviewed = await t.api('get', '/requests?scope=reviewed', 'user:default/mallory').expect(200);
    expect(reviewed.body.items.map((r: any) => r.id)).toEqual([pending]);
    expect((await t.api('get', '/requests?scope=reviewed', ERIN).expect(200)).body.items).toEqual([]);
    expect(failed(t, 'permission-denied').map(e => [e.meta?.actor, e.meta?.path])).toEqual([
      [ERIN, `/api/access-requests/requests/${other}`],
      [ERIN, `/api/access-requests/requests/${pending}`],
    ]);
  });

  it('every refused read is audited: GET /requests/:id, GET /grants/:id, scope=all', async () => {
    const { requestId, grantId } = await approvedGrantOf(ALICE);
    expect((await t.api('get', `/requests/${requestId}`, ERIN)).status).toBe(403);
    expect((await t.api('get', `/grants/${grantId}`, ERIN)).status).toBe(403);
    expect((await t.api('get', '/requests?scope=all', ERIN)).status).toBe(403);
    expect((await t.api('get', '/grants?scope=all', ERIN)).status).toBe(403);
    const events = failed(t, 'permission-denied');
    expect(events.map(e => e.meta?.path)).toEqual([
      `/api/access-requests/requests/${requestId}`,
      `/api/access-requests/grants/${grantId}`,
      '/api/access-requests/requests',
      '/api/access-requests/grants',
    ]);
    expect(events.every(e => e.meta?.actor === ERIN && e.severityLevel === 'medium')).toBe(true);
  });

  it.each([
    ['NUL', 'evaluate\u00007b', 'NUL'],
    ['right-to-left override', 'evaluate \u202E7b', 'bidirectional'],
    ['ANSI escape', 'ok\u001b[2K\u001b[1Gapproved by security', 'ANSI escape'],
    ['bare CR', 'visible\rhidden', 'bare carriage return'],
  ])('free text with %s is a 400 naming the field, audited, nothing stored', async (_what, text, reason) => {
    const res = await t.api('post', '/requests', ALICE).send({ ...body, justification: text });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^justification: /);
    expect(res.body.error.message).toContain(reason);
    expect((await t.api('get', '/requests', ALICE)).body.items).toEqual([]);
    expect(failed(t, 'input-rejected')).toEqual([
      expect.objectContaining({ severityLevel: 'low', meta: expect.objectContaining({ actor: ALICE, method: 'POST' }) }),
    ]);
    const ticket = await t.api('post', '/requests', ALICE).send({ ...body, ticket: text });
    expect(ticket.status).toBe(400);
    expect(ticket.body.error.message).toMatch(/^ticket: /);
  });

  it('no route answers 500 to control characters anywhere (path, query, body, keys)', async () => {
    const { requestId, grantId } = await approvedGrantOf(ALICE);
    const nul = '%00';
    const probes: Array<['get' | 'post', string, object?]> = [
      ['get', `/requests/${nul}`],
      ['get', `/requests/${requestId}${nul}`],
      ['get', `/grants/x${nul}y`],
      ['get', `/resources/resource/default/w${nul}`],
      ['get', `/resources/resource/default/%E2%80%AE`],
      ['get', `/resources?query=a${nul}`],
      ['get', `/requests?resourceRef=resource:default/a${nul}`],
      ['get', `/grants?status=active${nul}`],
      ['get', `/requests/%E0%A4%A`],
      ['post', `/requests/${requestId}/reviews`, { decision: 'deny', comment: 'no\u0000' }],
      ['post', `/requests/x${nul}/withdraw`, {}],
      ['post', `/grants/${grantId}/revoke`, { reason: 'r\u202e' }],
      ['post', `/grants/${grantId}/renew`, { durationMinutes: 10, justification: '\u009b31m' }],
      ['post', `/grants/${grantId}/post-hoc-reviews`, { decision: 'flag', comment: 'x\u0000' }],
      ['post', '/break-glass', { ...body, durationMinutes: 10, justification: 'prod is down, restoring weights\u0000' }],
      ['post', '/requests', { ...body, roleId: 'blob-reader\u0000' }],
      ['post', '/requests', { ...body, resourceRef: 'resource:default/w\u0000' }],
      ['post', '/requests', { ...body, ['key\u0000']: 1 }],
    ];
    for (const [method, path, payload] of probes) {
      for (const user of [ALICE, BOB]) {
        const req = t.api(method, path, user);
        const res = await (payload ? req.send(payload) : req);
        expect([path, res.status]).toEqual([path, 400]);
      }
    }
    // nothing stored changed
    expect((await t.api('get', `/grants/${grantId}`, ALICE)).body.grant).toMatchObject({ status: 'active' });
  });

  it('generic: every route of the plugin (found in the running app) answers 400, never 500, to NUL and bidi input', async () => {
    // the plugin's own routes (not the framework's /.well-known and /.backstage ones)
    const routes = routesOf(t.backend.server).filter(r => !r.path.startsWith('/.'));
    expect(routes.length).toBeGreaterThanOrEqual(14);
    for (const { method, path } of routes) {
      const url = `${path.replace(/:[A-Za-z]+/g, 'x%00y')}?q=%E2%80%AE`;
      for (const user of [ALICE, BOB]) {
        const req = t.api(method as 'get' | 'post', url, user);
        const res = await (method === 'post' ? req.send({ justification: 'a\u0000', ['k\u202e']: 1 }) : req);
        expect([method, path, res.status]).toEqual([method, path, 400]);
      }
    }
  });

  it('entity refs: malformed → 400 naming the field; unknown or hidden from the caller → 404', async () => {
    const bad = await t.api('post', '/requests', ALICE).send({ ...body, resourceRef: 'weights-frontier-7b' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^resourceRef: /);
    expect((await t.api('get', '/resources/resource/default/no..such..', ALICE)).status).toBe(400);
    const unknown = await t.api('post', '/requests', ALICE).send({ ...body, resourceRef: 'resource:default/no-such-thing' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/^resourceRef: /);
    // W70B exists but erin may not see it in the catalog: same answer as a missing entity
    const hidden = await t.api('post', '/requests', ERIN).send({ ...body, resourceRef: W70B, roleId: 'blob-reader' });
    expect(hidden.status).toBe(404);
    expect((await t.api('get', '/resources/resource/default/weights-frontier-70b', ERIN)).status).toBe(404);
    expect((await t.api('get', '/resources/resource/default/weights-frontier-70b', ALICE)).status).toBe(200);
    // the resource search lists only what the caller may see
    const search = (user: string) => t.api('get', `/resources?query=${encodeURIComponent('frontier 70b weights')}`, user);
    expect((await search(ALICE)).body.items.map((r: any) => r.entityRef)).toContain(W70B);
    expect((await search(ERIN)).body.items.map((r: any) => r.entityRef)).not.toContain(W70B);
    // refs are normalized: mixed case names the same resource
    const mixed = await t.api('post', '/requests', ALICE).send({ ...body, resourceRef: 'Resource:Default/Weights-Frontier-7B' });
    expect(mixed.status).toBe(201);
    expect(mixed.body.request.resourceRef).toBe(W7B);
  });
});
