import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { BackgroundCheckpointer, SAFETY_NET_AUTOCHECKPOINT_PAGES, STATEMENT_CACHE_SIZE, tuneSqliteFile } from './sqliteTuning';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database: new (file: string, options?: { readonly?: boolean }) => {
  prepare(sql: string): { get(): unknown };
  close(): void;
} = require('better-sqlite3');

/** Runs fn with knex on a fresh SQLite FILE (the tuning skips `:memory:`), removed afterwards. */
async function onSqliteFile(fn: (knex: Knex, file: string, dir: string) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-tuning-'));
  const file = path.join(dir, 'db.sqlite');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  try {
    await fn(knex, file, dir);
  } finally {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows of `items` in the main database file alone (a copy without its -wal), polled until `expected` or the timeout. */
async function rowsInMainFileWithin(file: string, expected: number, timeoutMs: number): Promise<number> {
  const count = () => {
    const copy = `${file}.copy-${Date.now()}`;
    fs.copyFileSync(file, copy);
    const db = new Database(copy, { readonly: true });
    try {
      return (db.prepare('select count(*) as n from items').get() as { n: number }).n;
    } catch {
      return 0; // not even the table has been checkpointed yet
    } finally {
      db.close();
      fs.rmSync(copy, { force: true });
    }
  };
  const deadline = Date.now() + timeoutMs;
  let n = count();
  while (n < expected && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 100));
    n = count();
  }
  return n;
}

const createTable = (knex: Knex) =>
  knex.schema.createTable('items', t => {
    t.string('id').primary();
    t.text('body');
  });

describe('tuneSqliteFile', () => {
  it('switches the file to WAL with synchronous=NORMAL and a busy timeout', () =>
    onSqliteFile(async knex => {
      const tuning = await tuneSqliteFile(knex, { backgroundCheckpoints: false });
      expect(tuning?.pragmas).toMatchObject({ journal_mode: 'wal', synchronous: 1 }); // NORMAL (default FULL = 2)
      expect((await knex.raw('PRAGMA journal_mode'))[0].journal_mode).toBe('wal');
      expect((await knex.raw('PRAGMA busy_timeout'))[0].timeout).toBe(5000);
    }));

  it('reuses prepared statements per connection; they stay correct across a schema change; the cache is bounded', () =>
    onSqliteFile(async knex => {
      await tuneSqliteFile(knex, { backgroundCheckpoints: false });
      const db = (await knex.client.acquireConnection()) as { prepare(sql: string): unknown };
      await knex.client.releaseConnection(db);
      expect(db.prepare('select 1 as one')).toBe(db.prepare('select 1 as one'));
      expect(db.prepare('select 1 as one')).not.toBe(db.prepare('select 2 as two'));
      await createTable(knex);
      await knex('items').insert([{ id: 'a', body: 'x' }, { id: 'b', body: 'y' }]);
      expect((await knex('items').where({ body: 'x' })).map(r => r.id)).toEqual(['a']);
      expect((await knex('items').where({ body: 'y' })).map(r => r.id)).toEqual(['b']);
      await knex.schema.alterTable('items', t => t.text('extra').nullable());
      await knex('items').where({ id: 'a' }).update({ extra: 'e' });
      expect(await knex('items').where({ body: 'x' })).toEqual([{ id: 'a', body: 'x', extra: 'e' }]);
      // least recently used statements leave the cache: the first one is compiled anew
      const first = db.prepare('select 1 as one');
      for (let i = 0; i < STATEMENT_CACHE_SIZE + 10; i++) await knex.raw(`select ${i} as n`);
      expect(db.prepare('select 1 as one')).not.toBe(first);
      expect((await knex.raw(`select ${STATEMENT_CACHE_SIZE} as n`))[0].n).toBe(STATEMENT_CACHE_SIZE);
    }));

  it('checkpoints the write-ahead log on a worker thread: committed rows reach the database file itself', () =>
    onSqliteFile(async (knex, file) => {
      const tuning = await tuneSqliteFile(knex);
      const checkpointer = tuning!.checkpointer!;
      try {
        expect(tuning!.pragmas.wal_autocheckpoint).toBe(SAFETY_NET_AUTOCHECKPOINT_PAGES);
        await createTable(knex);
        for (let i = 0; i < 50; i++) await knex('items').insert({ id: `r${i}`, body: 'x'.repeat(500) });
        // the main file alone (without its -wal) holds all 50 rows once a background checkpoint
        // ran; the main connection never reaches its own (safety-net) threshold here
        expect(await rowsInMainFileWithin(file, 50, 10_000)).toBe(50);
        expect(checkpointer.checkpointedPages).toBeGreaterThan(0);
        expect(checkpointer.lastError).toBeUndefined();
      } finally {
        await checkpointer.stop();
      }
    }));

  it('all files share one checkpoint thread, which ends with the last file', () =>
    onSqliteFile(async (first, firstFile) =>
      onSqliteFile(async (second, secondFile) => {
        expect(BackgroundCheckpointer.threads).toBe(0);
        const a = (await tuneSqliteFile(first))!.checkpointer!;
        const b = (await tuneSqliteFile(second))!.checkpointer!;
        try {
          expect(BackgroundCheckpointer.threads).toBe(1);
          for (const knex of [first, second]) {
            await createTable(knex);
            for (let i = 0; i < 20; i++) await knex('items').insert({ id: `r${i}`, body: 'x'.repeat(500) });
          }
          expect(await rowsInMainFileWithin(firstFile, 20, 10_000)).toBe(20);
          expect(await rowsInMainFileWithin(secondFile, 20, 10_000)).toBe(20);
          await a.stop();
          expect(BackgroundCheckpointer.threads).toBe(1); // b still uses it
          await second('items').insert({ id: 'late', body: 'y' });
          expect(await rowsInMainFileWithin(secondFile, 21, 10_000)).toBe(21);
        } finally {
          await a.stop();
          await b.stop();
        }
        expect(BackgroundCheckpointer.threads).toBe(0);
      }),
    ));

  it('without background checkpoints, SQLite checkpoints on the main connection at its default threshold', () =>
    onSqliteFile(async knex => {
      const tuning = await tuneSqliteFile(knex, { backgroundCheckpoints: false });
      expect(tuning!.checkpointer).toBeUndefined();
      expect(tuning!.pragmas.wal_autocheckpoint).toBe(1000);
    }));

  it('leaves in-memory SQLite and PostgreSQL clients alone', async () => {
    const memory = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    const pg = knexFactory({ client: 'pg', connection: 'postgresql://nobody@127.0.0.1:1/none' });
    try {
      expect(await tuneSqliteFile(memory)).toBeUndefined();
      expect((await memory.raw('PRAGMA journal_mode'))[0].journal_mode).toBe('memory');
      // no connection is attempted for PostgreSQL (port 1 would refuse it)
      expect(await tuneSqliteFile(pg)).toBeUndefined();
    } finally {
      await memory.destroy();
      await pg.destroy();
    }
  });
});
