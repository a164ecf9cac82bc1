import { Knex } from 'knex';

/** The part of a better-sqlite3 `Database` this module touches. */
interface SqliteConnection {
  pragma(source: string): unknown;
  prepare(source: string): unknown;
}

const tuned = new WeakSet<object>();

/** Prepared statements kept per connection (least recently used dropped first). */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * Keeps the connection's prepared statements, keyed by SQL text. Knex's better-sqlite3
 * dialect calls `prepare()` for every query, and compiling the statement was the largest
 * single cost of a request in the access-requests benchmark. Reusing a statement is safe
 * here because knex only calls the synchronous `run()`/`all()` with fresh bindings each time
 * (no iterators, no per-statement modes), and SQLite re-prepares a cached statement by
 * itself when the schema changes (migrations).
 */
export function cachePreparedStatements(db: SqliteConnection, max = STATEMENT_CACHE_SIZE): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, unknown>();
  db.prepare = (source: string) => {
    const hit = cache.get(source);
    if (hit) {
      cache.delete(source);
      cache.set(source, hit);
      return hit;
    }
    const statement = prepare(source);
    cache.set(source, statement);
    if (cache.size > max) cache.delete(cache.keys().next().value!);
    return statement;
  };
}

function tuneConnection(db: SqliteConnection) {
  if (tuned.has(db)) return;
  tuned.add(db);
  // per connection; journal_mode = WAL is stored in the file and set once below
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  cachePreparedStatements(db);
}

/**
 * On a better-sqlite3 FILE database: write-ahead log (readers do not block the writer, a
 * commit appends to the log instead of rewriting the journal), `synchronous = NORMAL` (no
 * fsync per commit in WAL mode; a power cut may lose the last commits, never corrupts the
 * file), a busy timeout instead of SQLITE_BUSY errors, and a prepared-statement cache.
 * Everything but `journal_mode` is per connection, so it is applied to the pooled connection
 * now and to every connection the pool creates later. Returns the pragmas in effect (none for
 * PostgreSQL or `:memory:`).
 */
export async function tuneSqliteFile(knex: Knex): Promise<Record<string, unknown> | undefined> {
  if (String(knex.client.config.client) !== 'better-sqlite3') return undefined;
  const connection = knex.client.config.connection as { filename?: string } | string | undefined;
  const filename = typeof connection === 'string' ? connection : connection?.filename;
  if (!filename || filename === ':memory:') return undefined;
  knex.client.pool?.on('createSuccess', (_eventId: unknown, db: SqliteConnection) => tuneConnection(db));
  const db = (await knex.client.acquireConnection()) as SqliteConnection;
  try {
    tuneConnection(db);
  } finally {
    await knex.client.releaseConnection(db);
  }
  const journal = await knex.raw('PRAGMA journal_mode = WAL');
  const synchronous = await knex.raw('PRAGMA synchronous');
  return { journal_mode: journal?.[0]?.journal_mode, synchronous: synchronous?.[0]?.synchronous };
}
