import { TestDatabases } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { AuditEventStore, NewChainRow } from './AuditEventStore';
import { GENESIS_HASH, computeRowHash } from '../domain/hashChain';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

function newRow(n: number, overrides: Partial<NewChainRow> = {}): NewChainRow {
  return {
    id: randomUUID(),
    correlation_id: randomUUID(),
    occurred_at: new Date(Date.UTC(2026, 10, 25, 12, 0, n % 60)).toISOString(),
    plugin_id: 'catalog',
    event_id: 'entity-mutate',
    severity: 'medium',
    status: 'succeeded',
    actor: 'user:default/alice',
    actor_type: 'user',
    request: '{"method":"POST","url":"/api/catalog/x"}',
    meta: `{"n":${n}}`,
    error: null,
    ...overrides,
  };
}

describe.each(databases.eachSupportedId())('AuditEventStore (%s)', id => {
  let knex: Knex;
  let store: AuditEventStore;

  beforeEach(async () => {
    knex = await databases.init(id);
    await AuditEventStore.migrate(knex);
    store = new AuditEventStore(knex);
  });

  it('appends a chain that verifies', async () => {
    for (let i = 1; i <= 5; i++) await store.append(newRow(i));
    const rows = await store.readChain(0, 100);
    expect(rows.map(r => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0].prev_hash).toBe(GENESIS_HASH);
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    expect(rows[0].hash).toBe(computeRowHash(rows[0]));
    expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);

    const result = await store.verify({ batchSize: 2 });
    expect(result).toEqual({
      ok: true,
      checked: 5,
      lastSeq: 5,
      lastHash: rows[4].hash,
    });
  });

  it('appends a batch after existing rows in one transaction, all or nothing', async () => {
    await store.append(newRow(1));
    const written = await store.appendBatch([newRow(2), newRow(3), newRow(4)]);
    expect(written.map(r => r.seq)).toEqual([2, 3, 4]);
    expect(written[1].prev_hash).toBe(written[0].hash);
    await expect(store.verify()).resolves.toMatchObject({
      ok: true,
      checked: 4,
    });

    // The second row repeats an id (UNIQUE): the whole batch is refused, nothing is stored.
    const duplicate = newRow(5);
    await expect(
      store.appendBatch([
        newRow(6),
        { ...newRow(7), id: duplicate.id },
        duplicate,
      ]),
    ).rejects.toThrow();
    expect((await store.readChain(0, 100)).map(r => r.seq)).toEqual([
      1, 2, 3, 4,
    ]);
    await store.append(newRow(8));
    await expect(store.verify()).resolves.toMatchObject({
      ok: true,
      checked: 5,
    });
  });

  it('stores hostile text from other plugins\' events (NUL, bidi override, ANSI) escaped, and the chain verifies', async () => {
    // meta/request/error are canonical JSON: control characters are \\u escapes, never raw bytes
    const meta = JSON.stringify({ justification: 'a\u0000b\u202ec\u001b[2Kd\re' });
    await store.append(newRow(1, { meta }));
    const [row] = await store.readChain(0, 10);
    expect(row.meta).toBe(meta);
    expect(row.meta).not.toContain('\u0000');
    expect(JSON.parse(row.meta!).justification).toBe('a\u0000b\u202ec\u001b[2Kd\re');
    expect((await store.verify({ batchSize: 10 })).ok).toBe(true);
  });

  it('verifies an empty chain', async () => {
    await expect(store.verify()).resolves.toEqual({
      ok: true,
      checked: 0,
      lastSeq: 0,
      lastHash: GENESIS_HASH,
    });
  });

  it('detects a modified row', async () => {
    for (let i = 1; i <= 6; i++) await store.append(newRow(i));
    await knex('audit_events').where({ seq: 4 }).update({ meta: '{"n":999}' });

    const result = await store.verify({ batchSize: 2 });
    expect(result).toMatchObject({
      ok: false,
      checked: 3,
      firstBrokenSeq: 4,
      reason: 'hash-mismatch',
      lastSeq: 3,
    });
  });

  it('detects a modified row whose hash was recomputed (next link breaks)', async () => {
    for (let i = 1; i <= 4; i++) await store.append(newRow(i));
    const [row2] = await store.readChain(1, 1);
    const forged = { ...row2, actor: 'user:default/mallory' };
    await knex('audit_events')
      .where({ seq: 2 })
      .update({ actor: forged.actor, hash: computeRowHash(forged) });

    await expect(store.verify()).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 3,
      reason: 'prev-hash-mismatch',
    });
  });

  it('detects a deleted row', async () => {
    for (let i = 1; i <= 5; i++) await store.append(newRow(i));
    await knex('audit_events').where({ seq: 3 }).delete();

    await expect(store.verify({ batchSize: 2 })).resolves.toMatchObject({
      ok: false,
      checked: 2,
      firstBrokenSeq: 3,
      reason: 'missing-row',
      lastSeq: 2,
    });
  });

  it('detects a deleted first row', async () => {
    for (let i = 1; i <= 3; i++) await store.append(newRow(i));
    await knex('audit_events').where({ seq: 1 }).delete();
    await expect(store.verify()).resolves.toMatchObject({
      ok: false,
      checked: 0,
      firstBrokenSeq: 1,
      reason: 'missing-row',
    });
  });

  it('detects reordered rows (contents of two rows swapped)', async () => {
    for (let i = 1; i <= 4; i++) await store.append(newRow(i));
    const [r2, r3] = await store.readChain(1, 2);
    const columns = (r: typeof r2) => {
      const { seq: _s, ...rest } = r;
      return rest;
    };
    // Free the unique columns, then write each row's content under the other's seq.
    await knex('audit_events').whereIn('seq', [2, 3]).delete();
    await knex('audit_events').insert([
      { ...columns(r3), seq: 2 },
      { ...columns(r2), seq: 3 },
    ]);
    await expect(store.verify()).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 2,
      reason: 'prev-hash-mismatch',
    });
  });

  it('refuses a second row linking to the same predecessor (no fork)', async () => {
    const first = await store.append(newRow(1));
    // (The driver's error may come from another jest realm, so match on the message.)
    const error = await knex('audit_events')
      .insert({
        ...newRow(2),
        seq: 99,
        prev_hash: first.prev_hash,
        hash_alg: 'sha256',
        hash: 'f'.repeat(64),
      })
      .then(
        () => undefined,
        e => e,
      );
    expect(String(error?.message)).toMatch(/unique|duplicate/i);
  });

  it('keeps one chain under many parallel appends', async () => {
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.append(newRow(i))),
    );
    const result = await store.verify({ batchSize: 7 });
    expect(result).toMatchObject({ ok: true, checked: 60, lastSeq: 60 });
  });

  it('keys the hashes with an HMAC secret', async () => {
    const keyed = new AuditEventStore(knex, 's3cret');
    for (let i = 1; i <= 3; i++) await keyed.append(newRow(i));
    await expect(keyed.verify()).resolves.toMatchObject({
      ok: true,
      checked: 3,
    });
    // Without the key the keyed rows cannot be checked; with a wrong key they fail.
    await expect(new AuditEventStore(knex).verify()).rejects.toThrow(
      /audit.hmacSecret/,
    );
    await expect(
      new AuditEventStore(knex, 'wrong').verify(),
    ).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 1,
      reason: 'hash-mismatch',
    });
    // Rewriting a row with a recomputed plain hash (a downgrade) is caught.
    const [row3] = await keyed.readChain(2, 1);
    const forged = { ...row3, hash_alg: 'sha256' as const, actor: 'x' };
    await knex('audit_events')
      .where({ seq: 3 })
      .update({ hash_alg: 'sha256', actor: 'x', hash: computeRowHash(forged) });
    await expect(keyed.verify()).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: 3,
      reason: 'hash-mismatch',
    });
  });

  it('pages newest first with a seq cursor and filters', async () => {
    for (let i = 1; i <= 7; i++) {
      await store.append(
        newRow(
          i,
          i % 2 ? {} : { plugin_id: 'access-requests', severity: 'high' },
        ),
      );
    }
    const page1 = await store.listEvents({ limit: 3 });
    expect(page1.items.map(e => e.seq)).toEqual([7, 6, 5]);
    expect(page1.nextCursor).toEqual({ before: 5 });
    const page2 = await store.listEvents({ limit: 3, before: 5 });
    expect(page2.items.map(e => e.seq)).toEqual([4, 3, 2]);
    const page3 = await store.listEvents({ limit: 3, before: 2 });
    expect(page3.items.map(e => e.seq)).toEqual([1]);
    expect(page3.nextCursor).toBeUndefined();

    const asc = await store.listEvents({ limit: 2, after: 5 });
    expect(asc.items.map(e => e.seq)).toEqual([6, 7]);

    const filtered = await store.listEvents({
      pluginId: 'access-requests',
      severity: 'high',
    });
    expect(filtered.items.map(e => e.seq)).toEqual([6, 4, 2]);
    expect(filtered.items[0]).toMatchObject({
      pluginId: 'access-requests',
      actor: 'user:default/alice',
      actorType: 'user',
      request: { method: 'POST', url: '/api/catalog/x' },
      meta: { n: 6 },
    });
    const window = await store.listEvents({
      from: new Date(Date.UTC(2026, 10, 25, 12, 0, 3)).toISOString(),
      to: new Date(Date.UTC(2026, 10, 25, 12, 0, 5)).toISOString(),
    });
    expect(window.items.map(e => e.seq)).toEqual([4, 3]);
  });
});

describe('AuditEventStore with two PostgreSQL clients (replicas)', () => {
  const pg = TestDatabases.create({ ids: ['POSTGRES_15'] });
  const ids = pg.eachSupportedId();
  if (ids.length === 0) {
    it('is skipped without BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING', () => {
      expect(ids).toEqual([]);
    });
    return;
  }

  it('produces one chain when two replicas append concurrently', async () => {
    const knexA = await pg.init('POSTGRES_15');
    await AuditEventStore.migrate(knexA);
    // A second, independent knex client (own pool) on the same database.
    const knexB = knexFactory({
      client: 'pg',
      connection: knexA.client.config.connection,
      pool: { min: 0, max: 5 },
    });
    try {
      const replicaA = new AuditEventStore(knexA);
      const replicaB = new AuditEventStore(knexB);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? replicaA : replicaB).append(newRow(i)),
        ),
      );
      await expect(replicaA.verify()).resolves.toMatchObject({
        ok: true,
        checked: 40,
        lastSeq: 40,
      });
    } finally {
      await knexB.destroy();
    }
  });
});
