import request from 'supertest';
import { Knex } from 'knex';
import { TestDatabases, mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ALICE, BOB, NS, orgEntities } from './__testUtils__/fixtures';
import { startAccessRequestsBackend } from './__testUtils__/testBackend';

jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const readAll: Record<string, boolean> = { [BOB]: true };
/** External-access subjects and the only permissions their token allows (accessRestrictions). */
const restricted: Record<string, string[]> = { 'external:requests-reader': ['access-requests.request.read'] };
const permissionsMock = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    const principal = options.credentials.principal;
    if (principal.type === 'service') {
      // as Backstage's ServerPermissionClient: a service principal is limited only by its access restrictions
      const names = restricted[principal.subject];
      return requests.map(r => ({ result: !names || names.includes(r.permission.name) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY })) as any;
    }
    const user = principal.userEntityRef;
    return requests.map(r => ({
      result: r.permission.name !== 'access-requests.read-all' || readAll[user] ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    })) as any;
  },
});

function entities() {
  return orgEntities().map(e =>
    e.metadata.name === 'alice' && e.kind === 'User'
      ? {
          ...e,
          metadata: { ...e.metadata, annotations: { ...e.metadata.annotations, 'graph.microsoft.com/user-id': 'oid-alice' } },
          spec: { ...e.spec, profile: { displayName: 'Alice Researcher', email: 'alice@frontier.example' } },
        }
      : e,
  );
}

describe.each(databases.eachSupportedId())('GET /grants/export on %p', databaseId => {
  let knex: Knex;
  let stop: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('exports grants with UPN, object id and Azure scope to service tokens and read-all holders only, audited', async () => {
    const { backend, auditor } = await startAccessRequestsBackend({ knex, permissions: permissionsMock, entities: entities() });
    stop = () => backend.stop();
    const api = (path: string, header: string) => request(backend.server).get(`/api/access-requests${path}`).set('Authorization', header);
    // a self-service grant for alice on the namespace
    const created = await request(backend.server)
      .post('/api/access-requests/requests')
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({ resourceRef: NS, roleId: 'viewer', durationMinutes: 30, justification: 'logs' });
    expect(created.status).toBe(201);

    const asService = await api('/grants/export', mockCredentials.service.header({ onBehalfOf: mockCredentials.service('plugin:detections'), targetPluginId: 'access-requests' }));
    expect(asService.status).toBe(200);
    expect(asService.body.grants).toHaveLength(1);
    const g = asService.body.grants[0];
    expect(g).toMatchObject({
      user: { ref: ALICE, email: 'alice@frontier.example', upn: 'alice@frontier.example', objectId: 'oid-alice' },
      resource: { ref: NS },
      role: 'viewer',
      status: 'active',
      revokedAt: null,
    });
    expect(Date.parse(g.end) - Date.parse(g.start)).toBe(30 * 60_000);

    expect((await api('/grants/export', mockCredentials.user.header(BOB))).status).toBe(200);
    const refused = await api('/grants/export', mockCredentials.user.header(ALICE));
    expect(refused.status).toBe(403);
    expect((await api('/grants/export', mockCredentials.none.header())).status).toBe(401);

    const events = auditor.events.filter(e => ['grants-export', 'permission-denied'].includes(e.eventId));
    expect(events.map(e => [e.eventId, e.outcome])).toEqual([
      ['grants-export', 'success'],
      ['grants-export', 'success'],
      ['permission-denied', 'fail'],
    ]);

    // revoking ends the grant in the export at the revocation time
    await request(backend.server).post(`/api/access-requests/grants/${g.id}/revoke`).set('Authorization', mockCredentials.user.header(ALICE)).send({ reason: 'done' }).expect(200);
    const after = (await api('/grants/export', mockCredentials.user.header(BOB))).body.grants[0];
    expect(after.status).toBe('revoked');
    expect(after.revokedAt).toEqual(expect.any(String));
    expect(after.end).toBe(after.revokedAt);
  });

  it('refuses (403, audited) a service token whose access restrictions do not include read-all', async () => {
    const { backend, auditor } = await startAccessRequestsBackend({ knex, permissions: permissionsMock, entities: entities() });
    stop = () => backend.stop();
    await request(backend.server)
      .post('/api/access-requests/requests')
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({ resourceRef: NS, roleId: 'viewer', durationMinutes: 30, justification: 'logs' })
      .expect(201);
    // an external-access token restricted to access-requests.request.read (e.g. a reporting job)
    const header = mockCredentials.service.header({ onBehalfOf: mockCredentials.service('external:requests-reader'), targetPluginId: 'access-requests' });
    const refused = await request(backend.server).get('/api/access-requests/grants/export').set('Authorization', header);
    expect(refused.status).toBe(403);
    expect(refused.body.grants).toBeUndefined();
    expect(JSON.stringify(refused.body)).not.toContain('alice');
    const denied = auditor.events.filter(e => e.eventId === 'permission-denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ outcome: 'fail', meta: { actor: 'external:requests-reader', permission: 'access-requests.read-all' } });
    expect(auditor.events.some(e => e.eventId === 'grants-export')).toBe(false);
  });
});
