import request from 'supertest';
import { Knex } from 'knex';
import { TestDatabases, mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { AccessStore } from './store/AccessStore';
import { ALICE, BOB, CAROL, DAVE, ERIN, MALLORY, NS, W70B, W7B } from './__testUtils__/fixtures';
import { startAccessRequestsBackend } from './__testUtils__/testBackend';

jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/** Mirrors the lead's permission policy: everyone create/read/review/grant.read; extra rights by group. */
const extra: Record<string, string[]> = {
  [BOB]: ['access-requests.read-all', 'access-requests.grant.revoke', 'access-requests.grant.post-hoc-review'],
  [CAROL]: ['access-requests.read-all', 'access-requests.grant.revoke', 'access-requests.grant.post-hoc-review'],
  [DAVE]: ['access-requests.read-all', 'access-requests.grant.revoke', 'access-requests.break-glass'],
};
const everyone = ['access-requests.request.create', 'access-requests.request.read', 'access-requests.request.review', 'access-requests.grant.read'];
/** `${userRef} ${permissionName}` pairs a test takes away (a policy change); cleared after each test. */
const withheld = new Set<string>();
/** Every authorize call (one round trip to the permission backend each): the permissions asked. */
const authorizeCalls: string[][] = [];
const permissionsMock = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    authorizeCalls.push(requests.map(r => r.permission.name));
    const user = options.credentials.principal.userEntityRef;
    return requests.map(r => ({
      result: [...everyone, ...(extra[user] ?? [])].includes(r.permission.name) && !withheld.has(`${user} ${r.permission.name}`)
        ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    })) as any;
  },
});

async function start(knex: Knex, options: { allowClockControl?: boolean } = {}) {
  const started = await startAccessRequestsBackend({
    knex,
    permissions: permissionsMock,
    config: { testing: { allowClockControl: options.allowClockControl ?? false } },
  });
  const { backend } = started;
  const api = (method: 'get' | 'post', path: string, user?: string) => {
    const r = request(backend.server)[method](`/api/access-requests${path}`);
    return user ? r.set('Authorization', mockCredentials.user.header(user)) : r;
  };
  return { ...started, api };
}

const body = { resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 60, justification: 'evaluate 7b' };

describe.each(databases.eachSupportedId())('access-requests plugin on %p', databaseId => {
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof start>>['backend'] | undefined;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
  });
  afterEach(async () => {
    withheld.clear();
    await backend?.stop();
    backend = undefined;
  });

  it('requires authentication everywhere (401)', async () => {
    const t = await start(knex);
    backend = t.backend;
    for (const [m, p] of [['get', '/resources'], ['get', '/requests'], ['post', '/requests'], ['get', '/grants'], ['post', '/break-glass'], ['post', '/requests/x/reviews']] as const) {
      const unauthenticated = request(t.backend.server)[m](`/api/access-requests${p}`).set('Authorization', mockCredentials.none.header());
      expect((await unauthenticated).status).toBe(401);
      const invalid = request(t.backend.server)[m](`/api/access-requests${p}`).set('Authorization', mockCredentials.user.invalidHeader());
      expect((await invalid).status).toBe(401);
    }
  });

  it('400 names the fields', async () => {
    const t = await start(knex);
    backend = t.backend;
    const res = await t.api('post', '/requests', ALICE).send({ resourceRef: 'nope', durationMinutes: 'soon' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toEqual(expect.stringContaining('resourceRef'));
    expect(res.body.error.message).toEqual(expect.stringContaining('roleId'));
    expect(res.body.error.message).toEqual(expect.stringContaining('durationMinutes'));
    const tooLong = await t.api('post', '/requests', ALICE).send({ ...body, durationMinutes: 481 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('durationMinutes');
    const review = await t.api('post', '/requests/x/reviews', BOB).send({ decision: 'maybe' });
    expect(review.status).toBe(400);
    expect(review.body.error.message).toContain('decision');
    expect((await t.api('get', '/requests', ALICE)).body.items).toEqual([]);
  });

  it('the browser-test flow: self-approval 403, double review 409, grant-holder 403, two reviewers → active, clock past expiry → expired and deprovisioned', async () => {
    const t = await start(knex, { allowClockControl: true });
    backend = t.backend;
    // erin first obtains her own grant on the store (she is not a security reviewer)
    const erinReq = (await t.api('post', '/requests', ERIN).send(body)).body.request;
    await t.api('post', `/requests/${erinReq.id}/reviews`, BOB).send({ decision: 'approve' }).expect(200);
    await t.api('post', `/requests/${erinReq.id}/reviews`, CAROL).send({ decision: 'approve' }).expect(200);

    const created = await t.api('post', '/requests', ALICE).send(body);
    expect(created.status).toBe(201);
    const id = created.body.request.id;
    // the approvers (security reviewers) are asked: the plugin resolves the group to its members
    // (one cached catalog look-up) and the send names them, without the requester
    expect(t.sent.find(n => n.payload.scope === `access-request:${id}`)?.recipients).toMatchObject({ type: 'entity', entityRef: [BOB, CAROL, MALLORY] });

    const self = await t.api('post', `/requests/${id}/reviews`, ALICE).send({ decision: 'approve' });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toContain('self-approval');

    const holder = await t.api('post', `/requests/${id}/reviews`, ERIN).send({ decision: 'approve' });
    expect(holder.status).toBe(403);

    expect((await t.api('get', '/requests?scope=inbox', BOB)).body.items.map((r: any) => r.id)).toEqual([id]);
    await t.api('post', `/requests/${id}/reviews`, BOB).send({ decision: 'approve' }).expect(200);
    const again = await t.api('post', `/requests/${id}/reviews`, BOB).send({ decision: 'approve' });
    expect(again.status).toBe(409);

    const second = await t.api('post', `/requests/${id}/reviews`, CAROL).send({ decision: 'approve' });
    expect(second.status).toBe(200);
    expect(second.body.request.status).toBe('approved');
    expect(second.body.grant).toMatchObject({ status: 'active', active: true, provisioning: { state: 'provisioned' } });
    const grantId = second.body.grant.id;

    const mine = (await t.api('get', '/grants?scope=mine', ALICE)).body.items;
    expect(mine.map((g: any) => g.id)).toEqual([grantId]);

    // only platform admins move the clock
    expect((await t.api('post', '/admin/clock', ALICE).send({ advanceSeconds: 3601 })).status).toBe(403);
    const moved = await t.api('post', '/admin/clock', DAVE).send({ advanceSeconds: 3601 });
    expect(moved.status).toBe(200);
    expect(moved.body.sweep.expiredGrants).toBe(2);

    const after = (await t.api('get', '/grants?scope=mine', ALICE)).body.items[0];
    expect(after).toMatchObject({ status: 'expired', active: false, provisioning: { state: 'deprovisioned' } });
    expect(after.history.map((h: any) => h.event)).toEqual(['created', 'provisioned', 'expired', 'deprovisioned']);
    expect(t.azure.deprovisioned.map(x => x.grantId)).toContain(grantId);

    // the entity tab view: alice sees her own grant only (erin's needs read-all)
    const details = await t.api('get', '/resources/resource/default/weights-frontier-7b', ALICE);
    expect(details.status).toBe(200);
    expect(details.body.activeGrants).toEqual([]);
    expect(details.body.history.map((g: any) => g.userRef)).toEqual([ALICE]);
    const all = await t.api('get', '/resources/resource/default/weights-frontier-7b', BOB);
    expect(all.body.history.map((g: any) => g.userRef).sort()).toEqual([ALICE, ERIN]);
  });

  it('asks the permission backend once per request (read-all decided in the same call)', async () => {
    const t = await start(knex);
    backend = t.backend;
    const calls = async (r: PromiseLike<{ status: number }>, status: number) => {
      authorizeCalls.length = 0;
      expect((await r).status).toBe(status);
      return authorizeCalls.map(c => c.join('+'));
    };
    const created = (await t.api('post', '/requests', ALICE).send(body)).body.request;
    expect(await calls(t.api('get', `/requests/${created.id}`, ALICE), 200)).toEqual([
      'access-requests.request.read+access-requests.read-all',
    ]);
    expect(await calls(t.api('get', '/requests/00000000-0000-4000-8000-000000000000', BOB), 404)).toHaveLength(1);
    expect(await calls(t.api('get', '/requests?scope=all', BOB), 200)).toHaveLength(1);
    expect(await calls(t.api('post', `/requests/${created.id}/reviews`, BOB).send({ decision: 'approve' }), 200)).toEqual([
      'access-requests.request.review+access-requests.read-all',
    ]);
    authorizeCalls.length = 0;
    const approved = await t.api('post', `/requests/${created.id}/reviews`, CAROL).send({ decision: 'approve' });
    expect(approved.body.grant).toMatchObject({ status: 'active' });
    expect(authorizeCalls).toHaveLength(1);
    const grantId = approved.body.grant.id;
    expect(await calls(t.api('get', `/grants/${grantId}`, ALICE), 200)).toHaveLength(1);
    expect(await calls(t.api('get', '/grants?scope=all', BOB), 200)).toHaveLength(1);
    expect(await calls(t.api('get', '/resources/resource/default/weights-frontier-7b', ALICE), 200)).toHaveLength(1);
    expect(await calls(t.api('post', `/grants/${grantId}/retry`, ALICE), 409)).toHaveLength(1);
    expect(await calls(t.api('post', `/grants/${grantId}/revoke`, ALICE).send({ reason: 'done with it' }), 200)).toHaveLength(1);
    // the batched decisions still refuse: without request.read (asked together with read-all) a 403
    withheld.add(`${ALICE} access-requests.request.read`);
    expect(await calls(t.api('get', `/requests/${created.id}`, ALICE), 403)).toHaveLength(1);
    expect(t.auditor.events.some((e: any) => e.eventId === 'permission-denied' && e.meta?.permission === 'access-requests.request.read')).toBe(true);
  });

  it('rigid: a denial ends the request and nothing changes it afterwards; withdraw is requester-only', async () => {
    const t = await start(knex);
    backend = t.backend;
    const id = (await t.api('post', '/requests', ALICE).send(body)).body.request.id;
    await t.api('post', `/requests/${id}/reviews`, BOB).send({ decision: 'deny', comment: 'no' }).expect(200);
    expect((await t.api('get', `/requests/${id}`, ALICE)).body.request.status).toBe('denied');
    expect((await t.api('post', `/requests/${id}/reviews`, CAROL).send({ decision: 'approve' })).status).toBe(409);
    expect((await t.api('post', `/requests/${id}/withdraw`, ALICE)).status).toBe(409);

    const id2 = (await t.api('post', '/requests', ALICE).send(body)).body.request.id;
    expect((await t.api('post', `/requests/${id2}/withdraw`, BOB)).status).toBe(403);
    const w = await t.api('post', `/requests/${id2}/withdraw`, ALICE);
    expect(w.status).toBe(200);
    expect(w.body.request.status).toBe('withdrawn');
  });

  it('withdraw, retry, revoke and renew check permissions in the backend; every refusal is audited', async () => {
    const t = await start(knex, { allowClockControl: true });
    backend = t.backend;
    const pending = (await t.api('post', '/requests', ALICE).send(body)).body.request.id;
    const viewer = await t.api('post', '/requests', ALICE).send({ resourceRef: NS, roleId: 'viewer', durationMinutes: 30, justification: 'logs' });
    const gid = viewer.body.request.grantId;
    expect(gid).toEqual(expect.any(String));

    withheld.add(`${ALICE} access-requests.request.create`);
    expect((await t.api('post', `/requests/${pending}/withdraw`, ALICE)).status).toBe(403);
    expect((await t.api('post', `/grants/${gid}/retry`, ALICE)).status).toBe(403);
    expect((await t.api('post', `/grants/${gid}/renew`, ALICE).send({ durationMinutes: 30 })).status).toBe(403);
    withheld.add(`${ALICE} access-requests.grant.read`);
    expect((await t.api('post', `/grants/${gid}/revoke`, ALICE).send({ reason: 'done' })).status).toBe(403);
    const denied = t.auditor.events.filter(e => e.eventId === 'permission-denied');
    expect(denied.map(e => [e.meta?.actor, e.meta?.permission, e.outcome])).toEqual([
      [ALICE, 'access-requests.request.create', 'fail'],
      [ALICE, 'access-requests.request.create', 'fail'],
      [ALICE, 'access-requests.request.create', 'fail'],
      [ALICE, 'access-requests.grant.read', 'fail'],
    ]);
    expect((await t.api('get', `/requests/${pending}`, BOB)).body.request.status).toBe('pending');
    expect((await t.api('get', `/grants/${gid}`, BOB)).body.grant.status).toBe('active');

    // the test clock is readable by platform admins only
    expect((await t.api('get', '/admin/clock', ALICE)).status).toBe(403);
    expect((await t.api('get', '/admin/clock', DAVE)).status).toBe(200);

    withheld.clear();
    expect((await t.api('post', `/requests/${pending}/withdraw`, ALICE)).status).toBe(200);
    expect((await t.api('post', `/grants/${gid}/revoke`, ALICE).send({ reason: 'done' })).status).toBe(200);
  });

  it('break-glass: refused for non-admins, critical for admins', async () => {
    const t = await start(knex);
    backend = t.backend;
    const bg = { resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 30, justification: 'weights corrupted in prod' };
    expect((await t.api('post', '/break-glass', ALICE).send(bg)).status).toBe(403);
    expect((await t.api('post', '/break-glass', BOB).send(bg)).status).toBe(403);
    expect((await t.api('post', '/break-glass', DAVE).send({ ...bg, durationMinutes: 90 })).status).toBe(400);
    // a policy without break-glass: the sentence names it by title, the body keeps its id
    const forbidden = await t.api('post', '/break-glass', DAVE).send({ ...bg, resourceRef: W70B });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({
      message: 'the Frontier 70B weights policy does not allow break-glass access',
      ids: { policy: 'weights-frontier-70b' },
    });
    const ok = await t.api('post', '/break-glass', DAVE).send(bg);
    expect(ok.status).toBe(201);
    expect(ok.body.grant).toMatchObject({ breakGlass: true, active: true });
    expect(t.sent.some(n => n.payload.severity === 'critical')).toBe(true);
    const gid = ok.body.grant.id;
    expect((await t.api('post', `/grants/${gid}/post-hoc-reviews`, DAVE).send({ decision: 'confirm', comment: 'me' })).status).toBe(403);
    expect((await t.api('post', `/grants/${gid}/post-hoc-reviews`, BOB).send({ decision: 'confirm', comment: 'fine' })).status).toBe(200);
    expect((await t.api('post', `/grants/${gid}/post-hoc-reviews`, BOB).send({ decision: 'confirm', comment: 'fine' })).status).toBe(409);
    // scope=all needs read-all
    expect((await t.api('get', '/grants?scope=all', ALICE)).status).toBe(403);
    expect((await t.api('get', '/grants?scope=all', CAROL)).body.items).toHaveLength(1);
  });

  it('resource search returns policy summaries and a suggestion from the candidate roles', async () => {
    const t = await start(knex);
    backend = t.backend;
    const res = await t.api('get', `/resources?query=${encodeURIComponent('read the frontier 7b weights')}`, ALICE);
    expect(res.status).toBe(200);
    expect(res.body.items[0].entityRef).toBe(W7B);
    // no model configured: the deterministic ranker picks the narrowest role that reads weights
    expect(res.body.suggestion).toMatchObject({ resourceRef: W7B, roleId: 'blob-reader', source: 'deterministic' });
    // self-service role through HTTP
    const viewer = await t.api('post', '/requests', ALICE).send({ resourceRef: NS, roleId: 'viewer', durationMinutes: 30, justification: 'logs' });
    expect(viewer.body.request.status).toBe('approved');
    expect(t.k8s.provisioned).toHaveLength(1);
  });

  it('the clock endpoint does not exist unless testing.allowClockControl is true', async () => {
    const t = await start(knex);
    backend = t.backend;
    expect((await t.api('post', '/admin/clock', DAVE).send({ advanceSeconds: 10 })).status).toBe(404);
  });

  it('at startup, grants that became overdue while the backend was down are expired and deprovisioned at once', async () => {
    const store = await AccessStore.create({ knex });
    const past = new Date(Date.now() - 3600_000).toISOString();
    const longAgo = new Date(Date.now() - 7200_000).toISOString();
    await store.insertGrant({
      id: 'g-overdue', resourceRef: W7B, roleId: 'blob-reader', userRef: ALICE, status: 'active',
      startsAt: longAgo, expiresAt: past, breakGlass: false,
      provisioning: { state: 'provisioned', externalId: 'ext-1' },
      target: {
        grantId: 'g-overdue', userRef: ALICE, resource: { entityRef: W7B, kind: 'Resource', annotations: {} },
        role: { id: 'blob-reader', title: 'R', allows: ['blob:read'], privilege: 1, provisioner: { type: 'azure-role-assignment' } },
        startsAt: longAgo, expiresAt: past,
      },
    });
    const t = await start(knex); // scheduler runs nothing on startup here: only the plugin's own startup sweep
    backend = t.backend;
    const g = await store.getGrant('g-overdue');
    expect(g).toMatchObject({ status: 'expired', provisioning: { state: 'deprovisioned' } });
    expect(t.azure.deprovisioned.map(x => x.externalId)).toEqual(['ext-1']);
  });

  it('concurrent approvals over HTTP produce exactly one grant', async () => {
    const t = await start(knex);
    backend = t.backend;
    for (let i = 0; i < 4; i++) {
      const id = (await t.api('post', '/requests', ALICE).send({ resourceRef: NS, roleId: 'editor', durationMinutes: 30, justification: 'deploy' })).body.request.id;
      const [a, b] = await Promise.all([
        t.api('post', `/requests/${id}/reviews`, ERIN).send({ decision: 'approve' }),
        t.api('post', `/requests/${id}/reviews`, 'user:default/mallory').send({ decision: 'approve' }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const grants = (await t.api('get', '/grants?scope=mine', ALICE)).body.items.filter((g: any) => g.requestId === id);
      expect(grants).toHaveLength(1);
      expect((await t.api('get', `/requests/${id}`, ALICE)).body.request).toMatchObject({ status: 'approved', grantId: grants[0].id });
    }
  });
});
