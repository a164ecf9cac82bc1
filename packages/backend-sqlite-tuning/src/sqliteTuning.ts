import { Worker } from 'node:worker_threads';
import { Knex } from 'knex';

/** The part of a better-sqlite3 `Database` this module touches. */
interface SqliteConnection {
  pragma(source: string): unknown;
  prepare(source: string): unknown;
}

/** Prepared statements kept per connection (least recently used dropped first). */
export const STATEMENT_CACHE_SIZE = 256;
/** Pages the main connection lets the WAL grow to before checkpointing itself (safety net). */
export const SAFETY_NET_AUTOCHECKPOINT_PAGES = 10_000;
/** How often the background thread checkpoints the WAL. */
export const BACKGROUND_CHECKPOINT_INTERVAL_MS = 200;

const tuned = new WeakSet<object>();

/**
 * Keeps the connection's prepared statements, keyed by SQL text. Knex's better-sqlite3 dialect
 * calls `prepare()` for every query, and compiling the statement was the largest single cost of
 * a request in the access-requests benchmark. Reusing a statement is safe because knex only
 * calls the synchronous `run()`/`all()` with fresh bindings each time (no iterators), and SQLite
 * re-prepares a cached statement by itself when the schema changes (migrations). One caveat: a
 * query that sets knex's `safeIntegers` option changes the cached statement of that SQL text.
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
  // per connection; journal_mode = WAL is stored in the file and set once in tuneSqliteFile
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  cachePreparedStatements(db);
}

// Runs in the worker thread (CommonJS, no build step, so it also works from a bundled backend):
// one connection per registered file, all checkpointed on one timer.
const CHECKPOINT_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const files = new Map();
const failed = (id, error) =>
  parentPort.postMessage({ type: 'error', id, message: String((error && error.message) || error) });
parentPort.on('message', message => {
  if (message.type === 'add') {
    try {
      const db = new Database(message.filename, { fileMustExist: true });
      db.pragma('busy_timeout = 1000');
      files.set(message.id, db);
    } catch (error) {
      failed(message.id, error);
    }
  } else if (message.type === 'remove') {
    const db = files.get(message.id);
    files.delete(message.id);
    if (db) db.close();
    parentPort.postMessage({ type: 'removed', id: message.id });
  }
});
setInterval(() => {
  for (const [id, db] of files) {
    try {
      const [result] = db.pragma('wal_checkpoint(PASSIVE)');
      if (result && result.checkpointed > 0) {
        parentPort.postMessage({ type: 'checkpoint', id, checkpointed: result.checkpointed });
      }
    } catch (error) {
      failed(id, error);
    }
  }
}, workerData.intervalMs);
`;

type CheckpointMessage = { type: 'checkpoint' | 'error' | 'removed'; id: number; checkpointed?: number; message?: string };

/**
 * The process's one checkpoint thread, shared by every BackgroundCheckpointer (one thread per
 * file cost ~13 MB of memory each: 176 MB for the portal's 13 plugin databases). Started with
 * the first file, ended with the last.
 */
class CheckpointThread {
  private static current?: CheckpointThread;
  private readonly members = new Map<number, BackgroundCheckpointer>();
  private readonly removed = new Map<number, () => void>();
  private readonly worker: Worker;

  static join(member: BackgroundCheckpointer, filename: string): CheckpointThread {
    const thread = (CheckpointThread.current ??= new CheckpointThread());
    thread.members.set(member.id, member);
    thread.worker.postMessage({ type: 'add', id: member.id, filename });
    return thread;
  }

  static get running(): number {
    return CheckpointThread.current ? 1 : 0;
  }

  private constructor() {
    this.worker = new Worker(CHECKPOINT_WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), intervalMs: BACKGROUND_CHECKPOINT_INTERVAL_MS },
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.worker.on('message', (m: CheckpointMessage) => {
      if (m.type === 'removed') this.removed.get(m.id)?.();
      else this.members.get(m.id)?.receive(m);
    });
    this.worker.on('error', e => {
      for (const member of this.members.values()) member.receive({ type: 'error', id: member.id, message: e.message });
    });
  }

  /** Closes the member's connection; the last member ends the thread. */
  async leave(member: BackgroundCheckpointer): Promise<void> {
    if (!this.members.delete(member.id)) return;
    const acknowledged = new Promise<void>(resolve => this.removed.set(member.id, resolve));
    this.worker.postMessage({ type: 'remove', id: member.id });
    const timeout = new Promise<void>(resolve => setTimeout(resolve, 2000).unref());
    await Promise.race([acknowledged, timeout]);
    this.removed.delete(member.id);
    if (this.members.size === 0) {
      if (CheckpointThread.current === this) CheckpointThread.current = undefined;
      await this.worker.terminate();
    }
  }
}

let nextCheckpointerId = 1;

/**
 * Checkpoints a SQLite file's write-ahead log from a worker thread with its own connection, so
 * that copying WAL pages into the database file, and the fsync that follows, happen off the
 * event loop. (With SQLite's automatic checkpoint the commit that crosses the threshold does all
 * of it while every other request waits.) PASSIVE checkpoints never block the writer. All
 * checkpointers of the process share one thread.
 */
export class BackgroundCheckpointer {
  /** Checkpoint threads running in this process (0 or 1). */
  static get threads(): number {
    return CheckpointThread.running;
  }

  readonly id = nextCheckpointerId++;
  checkpoints = 0;
  checkpointedPages = 0;
  lastError?: string;
  private readonly thread: CheckpointThread;

  constructor(filename: string, private readonly options: { onError?: (message: string) => void } = {}) {
    this.thread = CheckpointThread.join(this, filename);
  }

  /** A message about this file from the checkpoint thread. */
  receive(m: CheckpointMessage): void {
    if (m.type === 'checkpoint') {
      this.checkpoints += 1;
      this.checkpointedPages += m.checkpointed ?? 0;
    } else if (m.type === 'error') {
      this.lastError = m.message;
      this.options.onError?.(m.message ?? 'unknown error');
    }
  }

  /** Closes this file's checkpoint connection (SQLite's own checkpoint remains). */
  async stop(): Promise<void> {
    await this.thread.leave(this);
  }
}

export interface SqliteTuning {
  filename: string;
  pragmas: Record<string, unknown>;
  checkpointer?: BackgroundCheckpointer;
}

/**
 * Tunes a knex client on a better-sqlite3 FILE: write-ahead log (readers do not block the
 * writer, a commit appends to the log instead of rewriting a rollback journal with fsyncs),
 * `synchronous = NORMAL` (no fsync per commit in WAL mode; a power cut may lose the last
 * commits, never corrupts the file), a busy timeout instead of SQLITE_BUSY errors, a
 * prepared-statement cache, and (unless `backgroundCheckpoints: false`) WAL checkpoints on a
 * worker thread, the main connection keeping a high automatic threshold as a safety net.
 * Everything but `journal_mode` is per connection, so it is applied to the pooled connection
 * now and to every connection the pool creates later. Returns undefined (and changes nothing)
 * for other clients and for `:memory:`.
 */
export async function tuneSqliteFile(
  knex: Knex,
  options: { backgroundCheckpoints?: boolean; onCheckpointError?: (message: string) => void } = {},
): Promise<SqliteTuning | undefined> {
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
  let checkpointer: BackgroundCheckpointer | undefined;
  if (options.backgroundCheckpoints !== false && journal?.[0]?.journal_mode === 'wal') {
    checkpointer = new BackgroundCheckpointer(filename, { onError: options.onCheckpointError });
    await knex.raw(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_AUTOCHECKPOINT_PAGES}`);
  }
  const synchronous = await knex.raw('PRAGMA synchronous');
  const autocheckpoint = await knex.raw('PRAGMA wal_autocheckpoint');
  return {
    filename,
    pragmas: {
      journal_mode: journal?.[0]?.journal_mode,
      synchronous: synchronous?.[0]?.synchronous,
      wal_autocheckpoint: autocheckpoint?.[0]?.wal_autocheckpoint,
    },
    checkpointer,
  };
}
