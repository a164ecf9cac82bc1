import { TestDatabases } from '@backstage/backend-test-utils';
import { AuditEventStore } from './AuditEventStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('migrations (%s)', id => {
  it('migrates up and down', async () => {
    const knex = await databases.init(id);
    const directory = AuditEventStore.migrationsDirectory;

    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('audit_events')).toBe(true);
    const store = new AuditEventStore(knex);
    await store.append({
      id: '00000000-0000-4000-8000-000000000001',
      correlation_id: '00000000-0000-4000-8000-000000000002',
      occurred_at: '2026-11-25T12:00:00.000Z',
      plugin_id: 'audit',
      event_id: 'test',
      severity: 'low',
      status: 'initiated',
      actor: null,
      actor_type: 'none',
      request: null,
      meta: null,
      error: null,
    });
    await expect(store.verify()).resolves.toMatchObject({
      ok: true,
      checked: 1,
    });

    await knex.migrate.rollback({ directory }, true);
    expect(await knex.schema.hasTable('audit_events')).toBe(false);

    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('audit_events')).toBe(true);
  });
});
