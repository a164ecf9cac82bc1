import { Knex } from 'knex';
import {
  DatabaseService,
  isDatabaseConflictError,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  AuditEvent,
  AuditEventsPage,
  AuditEventsQuery,
  AuditHashAlgorithm,
  VerifyResult,
} from '@internal/plugin-audit-common';
import {
  ChainRow,
  ChainVerifier,
  GENESIS_HASH,
  UnhashedRow,
  computeRowHash,
} from '../domain/hashChain';

const TABLE = 'audit_events';

/** Key of the PostgreSQL transaction-level advisory lock that serializes appends ('AUDT'). */
export const AUDIT_APPEND_LOCK_KEY = 0x41554454;

const migrationsDir = resolvePackagePath(
  '@internal/plugin-audit-backend',
  'migrations',
);

/** The content of a new row; seq, prev_hash and hash are assigned by the store. */
export type NewChainRow = Omit<UnhashedRow, 'seq' | 'prev_hash' | 'hash_alg'>;

/**
 * The only place with SQL for the audit trail. It can append and read; it has no
 * method that updates or deletes a row.
 */
export class AuditEventStore {
  private appendQueue: Promise<unknown> = Promise.resolve();

  static async create(options: {
    database: DatabaseService;
    hmacSecret?: string;
  }): Promise<AuditEventStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new AuditEventStore(client, options.hmacSecret);
  }

  /** Runs the migrations in `migrations/` on a knex client (used by tests and the CLI). */
  static async migrate(client: Knex): Promise<void> {
    await client.migrate.latest({ directory: migrationsDir });
  }

  static readonly migrationsDirectory = migrationsDir;

  constructor(
    private readonly db: Knex,
    private readonly hmacSecret?: string,
  ) {}

  private get isPostgres(): boolean {
    return String(this.db.client.config.client).includes('pg');
  }

  /** Appends one row at the end of the chain (see `appendBatch`). */
  async append(row: NewChainRow): Promise<ChainRow> {
    const [full] = await this.appendBatch([row]);
    return full;
  }

  /**
   * Appends rows, in the given order, at the end of the chain in one transaction: all of
   * them or none.
   *
   * Appends never interleave: in-process they run one after the other (promise queue);
   * across processes the transaction first takes a PostgreSQL advisory lock (SQLite
   * serializes write transactions itself) and then reads the current end of the chain;
   * and UNIQUE(prev_hash) plus the seq primary key refuse a fork as the last line of
   * defence, in which case the append is retried.
   */
  appendBatch(rows: NewChainRow[]): Promise<ChainRow[]> {
    const result = this.appendQueue.then(() => this.appendWithRetry(rows));
    this.appendQueue = result.catch(() => undefined);
    return result;
  }

  private async appendWithRetry(rows: NewChainRow[]): Promise<ChainRow[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(rows);
      } catch (error) {
        if (attempt >= 5 || !isRetryable(error)) throw error;
      }
    }
  }

  private async appendOnce(rows: NewChainRow[]): Promise<ChainRow[]> {
    if (rows.length === 0) return [];
    return this.db.transaction(async trx => {
      if (this.isPostgres) {
        await trx.raw('SELECT pg_advisory_xact_lock(?)', [
          AUDIT_APPEND_LOCK_KEY,
        ]);
      }
      const last = await trx(TABLE)
        .select('seq', 'hash')
        .orderBy('seq', 'desc')
        .first();
      const hashAlg: AuditHashAlgorithm = this.hmacSecret
        ? 'hmac-sha256'
        : 'sha256';
      let seq = last ? Number(last.seq) : 0;
      let prevHash: string = last ? last.hash : GENESIS_HASH;
      const full = rows.map(row => {
        const unhashed: UnhashedRow = {
          ...row,
          seq: ++seq,
          prev_hash: prevHash,
          hash_alg: hashAlg,
        };
        prevHash = computeRowHash(unhashed, this.hmacSecret);
        return { ...unhashed, hash: prevHash };
      });
      await trx(TABLE).insert(full);
      return full;
    });
  }

  /** One page of events (newest first unless `after` is given or `order: 'asc'`). */
  async listEvents(query: AuditEventsQuery): Promise<AuditEventsPage> {
    const limit = query.limit ?? 50;
    const order = query.order ?? (query.after !== undefined ? 'asc' : 'desc');
    const q = this.db<ChainRow>(TABLE);
    if (query.after !== undefined) q.where('seq', '>', query.after);
    if (query.before !== undefined) q.where('seq', '<', query.before);
    if (query.pluginId) q.where('plugin_id', query.pluginId);
    if (query.eventId) q.where('event_id', query.eventId);
    if (query.actor) q.where('actor', query.actor);
    if (query.severity) q.where('severity', query.severity);
    if (query.status) q.where('status', query.status);
    if (query.from) q.where('occurred_at', '>=', query.from);
    if (query.to) q.where('occurred_at', '<', query.to);
    if (query.entityRef) {
      // an event concerns an entity when its canonical-JSON meta holds the ref as a string value
      const needle = JSON.stringify(query.entityRef).replace(/[\\%_]/g, c => `\\${c}`);
      q.whereRaw(`meta like ? escape '\\'`, [`%${needle}%`]);
    }
    const rows = await q
      .select()
      .orderBy('seq', order)
      .limit(limit + 1);
    const page = rows.slice(0, limit).map(toAuditEvent);
    const last = page[page.length - 1];
    let nextCursor: AuditEventsPage['nextCursor'];
    if (rows.length > limit && last) {
      nextCursor =
        order === 'desc' ? { before: last.seq } : { after: last.seq };
    }
    return { items: page, nextCursor };
  }

  /** Rows with seq > afterSeq in seq order, at most `limit` of them. */
  async readChain(afterSeq: number, limit: number): Promise<ChainRow[]> {
    const rows = await this.db<ChainRow>(TABLE)
      .select()
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(limit);
    return rows.map(r => ({ ...r, seq: Number(r.seq) }));
  }

  /** Walks the whole chain in batches (never loading the table at once). */
  async verify(options?: { batchSize?: number }): Promise<VerifyResult> {
    const batchSize = options?.batchSize ?? 1000;
    const verifier = new ChainVerifier(this.hmacSecret);
    let after = 0;
    for (;;) {
      const rows = await this.readChain(after, batchSize);
      if (rows.length === 0) break;
      if (!verifier.feed(rows)) break;
      after = rows[rows.length - 1].seq;
      if (rows.length < batchSize) break;
    }
    return verifier.result();
  }
}

/** A lost race for the end of the chain (unique violation) or a busy SQLite file. */
function isRetryable(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    isDatabaseConflictError(error) ||
    e?.code === '23505' || // PostgreSQL unique_violation
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_BUSY' ||
    /UNIQUE constraint failed/.test(String(e?.message))
  );
}

function parseJson<T>(text: string | null): T | undefined {
  return text === null || text === undefined ? undefined : JSON.parse(text);
}

/** Stored row → API shape. */
export function toAuditEvent(row: ChainRow): AuditEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    correlationId: row.correlation_id,
    occurredAt: row.occurred_at,
    pluginId: row.plugin_id,
    eventId: row.event_id,
    severity: row.severity as AuditEvent['severity'],
    status: row.status as AuditEvent['status'],
    actor: row.actor ?? undefined,
    actorType: row.actor_type as AuditEvent['actorType'],
    request: parseJson(row.request),
    meta: parseJson(row.meta),
    error: parseJson(row.error),
    prevHash: row.prev_hash,
    hash: row.hash,
    hashAlg: row.hash_alg,
  };
}
