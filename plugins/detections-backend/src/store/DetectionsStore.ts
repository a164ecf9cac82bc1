import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type {
  AlertHistoryEntry,
  AlertStatus,
  CloseReason,
  DashboardSummary,
  Severity,
  SourceId,
} from '@internal/plugin-detections-common';
import { SEVERITIES } from '@internal/plugin-detections-common';
import { AlertRecord, severityRank } from '../domain/alerts';
import type { EventRecord } from '../domain/events';
import { HOUR_MS, NETWORK_SOURCES, WEIGHT_READ_OPERATIONS, type RollupRow } from '../domain/rollups';
import type { AlertChange } from '../domain/grouping';
import type { TriagePatch } from '../domain/triage';

const migrationsDir = resolvePackagePath('@internal/plugin-detections-backend', 'migrations');

export type Tx = Knex.Transaction;

/** One event row to insert (built by the ingest service). */
export interface EventRow {
  id: string;
  key: string;
  source_id: string;
  source: SourceId;
  time: number;
  activity: string;
  outcome: string;
  principal: string;
  resource: string | null;
  country: string | null;
  bytes: number | null;
  weight_store: boolean;
  raw: string;
  ingested_at: number;
}

export interface EventFilter {
  source?: SourceId[];
  principal?: string;
  resource?: string;
  /** epoch ms, inclusive */
  from?: number;
  /** epoch ms, inclusive */
  to?: number;
  limit: number;
  /** [time, id] of the last row of the previous page */
  after?: [number, string];
}

export interface AlertFilter {
  status?: AlertStatus[];
  severity?: Severity[];
  rule?: string;
  principal?: string;
  resource?: string;
  entityRef?: string;
  from?: string;
  to?: string;
  q?: string;
  limit: number;
  /** [lastSeen, id] of the last row of the previous page */
  after?: [string, string];
}

const opt = <T>(v: T | null | undefined): T | undefined => (v === null || v === undefined ? undefined : v);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** Columns of detection_events in the order insertEvents binds them (EventRow's fields). */
const EVENT_COLUMNS = ['id', 'key', 'source_id', 'source', 'time', 'activity', 'outcome', 'principal', 'resource', 'country', 'bytes', 'weight_store', 'raw', 'ingested_at'] as const;

const EVENT_READ_COLUMNS = ['id', 'key', 'source', 'time', 'activity', 'outcome', 'principal', 'resource', 'bytes', 'raw'];

export interface EventFacts {
  total: number;
  signIns: Map<string, { country: string; success: number; failure: number }>;
  denies: Map<string, { destination: string; count: number }>;
  reads: Map<string, { principal: string; bytes: number; reads: number }>;
}

/** Rows per INSERT statement (SQLite allows 32,766 variables; 15 columns × 500 rows stays below). */
const INSERT_CHUNK = 500;
/** Rows per PostgreSQL insert (one JSON parameter, so no parameter limit; bounds the statement's size). */
const PG_INSERT_CHUNK = 5000;

/** The row with its strings made well-formed (PostgreSQL's json → text refuses a lone surrogate). */
function wellFormed(row: EventRow): EventRow {
  let out: EventRow | undefined;
  for (const c of EVENT_COLUMNS) {
    const v = row[c];
    if (typeof v === 'string' && !v.isWellFormed()) (out ??= { ...row })[c] = v.toWellFormed() as never;
  }
  return out ?? row;
}

interface SqliteStatement {
  all(values: unknown[]): unknown[];
}
/** Prepared multi-row insert statements per better-sqlite3 connection, by row count. */
const sqliteInserts = new WeakMap<object, Map<number, SqliteStatement>>();

function sqliteInsertStatement(connection: { prepare(sql: string): SqliteStatement }, rows: number): SqliteStatement {
  let byRows = sqliteInserts.get(connection);
  if (!byRows) sqliteInserts.set(connection, (byRows = new Map()));
  let statement = byRows.get(rows);
  if (!statement) {
    const row = `(${EVENT_COLUMNS.map(() => '?').join(', ')})`;
    statement = connection.prepare(
      `insert into detection_events (${EVENT_COLUMNS.join(', ')}) values ${new Array(rows).fill(row).join(', ')} on conflict (key) do nothing returning key`,
    );
    // the remainder of a batch has its own size: keep only the full-chunk statement and a few others
    if (byRows.size > 8) byRows.delete([...byRows.keys()].find(k => k !== INSERT_CHUNK)!);
    byRows.set(rows, statement);
  }
  return statement;
}

/** Values per IN (...) list. */
const IN_CHUNK = 500;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** LIKE pattern of a user's words, with the wildcard characters of the words escaped. */
function likeOf(s: string): string {
  return `%${s.toLocaleLowerCase('en-US').replace(/[\\%_]/g, c => `\\${c}`)}%`;
}

/** The only place with SQL for detections: events, alerts and their history, blob read positions. */
export class DetectionsStore {
  static async create(options: { knex: Knex; skipMigrations?: boolean }): Promise<DetectionsStore> {
    if (!options.skipMigrations) await options.knex.migrate.latest({ directory: migrationsDir });
    return new DetectionsStore(options.knex);
  }

  readonly isPostgres: boolean;

  constructor(private readonly db: Knex) {
    this.isPostgres = String(db.client.config.client).includes('pg');
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  private q(tx?: Tx): Knex {
    return tx ?? this.db;
  }

  // ---- events ----

  /**
   * Inserts events whose key is not stored yet; returns the keys inserted. A key already stored
   * (re-delivery, or another replica) is skipped, not an error (`ON CONFLICT (key) DO NOTHING
   * RETURNING key`: the duplicate check is the insert itself, no query per event).
   */
  async insertEvents(rows: EventRow[], tx?: Tx): Promise<Set<string>> {
    const inserted = new Set<string>();
    if (!rows.length) return inserted;
    const db = this.q(tx);
    if (this.isPostgres) {
      // one statement per 5,000 rows, the rows as one JSON parameter (JSON.stringify is native:
      // half the client CPU of array parameters, a third of 7,000 positional ones per 500 rows).
      // Strings are made well-formed first, as the UTF-8 encoding of parameters did (a lone
      // surrogate becomes U+FFFD instead of failing the JSON's conversion to text).
      const rowsOf = `from json_populate_recordset(null::detection_events, ?::json) r`;
      const columns = EVENT_COLUMNS.join(', ');
      for (const part of chunks(rows, PG_INSERT_CHUNK)) {
        const json = JSON.stringify(part.map(wellFormed));
        let got: Array<{ key: string }>;
        try {
          // keys already stored are left out by the statement itself: a plain insert, without the
          // speculative insertion of ON CONFLICT (a tenth less server CPU)…
          got = (await db.transaction(sp => sp.raw(
            `insert into detection_events (${columns}) select ${EVENT_COLUMNS.map(c => `r.${c}`).join(', ')} ${rowsOf} ` +
              'where not exists (select 1 from detection_events e where e.key = r.key) returning key',
            [json],
          ))).rows;
        } catch (e) {
          // …and when a key arrives twice in the rows or from another replica meanwhile, the
          // savepoint is rolled back and ON CONFLICT skips it
          if ((e as { code?: string }).code !== '23505') throw e;
          got = (await db.raw(`insert into detection_events (${columns}) select ${columns} ${rowsOf} on conflict (key) do nothing returning key`, [json])).rows;
        }
        for (const r of got) inserted.add(r.key);
      }
      return inserted;
    }
    const connection = await db.client.acquireConnection();
    try {
      // better-sqlite3 directly, on the transaction's connection: knex formatting 7,000 bindings
      // per statement cost a tenth of the ingest; the 500-row statement is prepared once
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const n = Math.min(INSERT_CHUNK, rows.length - i);
        const values: unknown[] = new Array(n * EVENT_COLUMNS.length);
        let v = 0;
        for (let j = i; j < i + n; j++) {
          const r = rows[j];
          values[v++] = r.id;
          values[v++] = r.key;
          values[v++] = r.source_id;
          values[v++] = r.source;
          values[v++] = r.time;
          values[v++] = r.activity;
          values[v++] = r.outcome;
          values[v++] = r.principal;
          values[v++] = r.resource;
          values[v++] = r.country;
          values[v++] = r.bytes;
          values[v++] = r.weight_store ? 1 : 0;
          values[v++] = r.raw;
          values[v++] = r.ingested_at;
        }
        for (const r of sqliteInsertStatement(connection, n).all(values) as Array<{ key: string }>) inserted.add(r.key);
      }
    } finally {
      await db.client.releaseConnection(connection);
    }
    return inserted;
  }

  private static event(r: any): EventRecord {
    return {
      id: r.id,
      key: r.key,
      source: r.source,
      time: num(r.time),
      activity: r.activity,
      outcome: r.outcome,
      principal: r.principal,
      ...(r.resource !== null && r.resource !== undefined ? { resource: r.resource } : {}),
      ...(r.bytes !== null && r.bytes !== undefined ? { bytes: num(r.bytes) } : {}),
      raw: String(r.raw),
    };
  }

  async listEvents(f: EventFilter): Promise<{ items: EventRecord[]; last?: [number, string] }> {
    let q = this.db('detection_events').select(EVENT_READ_COLUMNS);
    if (f.source?.length) q = q.whereIn('source', f.source);
    if (f.principal) q = q.where('principal', f.principal);
    if (f.resource) q = q.where('resource', f.resource);
    if (f.from !== undefined) q = q.where('time', '>=', f.from);
    if (f.to !== undefined) q = q.where('time', '<=', f.to);
    if (f.after) {
      const [t, id] = f.after;
      q = q.where(w => w.where('time', '<', t).orWhere(w2 => w2.where('time', t).andWhere('id', '<', id)));
    }
    const rows = await q.orderBy([{ column: 'time', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(f.limit + 1);
    const page = rows.slice(0, f.limit);
    const last = rows.length > f.limit ? page[page.length - 1] : undefined;
    return { items: page.map(DetectionsStore.event), last: last ? [num(last.time), last.id] : undefined };
  }

  async getEvent(id: string): Promise<EventRecord | undefined> {
    const r = await this.db('detection_events').where({ id }).first(EVENT_READ_COLUMNS);
    return r ? DetectionsStore.event(r) : undefined;
  }

  /** Events linked to an alert, newest first (keyset on time, id). */
  async alertEvents(alertId: string, limit: number, after?: [number, string]): Promise<{ items: EventRecord[]; last?: [number, string] }> {
    let q = this.db('detection_alert_events as ae')
      .join('detection_events as e', 'e.source_id', 'ae.event_ref')
      .where('ae.alert_id', alertId)
      .select(EVENT_READ_COLUMNS.map(c => `e.${c}`));
    if (after) {
      const [t, id] = after;
      q = q.where(w => w.where('e.time', '<', t).orWhere(w2 => w2.where('e.time', t).andWhere('e.id', '<', id)));
    }
    const rows = await q.orderBy([{ column: 'e.time', order: 'desc' }, { column: 'e.id', order: 'desc' }]).limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    return { items: page.map(DetectionsStore.event), last: last ? [num(last.time), last.id] : undefined };
  }

  /** The originals of events since `fromMs`, oldest first (engine warm-up), at most `limit`. */
  async rawEventsSince(fromMs: number, limit: number): Promise<string[]> {
    const rows = await this.db('detection_events')
      .where('time', '>=', fromMs)
      .orderBy([{ column: 'time', order: 'asc' }, { column: 'id', order: 'asc' }])
      .limit(limit)
      .select('raw');
    return rows.map(r => String(r.raw));
  }

  // ---- alerts ----

  private static alertRow(a: AlertRecord) {
    return {
      group_key: a.groupKey,
      rule: a.rule,
      title: a.title,
      severity: a.severity,
      severity_rank: severityRank(a.severity),
      principal: a.principal,
      principal_ref: a.principalRef ?? null,
      resource: a.resource,
      resource_ref: a.resourceRef ?? null,
      status: a.status,
      close_reason: a.closeReason ?? null,
      assignee: a.assignee ?? null,
      first_seen: a.firstSeen,
      last_seen: a.lastSeen,
      count: a.count,
      details: a.details ? JSON.stringify(a.details) : null,
      created_at: a.createdAt,
      updated_at: a.updatedAt,
      closed_at: a.closedAt ?? null,
    };
  }

  private static alert(r: any): AlertRecord {
    return {
      id: r.id,
      groupKey: r.group_key,
      rule: r.rule,
      title: r.title,
      severity: r.severity,
      principal: r.principal,
      principalRef: opt(r.principal_ref),
      resource: r.resource,
      resourceRef: opt(r.resource_ref),
      status: r.status,
      closeReason: opt(r.close_reason) as CloseReason | undefined,
      assignee: opt(r.assignee),
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      count: num(r.count),
      details: r.details ? JSON.parse(String(r.details)) : undefined,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      closedAt: opt(r.closed_at),
      version: num(r.version),
    };
  }

  /** The newest alert that is not closed for each group key. */
  async openAlertsFor(groupKeys: string[], tx?: Tx): Promise<Map<string, AlertRecord>> {
    const out = new Map<string, AlertRecord>();
    for (const part of chunks([...new Set(groupKeys)], IN_CHUNK)) {
      const rows = await this.q(tx)('detection_alerts').whereIn('group_key', part).whereNot('status', 'closed').orderBy('last_seen', 'asc');
      for (const r of rows) out.set(r.group_key, DetectionsStore.alert(r));
    }
    return out;
  }

  /** Which of `refs` are linked to each alert already. */
  async linkedRefs(alertIds: string[], refs: string[], tx?: Tx): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (!alertIds.length || !refs.length) return out;
    for (const part of chunks([...new Set(refs)], IN_CHUNK)) {
      const rows = await this.q(tx)('detection_alert_events').whereIn('alert_id', alertIds).whereIn('event_ref', part).select('alert_id', 'event_ref');
      for (const r of rows) {
        const s = out.get(r.alert_id) ?? new Set<string>();
        s.add(r.event_ref);
        out.set(r.alert_id, s);
      }
    }
    return out;
  }

  /** Stores what grouping decided: new alerts, updated ones, event links, history. */
  async applyAlertChanges(changes: AlertChange[], tx: Tx): Promise<void> {
    const inserts = changes.filter(c => c.opened).map(c => ({ id: c.alert.id, ...DetectionsStore.alertRow(c.alert), version: 1 }));
    for (const part of chunks(inserts, 100)) await tx('detection_alerts').insert(part);
    // detections touch only what the engine owns (times, count, severity, details), never the
    // triage fields, so they need no version check and a triage in flight is not disturbed
    for (const c of changes.filter(x => !x.opened)) {
      const a = c.alert;
      await tx('detection_alerts')
        .where({ id: a.id })
        .update({
          severity: a.severity,
          severity_rank: severityRank(a.severity),
          first_seen: a.firstSeen,
          last_seen: a.lastSeen,
          count: tx.raw('?? + ?', ['count', c.added]),
          details: a.details ? JSON.stringify(a.details) : null,
          updated_at: a.updatedAt,
        });
    }
    const links = changes.flatMap(c => c.newEventRefs.map(ref => ({ alert_id: c.alert.id, event_ref: ref })));
    for (const part of chunks(links, INSERT_CHUNK)) await tx('detection_alert_events').insert(part).onConflict(['alert_id', 'event_ref']).ignore();
    const history = changes.flatMap(c => c.history.map(h => ({ alert_id: c.alert.id, at: h.at, actor: h.actor, action: h.action, comment: h.comment ?? null })));
    for (const part of chunks(history, INSERT_CHUNK)) await tx('detection_alert_history').insert(part);
  }

  async getAlert(id: string, tx?: Tx, forUpdate = false): Promise<AlertRecord | undefined> {
    let q = this.q(tx)('detection_alerts').where({ id }).first();
    if (forUpdate && this.isPostgres) q = q.forUpdate();
    const r = await q;
    return r ? DetectionsStore.alert(r) : undefined;
  }

  async history(alertIds: string[]): Promise<Map<string, AlertHistoryEntry[]>> {
    const out = new Map<string, AlertHistoryEntry[]>(alertIds.map(id => [id, []]));
    for (const part of chunks(alertIds, IN_CHUNK)) {
      const rows = await this.db('detection_alert_history').whereIn('alert_id', part).orderBy([{ column: 'alert_id' }, { column: 'seq' }]);
      for (const r of rows) {
        out.get(r.alert_id)!.push({ at: r.at, actor: r.actor, action: r.action, ...(r.comment ? { comment: r.comment } : {}) });
      }
    }
    return out;
  }

  /** Applies a triage change if nobody changed the alert since it was read; returns whether it applied. */
  async updateTriage(a: AlertRecord, patch: TriagePatch, entry: AlertHistoryEntry, tx: Tx): Promise<boolean> {
    const row: Record<string, unknown> = { updated_at: entry.at, version: a.version + 1 };
    if (patch.status !== undefined) {
      row.status = patch.status;
      row.closed_at = patch.status === 'closed' ? entry.at : null;
    }
    if (patch.closeReason !== undefined) row.close_reason = patch.closeReason;
    if (patch.assignee !== undefined) row.assignee = patch.assignee;
    const n = await tx('detection_alerts').where({ id: a.id, version: a.version }).update(row);
    if (n !== 1) return false;
    await tx('detection_alert_history').insert({ alert_id: a.id, at: entry.at, actor: entry.actor, action: entry.action, comment: entry.comment ?? null });
    return true;
  }

  /** A history line that changes nothing else (grants revoked). */
  async appendHistory(alertId: string, entry: AlertHistoryEntry, tx: Tx): Promise<void> {
    await tx('detection_alerts').where({ id: alertId }).update({ updated_at: entry.at });
    await tx('detection_alert_history').insert({ alert_id: alertId, at: entry.at, actor: entry.actor, action: entry.action, comment: entry.comment ?? null });
  }

  private filteredAlerts(f: Omit<AlertFilter, 'limit' | 'after'>) {
    let q = this.db('detection_alerts');
    if (f.status?.length) q = q.whereIn('status', f.status);
    if (f.severity?.length) q = q.whereIn('severity', f.severity);
    if (f.rule) q = q.where('rule', f.rule);
    if (f.principal) q = q.where('principal', f.principal);
    if (f.resource) q = q.where('resource', f.resource);
    if (f.entityRef) q = q.where(w => w.where('principal_ref', f.entityRef!).orWhere('resource_ref', f.entityRef!));
    // alerts active in the range: seen last after its start and first before its end
    if (f.from) q = q.where('last_seen', '>=', f.from);
    if (f.to) q = q.where('first_seen', '<=', f.to);
    if (f.q) {
      const like = likeOf(f.q);
      q = q.where(w =>
        w.whereRaw("lower(title) like ? escape '\\'", [like])
          .orWhereRaw("lower(rule) like ? escape '\\'", [like])
          .orWhereRaw("lower(principal) like ? escape '\\'", [like])
          .orWhereRaw("lower(resource) like ? escape '\\'", [like]),
      );
    }
    return q;
  }

  async listAlerts(f: AlertFilter): Promise<{ items: AlertRecord[]; last?: [string, string]; totalCount: number }> {
    let q = this.filteredAlerts(f).select('*');
    if (f.after) {
      const [t, id] = f.after;
      q = q.where(w => w.where('last_seen', '<', t).orWhere(w2 => w2.where('last_seen', t).andWhere('id', '<', id)));
    }
    const rows = await q.orderBy([{ column: 'last_seen', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(f.limit + 1);
    const [{ n }] = await this.filteredAlerts(f).count({ n: '*' });
    const page = rows.slice(0, f.limit).map(DetectionsStore.alert);
    const last = rows.length > f.limit ? page[page.length - 1] : undefined;
    return { items: page, last: last ? [last.lastSeen, last.id] : undefined, totalCount: num(n) };
  }

  /**
   * Fills in the catalog refs of alerts opened before their principal or resource could be
   * resolved (a user who had no grant yet, a store the catalog learnt later): at most `limit`
   * distinct names per call.
   */
  async fillAlertRefs(resolvePrincipal: (p: string) => string | undefined, resolveResource: (r: string) => string | undefined, limit = 1000): Promise<number> {
    let n = 0;
    const principals = await this.db('detection_alerts').whereNull('principal_ref').distinct('principal').limit(limit);
    for (const { principal } of principals) {
      const ref = resolvePrincipal(principal);
      if (ref) n += await this.db('detection_alerts').where({ principal }).whereNull('principal_ref').update({ principal_ref: ref });
    }
    const resources = await this.db('detection_alerts').whereNull('resource_ref').distinct('resource').limit(limit);
    for (const { resource } of resources) {
      const ref = resolveResource(resource);
      if (ref) n += await this.db('detection_alerts').where({ resource }).whereNull('resource_ref').update({ resource_ref: ref });
    }
    return n;
  }

  // ---- dashboard ----

  /**
   * The dashboard's aggregates, each one SQL query bounded by the time range (events on their
   * time indexes, alerts on last_seen/first_seen). `source` narrows the event aggregates.
   */
  async dashboard(range: { from: string; to: string; source?: SourceId[]; bucket: 'hour' | 'day'; top: number }): Promise<DashboardSummary> {
    const alerts = () => this.db('detection_alerts').where('last_seen', '>=', range.from).andWhere('first_seen', '<=', range.to);
    const width = range.bucket === 'hour' ? 13 : 10;

    const facts = await this.eventFacts(Date.parse(range.from), Date.parse(range.to), range.source);
    const bySeverity: any[] = await alerts().select('severity', 'status').count({ n: '*' }).groupBy('severity', 'status');
    const alertsBySeverity = Object.fromEntries(SEVERITIES.map(s => [s, 0])) as Record<Severity, number>;
    let alertsOpen = 0;
    for (const r of bySeverity) {
      alertsBySeverity[r.severity as Severity] += num(r.n);
      if (r.status !== 'closed') alertsOpen += num(r.n);
    }

    const bucketExpr = this.db.raw(`substr(first_seen, 1, ${width})`);
    const overTime: any[] = await this.db('detection_alerts')
      .where('first_seen', '>=', range.from)
      .andWhere('first_seen', '<=', range.to)
      .select({ bucket: bucketExpr, severity: 'severity' })
      .count({ n: '*' })
      .groupByRaw(`substr(first_seen, 1, ${width}), severity`);
    const buckets = new Map<string, DashboardSummary['alertsOverTime'][number]>();
    for (const r of overTime) {
      const b = String(r.bucket);
      const bucket = width === 13 ? `${b}:00:00.000Z` : `${b}T00:00:00.000Z`;
      let row = buckets.get(bucket);
      if (!row) buckets.set(bucket, (row = { bucket, informational: 0, low: 0, medium: 0, high: 0, critical: 0 }));
      row[r.severity as Severity] += num(r.n);
    }

    const byRule: any[] = await alerts().whereNot('status', 'closed').select('rule').max({ title: 'title' }).count({ n: '*' })
      .groupBy('rule').orderBy([{ column: 'n', order: 'desc' }, { column: 'rule' }]).limit(range.top);
    const byPrincipal: any[] = await alerts().select('principal').max({ ref: 'principal_ref' }).count({ n: '*' })
      .groupBy('principal').orderBy([{ column: 'n', order: 'desc' }, { column: 'principal' }]).limit(range.top);
    const byResource: any[] = await alerts().select('resource').max({ ref: 'resource_ref' }).count({ n: '*' })
      .groupBy('resource').orderBy([{ column: 'n', order: 'desc' }, { column: 'resource' }]).limit(range.top);

    const top = <T>(m: Map<string, T>, order: (a: T, b: T) => number) => [...m.values()].sort(order).slice(0, range.top);
    return {
      from: range.from,
      to: range.to,
      totals: { events: facts.total, alertsOpen, alertsBySeverity },
      alertsOverTime: [...buckets.values()].sort((a, b) => (a.bucket < b.bucket ? -1 : 1)),
      openAlertsByRule: byRule.map(r => ({ rule: String(r.rule), title: String(r.title), count: num(r.n) })),
      topPrincipals: byPrincipal.map(r => ({ principal: String(r.principal), ...(r.ref ? { principalRef: String(r.ref) } : {}), alerts: num(r.n) })),
      topResources: byResource.map(r => ({ resource: String(r.resource), ...(r.ref ? { resourceRef: String(r.ref) } : {}), alerts: num(r.n) })),
      signInsByCountry: top(facts.signIns, (a, b) => b.success + b.failure - (a.success + a.failure) || (a.country < b.country ? -1 : 1)),
      egressDeniesByDestination: top(facts.denies, (a, b) => b.count - a.count || (a.destination < b.destination ? -1 : 1)),
      weightReadsByPrincipal: top(facts.reads, (a, b) => b.bytes - a.bytes || (a.principal < b.principal ? -1 : 1)),
    };
  }

  /**
   * The event counts of the dashboard over [fromMs, toMs]: whole hours from the roll-ups, the
   * partial hours at both ends from the events themselves (exact at any range, and at most two
   * hours of events are read whatever the range).
   */
  async eventFacts(fromMs: number, toMs: number, sources?: SourceId[]): Promise<EventFacts> {
    const facts: EventFacts = { total: 0, signIns: new Map(), denies: new Map(), reads: new Map() };
    const firstWhole = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
    const afterWhole = Math.floor((toMs + 1) / HOUR_MS) * HOUR_MS;
    if (firstWhole >= afterWhole) {
      await this.addEventFacts(facts, fromMs, toMs, sources);
      return facts;
    }
    if (fromMs < firstWhole) await this.addEventFacts(facts, fromMs, firstWhole - 1, sources);
    if (afterWhole <= toMs) await this.addEventFacts(facts, afterWhole, toMs, sources);
    let q = this.db('detection_event_rollups').where('bucket', '>=', firstWhole).andWhere('bucket', '<', afterWhole);
    if (sources?.length) q = q.whereIn('source', sources);
    const rows: any[] = await q.select('kind', 'dim', 'outcome').sum({ n: 'count', bytes: 'bytes' }).groupBy('kind', 'dim', 'outcome');
    for (const r of rows) DetectionsStore.addFact(facts, r.kind, String(r.dim), String(r.outcome), num(r.n), num(r.bytes ?? 0));
    return facts;
  }

  private static addFact(f: EventFacts, kind: string, dim: string, outcome: string, n: number, bytes: number) {
    if (kind === 'total') f.total += n;
    else if (kind === 'signin') {
      const country = dim || 'unknown';
      const c = f.signIns.get(country) ?? { country, success: 0, failure: 0 };
      if (outcome === 'success') c.success += n;
      else if (outcome === 'failure') c.failure += n;
      f.signIns.set(country, c);
    } else if (kind === 'deny') {
      const destination = dim || 'unknown';
      const d = f.denies.get(destination) ?? { destination, count: 0 };
      d.count += n;
      f.denies.set(destination, d);
    } else if (kind === 'weight_read') {
      const w = f.reads.get(dim) ?? { principal: dim, bytes: 0, reads: 0 };
      w.bytes += bytes;
      w.reads += n;
      f.reads.set(dim, w);
    }
  }

  /** The same counts as the roll-ups (domain/rollups.ts), from the events of [fromMs, toMs]. */
  private async addEventFacts(f: EventFacts, fromMs: number, toMs: number, sources?: SourceId[]) {
    const events = () => {
      let q = this.db('detection_events').where('time', '>=', fromMs).andWhere('time', '<=', toMs);
      if (sources?.length) q = q.whereIn('source', sources);
      return q;
    };
    const [{ n }] = await events().count({ n: '*' });
    DetectionsStore.addFact(f, 'total', '', '', num(n), 0);
    const signIns: any[] = await events().where('source', 'entra_signin').select('country', 'outcome').count({ n: '*' }).groupBy('country', 'outcome');
    for (const r of signIns) DetectionsStore.addFact(f, 'signin', r.country ?? '', String(r.outcome), num(r.n), 0);
    const denies: any[] = await events().whereIn('source', NETWORK_SOURCES).where('outcome', 'failure').select('resource').count({ n: '*' }).groupBy('resource');
    for (const r of denies) DetectionsStore.addFact(f, 'deny', r.resource ?? '', '', num(r.n), 0);
    const reads: any[] = await events().where('source', 'storage_blob').where('weight_store', true).where('outcome', 'success')
      .whereIn('activity', WEIGHT_READ_OPERATIONS).select('principal').sum({ bytes: 'bytes' }).count({ n: '*' }).groupBy('principal');
    for (const r of reads) DetectionsStore.addFact(f, 'weight_read', String(r.principal), '', num(r.n), num(r.bytes ?? 0));
  }

  /** Adds roll-up counts (ingest, same transaction as the events). */
  async addRollups(rows: RollupRow[], tx: Tx): Promise<void> {
    const row = '(?, ?, ?, ?, ?, ?, ?)';
    for (const part of chunks(rows, INSERT_CHUNK)) {
      const values: unknown[] = [];
      for (const r of part) values.push(r.kind, r.bucket, r.source, r.dim, r.outcome, r.count, r.bytes);
      await tx.raw(
        `insert into detection_event_rollups (kind, bucket, source, dim, outcome, count, bytes) values ${new Array(part.length).fill(row).join(', ')} ` +
          'on conflict (kind, bucket, source, dim, outcome) do update set count = detection_event_rollups.count + excluded.count, bytes = detection_event_rollups.bytes + excluded.bytes',
        values as any[],
      );
    }
  }

  // ---- retention ----

  /** Deletes events older than `beforeMs` (in slices, so no statement holds the table for long). */
  async deleteEventsBefore(beforeMs: number, slice = 5000): Promise<number> {
    let total = 0;
    // roll-ups of the hours that end by then (an hour cut by the limit keeps its counts)
    await this.db('detection_event_rollups').where('bucket', '<=', beforeMs - HOUR_MS).delete();
    for (;;) {
      const ids = (await this.db('detection_events').where('time', '<', beforeMs).select('id').limit(slice)).map(r => r.id);
      if (!ids.length) return total;
      total += await this.db('detection_events').whereIn('id', ids).delete();
    }
  }

  /** Deletes closed alerts closed before `beforeIso`, with their history and event links. */
  async deleteClosedAlertsBefore(beforeIso: string): Promise<number> {
    return this.db.transaction(async tx => {
      const ids = (await tx('detection_alerts').where('status', 'closed').andWhere('closed_at', '<', beforeIso).select('id')).map(r => r.id);
      let n = 0;
      for (const part of chunks(ids, IN_CHUNK)) {
        await tx('detection_alert_events').whereIn('alert_id', part).delete();
        await tx('detection_alert_history').whereIn('alert_id', part).delete();
        n += await tx('detection_alerts').whereIn('id', part).delete();
      }
      return n;
    });
  }

  // ---- blob pull positions ----

  async blobPosition(container: string, blob: string): Promise<{ etag: string; offset: number } | undefined> {
    const r = await this.db('detection_blob_cursor').where({ container, blob }).first();
    return r ? { etag: r.etag, offset: num(r.offset) } : undefined;
  }

  async setBlobPosition(container: string, blob: string, etag: string, offset: number, at: string): Promise<void> {
    await this.db('detection_blob_cursor')
      .insert({ container, blob, etag, offset, read_at: at })
      .onConflict(['container', 'blob'])
      .merge({ etag, offset, read_at: at });
  }

  // ---- read marks of scheduled readers (the Log Analytics import) ----

  /** The marks (epoch ms: rows before it were stored) of the given names that exist. */
  async readMarks(names: string[], tx?: Tx): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const part of chunks(names, 500)) {
      const rows = await (tx ?? this.db)('detection_read_marks').whereIn('name', part).select('name', 'read_to');
      for (const r of rows) out.set(r.name, num(r.read_to));
    }
    return out;
  }

  async setReadMarks(marks: Map<string, number>, at: string, tx: Tx): Promise<void> {
    for (const [name, readTo] of marks) {
      await tx('detection_read_marks').insert({ name, read_to: readTo, read_at: at }).onConflict('name').merge({ read_to: readTo, read_at: at });
    }
  }

  /** Events counted so far of the given row keys that were stored (rows read before). */
  async readRowCounts(keys: string[], tx?: Tx): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const part of chunks([...new Set(keys)], IN_CHUNK)) {
      const rows = await this.q(tx)('detection_read_rows').whereIn('row_key', part).select('row_key', 'counted');
      for (const r of rows) out.set(r.row_key, num(r.counted));
    }
    return out;
  }

  async setRowCounts(rows: Array<{ key: string; time: number; counted: number }>, at: string, tx: Tx): Promise<void> {
    const values = rows.map(r => ({ row_key: r.key, row_time: r.time, counted: r.counted, read_at: at }));
    for (const part of chunks(values, 200)) {
      await tx('detection_read_rows').insert(part).onConflict('row_key').merge(['counted', 'row_time', 'read_at']);
    }
  }

  /** Forgets the keys of rows older than `beforeMs` (no read reaches back that far). */
  async deleteRowCountsBefore(beforeMs: number, tx?: Tx): Promise<number> {
    return this.q(tx)('detection_read_rows').where('row_time', '<', beforeMs).delete();
  }
}
