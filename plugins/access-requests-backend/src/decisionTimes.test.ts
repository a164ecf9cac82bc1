import request from 'supertest';
import { Knex } from 'knex';
import { TestDatabases, mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ALICE, BOB, CAROL, DAVE, ERIN, MALLORY, W7B } from './__testUtils__/fixtures';
import { startAccessRequestsBackend } from './__testUtils__/testBackend';

jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const readAll = new Set([DAVE]);
const noRead = new Set([MALLORY]);
const permissionsMock = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    const user = options.credentials.principal.userEntityRef;
    return requests.map(r => {
      const name = r.permission.name;
      const allowed = name === 'access-requests.read-all' ? readAll.has(user) : !(name === 'access-requests.request.read' && noRead.has(user));
      return { result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
    }) as any;
  },
});

describe.each(databases.eachSupportedId())('GET /decision-times on %p', databaseId => {
  let knex: Knex;
  let stop: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('is the median time to decision of the decided requests the caller may read', async () => {
    const { backend, auditor } = await startAccessRequestsBackend({
      knex, permissions: permissionsMock, config: { testing: { allowClockControl: true } },
    });
    stop = () => backend.stop();
    const call = (method: 'get' | 'post', path: string, user: string) =>
      request(backend.server)[method](`/api/access-requests${path}`).set('Authorization', mockCredentials.user.header(user));
    const ask = async (user: string) => {
      const res = await call('post', '/requests', user).send({ resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 30, justification: 'evaluation run', ticket: 'SEC-1' });
      expect(res.status).toBe(201);
      return res.body.request.id as string;
    };
    const wait = async (minutes: number) => {
      expect((await call('post', '/admin/clock', DAVE).send({ advanceSeconds: minutes * 60 })).status).toBe(200);
    };
    const review = async (id: string, user: string, decision: 'approve' | 'deny') => {
      expect((await call('post', `/requests/${id}/reviews`, user).send({ decision, comment: 'reviewed' })).status).toBe(200);
    };

    // alice: approved after 60 min (bob, carol); denied after 120 min (bob)
    const a1 = await ask(ALICE);
    await wait(60);
    await review(a1, BOB, 'approve');
    await review(a1, CAROL, 'approve');
    const a2 = await ask(ALICE);
    await wait(120);
    await review(a2, BOB, 'deny');
    // erin: approved after 30 min (carol, bob); one still pending (not counted)
    const e1 = await ask(ERIN);
    await wait(30);
    await review(e1, CAROL, 'approve');
    await review(e1, BOB, 'approve');
    await ask(ERIN);

    const times = async (user: string) => {
      const res = await call('get', `/decision-times?resourceRef=${encodeURIComponent(W7B)}&policy=weights-frontier-7b`, user);
      expect(res.status).toBe(200);
      return res.body;
    };
    // own requests only
    expect(await times(ALICE)).toEqual({ basis: 'resource', decided: 2, medianMinutes: 90 });
    expect(await times(ERIN)).toEqual({ basis: 'resource', decided: 1, medianMinutes: 30 });
    // reviewers read what they reviewed: bob all three, carol a1 and e1
    expect(await times(BOB)).toEqual({ basis: 'resource', decided: 3, medianMinutes: 60 });
    expect(await times(CAROL)).toEqual({ basis: 'resource', decided: 2, medianMinutes: 45 });
    // read-all: everything
    expect(await times(DAVE)).toEqual({ basis: 'resource', decided: 3, medianMinutes: 60 });

    // without the read permission: 403, audited
    const refused = await call('get', `/decision-times?resourceRef=${encodeURIComponent(W7B)}`, MALLORY);
    expect(refused.status).toBe(403);
    expect(auditor.events.some(e => e.eventId === 'permission-denied' && e.meta?.actor === MALLORY)).toBe(true);
    // bad input: 400 naming the field
    const bad = await call('get', '/decision-times?resourceRef=not-a-ref', ALICE);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/resourceRef/);
    const badPolicy = await call('get', `/decision-times?resourceRef=${encodeURIComponent(W7B)}&policy=Bad%20Name`, ALICE);
    expect(badPolicy.status).toBe(400);
    expect(badPolicy.body.error.message).toMatch(/policy/);
    expect((await request(backend.server).get(`/api/access-requests/decision-times?resourceRef=${encodeURIComponent(W7B)}`).set('Authorization', mockCredentials.none.header())).status).toBe(401);
  });
});
