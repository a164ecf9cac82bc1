import { TestDatabases } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { AuditEventStore, NewChainRow } from './AuditEventStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

function row(n: number, meta: object | null): NewChainRow {
  return {
    id: randomUUID(),
    correlation_id: randomUUID(),
    occurred_at: new Date(Date.UTC(2026, 10, 25, 12, 0, n)).toISOString(),
    plugin_id: 'access-requests',
    event_id: 'request-create',
    severity: 'medium',
    status: 'succeeded',
    actor: 'user:default/alice',
    actor_type: 'user',
    request: null,
    meta: meta === null ? null : JSON.stringify(meta),
    error: null,
  };
}

describe.each(databases.eachSupportedId())('AuditEventStore entity filter (%s)', id => {
  let store: AuditEventStore;
  beforeEach(async () => {
    const knex: Knex = await databases.init(id);
    await AuditEventStore.migrate(knex);
    store = new AuditEventStore(knex);
  });

  it('lists the events whose meta names the entity exactly, not a longer ref or a LIKE wildcard', async () => {
    await store.append(row(1, { resourceRef: 'resource:default/weights-7b' }));
    await store.append(row(2, { resourceRef: 'resource:default/weights-7b-old' }));
    await store.append(row(3, { query: { entityRef: 'resource:default/weights-7b' } }));
    await store.append(row(4, null));
    await store.append(row(5, { resourceRef: 'resource:default/weightsX7b' }));
    const page = await store.listEvents({ entityRef: 'resource:default/weights-7b' });
    expect(page.items.map(e => e.seq)).toEqual([3, 1]);
    // '_' and '%' are literal characters, not wildcards
    expect((await store.listEvents({ entityRef: 'resource:default/weights_7b' })).items).toEqual([]);
    expect((await store.listEvents({ entityRef: '%' })).items).toEqual([]);
  });
});
