import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { AccessStore, GrantRecord, RequestRecord } from './AccessStore';

jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const migrationsDir = resolvePackagePath('@internal/plugin-access-requests-backend', 'migrations');

const request = (id: string, over: Partial<RequestRecord> = {}): RequestRecord => ({
  id,
  resourceRef: 'resource:default/w',
  roleId: 'r',
  requester: 'user:default/alice',
  justification: 'j',
  durationMinutes: 60,
  status: 'pending',
  createdAt: '2026-03-01T10:00:00.000Z',
  expiresAt: '2026-03-02T10:00:00.000Z',
  policy: { name: 'p', kind: 'rigid', maxDurationMinutes: 60, requireJustification: true, requireTicket: false, roleId: 'r', frozenAt: 'x', roles: [] },
  resource: { entityRef: 'resource:default/w', kind: 'Resource', annotations: {} },
  selfService: false,
  ...over,
});
const grant = (id: string, over: Partial<GrantRecord> = {}): GrantRecord => ({
  id,
  requestId: undefined,
  resourceRef: 'resource:default/w',
  roleId: 'r',
  userRef: 'user:default/alice',
  status: 'active',
  startsAt: '2026-03-01T10:00:00.000Z',
  expiresAt: '2026-03-01T11:00:00.000Z',
  breakGlass: false,
  provisioning: { state: 'provisioned', externalId: 'e' },
  target: {
    grantId: id, userRef: 'user:default/alice', resource: { entityRef: 'resource:default/w', kind: 'Resource', annotations: {} },
    role: { id: 'r', title: 'R', allows: ['x'], privilege: 1 }, startsAt: '2026-03-01T10:00:00.000Z', expiresAt: '2026-03-01T11:00:00.000Z',
  },
  ...over,
});

describe.each(databases.eachSupportedId())('AccessStore on %p', databaseId => {
  it('migrates up and down', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest({ directory: migrationsDir });
    expect(await knex.schema.hasTable('access_grants')).toBe(true);
    await knex.migrate.rollback({ directory: migrationsDir }, true);
    expect(await knex.schema.hasTable('access_requests')).toBe(false);
    await knex.migrate.latest({ directory: migrationsDir });
    expect(await knex.schema.hasTable('access_post_hoc_reviews')).toBe(true);
  });

  it('the migration creates the unique indexes: a duplicate written directly with knex is refused', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest({ directory: migrationsDir });
    const indexes =
      databaseId === 'POSTGRES_15'
        ? (await knex.raw(`SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE tablename = 'access_grants'`)).rows
        : await knex.raw(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'access_grants'`);
    const unique = indexes.find((i: any) => i.name === 'access_grants_request_id_unique');
    expect(unique?.sql).toMatch(/CREATE UNIQUE INDEX .*request_id/i);
    const { target, ...row } = {
      resource_ref: 'resource:default/w', role_id: 'r', user_ref: 'user:default/alice', status: 'active',
      starts_at: 'a', expires_at: 'b', break_glass: false, provisioning_state: 'provisioned', target: '{}',
    };
    await knex('access_requests').insert({
      id: 'req-1', resource_ref: 'resource:default/w', role_id: 'r', requester: 'user:default/alice', duration_minutes: 60,
      status: 'approved', created_at: 'a', expires_at: 'b', policy: '{}', resource: '{}',
    });
    await knex('access_grants').insert({ ...row, target, id: 'g-1', request_id: 'req-1' });
    await expect(knex('access_grants').insert({ ...row, target, id: 'g-2', request_id: 'req-1' })).rejects.toThrow(
      /UNIQUE constraint failed: access_grants\.request_id|duplicate key value violates unique constraint "access_grants_request_id_unique"/,
    );
    expect(await knex('access_grants').where({ request_id: 'req-1' }).select('id')).toEqual([{ id: 'g-1' }]);
    // the same after a full rollback and re-migration (the index is recreated, not lost)
    await knex.migrate.rollback({ directory: migrationsDir }, true);
    await knex.migrate.latest({ directory: migrationsDir });
    await knex('access_requests').insert({
      id: 'req-1', resource_ref: 'resource:default/w', role_id: 'r', requester: 'user:default/alice', duration_minutes: 60,
      status: 'approved', created_at: 'a', expires_at: 'b', policy: '{}', resource: '{}',
    });
    await knex('access_grants').insert({ ...row, target, id: 'g-1', request_id: 'req-1' });
    await expect(knex('access_grants').insert({ ...row, target, id: 'g-2', request_id: 'req-1' })).rejects.toThrow();
  });

  it('each case gets its own database (nothing leaks between cases)', async () => {
    const first = await databases.init(databaseId);
    const second = await databases.init(databaseId);
    await first.migrate.latest({ directory: migrationsDir });
    await second.migrate.latest({ directory: migrationsDir });
    await first('access_requests').insert({
      id: 'only-in-first', resource_ref: 'x', role_id: 'r', requester: 'u', duration_minutes: 1,
      status: 'pending', created_at: 'a', expires_at: 'b', policy: '{}', resource: '{}',
    });
    expect(await second('access_requests').select('id')).toEqual([]);
  });

  it('round-trips requests, and decideRequest only moves pending requests', async () => {
    const store = await AccessStore.create({ knex: await databases.init(databaseId) });
    await store.insertRequest(request('a', { ticket: 'SEC-1', selfService: true }));
    expect(await store.getRequest('a')).toEqual(request('a', { ticket: 'SEC-1', selfService: true }));
    expect(await store.decideRequest('a', { status: 'denied', decidedAt: 'x' })).toBe(true);
    expect(await store.decideRequest('a', { status: 'approved', decidedAt: 'y', grantId: 'g' })).toBe(false);
    expect(await store.getRequest('a')).toMatchObject({ status: 'denied', decidedAt: 'x', grantId: undefined });
  });

  it('UNIQUE constraints: one grant per request, one review and one post-hoc review per person', async () => {
    const knex = await databases.init(databaseId);
    const store = await AccessStore.create({ knex });
    await store.insertRequest(request('a'));
    await store.insertGrant(grant('g1', { requestId: 'a' }));
    const duplicate = await store.insertGrant(grant('g2', { requestId: 'a' })).then(
      () => 'inserted',
      (e: Error) => `refused: ${e.message}`,
    );
    if (duplicate === 'inserted') {
      const rows = await knex('access_grants').select('id', 'request_id');
      throw new Error(`duplicate grant for one request was stored: ${JSON.stringify(rows)}`);
    }
    expect(duplicate).toMatch(/refused: .*(UNIQUE|unique)/);
    // break-glass grants have no request: many allowed
    await store.insertGrant(grant('b1', { breakGlass: true }));
    await store.insertGrant(grant('b2', { breakGlass: true }));
    const review = { requestId: 'a', reviewer: 'user:default/bob', decision: 'approve' as const, comment: '', eligibleGroups: ['g'], createdAt: 'x' };
    await store.insertReview(review);
    await expect(store.insertReview({ ...review, decision: 'deny' })).rejects.toThrow();
    const ph = { reviewer: 'user:default/bob', decision: 'confirm' as const, comment: 'c', createdAt: 'x' };
    await store.insertPostHocReview('b1', ph);
    await expect(store.insertPostHocReview('b1', ph)).rejects.toThrow();
    expect((await store.listReviews(['a'])).get('a')).toHaveLength(1);
  });

  it('finds due grants by time and updates grants conditionally', async () => {
    const store = await AccessStore.create({ knex: await databases.init(databaseId) });
    await store.insertGrant(grant('g1'));
    await store.insertGrant(grant('g2', { expiresAt: '2026-03-01T12:00:00.000Z' }));
    await store.insertGrant(grant('g3', { status: 'revoked' }));
    expect((await store.listGrantsDueForExpiry('2026-03-01T11:00:00.000Z')).map(g => g.id)).toEqual(['g1']);
    expect(await store.updateGrant('g1', { status: 'expired' }, { fromStatus: ['active'] })).toBe(true);
    expect(await store.updateGrant('g1', { status: 'expired' }, { fromStatus: ['active'] })).toBe(false);
    expect((await store.listGrantsNeedingReminder('2026-03-01T11:00:00.000Z', '2026-03-01T12:00:00.000Z')).map(g => g.id)).toEqual(['g2']);
    expect(await store.claimReminder('g2', 'now')).toBe(true);
    expect(await store.claimReminder('g2', 'now')).toBe(false);
    await store.appendHistory('g1', { at: 'a', event: 'expired', actor: 's', details: { n: 1 } });
    expect((await store.listHistory(['g1'])).get('g1')).toEqual([{ at: 'a', event: 'expired', actor: 's', details: { n: 1 } }]);
    expect((await store.getGrant('g3'))!.status).toBe('revoked');
  });
  it('updates a grant and appends its history atomically; the update stays conditional, the entry is always written', async () => {
    const store = await AccessStore.create({ knex: await databases.init(databaseId) });
    await store.insertGrant(grant('s1', { status: 'scheduled', provisioning: { state: 'pending' } }));
    const entry = (event: string) => ({ at: '2026-03-01T10:00:01.000Z', event, actor: 'user:default/bob', details: { externalId: 'x-1' } });
    expect(
      await store.updateGrantWithHistory(
        's1', { status: 'active', provisioning: { state: 'provisioned', error: null, externalId: 'x-1' } }, { fromStatus: ['scheduled'] }, entry('provisioned'),
      ),
    ).toBe(true);
    expect(await store.getGrant('s1')).toMatchObject({ status: 'active', provisioning: { state: 'provisioned', externalId: 'x-1' } });
    // no longer scheduled: the update is refused, the history entry still records what happened
    expect(
      await store.updateGrantWithHistory('s1', { status: 'failed' }, { fromStatus: ['scheduled'] }, entry('provisioning-failed')),
    ).toBe(false);
    expect((await store.getGrant('s1'))!.status).toBe('active');
    expect((await store.listHistory(['s1'])).get('s1')!.map(h => h.event)).toEqual(['provisioned', 'provisioning-failed']);
    // a failing history insert (unknown grant id is fine, but a NULL event is not) leaves the grant unchanged
    await expect(
      store.updateGrantWithHistory('s1', { status: 'revoked' }, { fromStatus: ['active'] }, { ...entry('x'), event: null as unknown as string }),
    ).rejects.toThrow();
    expect((await store.getGrant('s1'))!.status).toBe('active');
  });
});
