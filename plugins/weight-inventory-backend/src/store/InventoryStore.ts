/**
 * The only place that writes SQL for the weight-inventory plugin (SQLite and PostgreSQL).
 */
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { DatabaseService, resolvePackagePath } from '@backstage/backend-plugin-api';
import type {
  DriftEvent,
  FindingHistoryEntry,
  FindingQuery,
  FindingStatus,
  PostureFinding,
  PostureState,
  PostureSummary,
  Refresh,
  Severity,
  StoreQuery,
  WeightFile,
  WeightStore,
} from '@internal/plugin-weight-inventory-common';
import type { PreviousState } from '../domain/drift';

const migrationsDir = resolvePackagePath('@internal/plugin-weight-inventory-backend', 'migrations');

const SEVERITY_ORDER: Severity[] = ['critical', 'high', 'medium', 'low'];

/** What one refresh writes for one store, in one transaction. */
export interface StoreResult {
  store: Omit<WeightStore, 'lastRefreshAt'>;
  findings: Omit<PostureFinding, 'lastChangedAt'>[];
  /** Findings whose status changed (or first seen): history rows; `lastChangedAt` moves. */
  changed: Set<string>;
  drift: Omit<DriftEvent, 'id'>[];
  weights: WeightFile[];
  refreshId: string;
  at: string;
}

function parseJson<T>(text: string | null | undefined, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

function toStore(r: any): WeightStore {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    entityRef: `resource:default/${r.id}`,
    source: r.source,
    demo: Boolean(r.demo),
    subscriptionId: r.subscription_id ?? undefined,
    resourceGroup: r.resource_group ?? undefined,
    resourceId: r.resource_id ?? undefined,
    owner: r.owner ?? undefined,
    tags: parseJson(r.tags, {}),
    posture: r.posture,
    failing: { low: 0, medium: 0, high: 0, critical: 0, ...parseJson(r.failing, {}) },
    passing: Number(r.passing),
    weights: { files: Number(r.weight_files), bytes: Number(r.weight_bytes), lastModified: r.weights_last_modified ?? undefined },
    lastRefreshAt: r.last_refresh_at ?? undefined,
    lastError: r.last_error ?? undefined,
  };
}

function toFinding(r: any): PostureFinding {
  return {
    storeId: r.store_id,
    entityRef: `resource:default/${r.store_id}`,
    findingKey: r.finding_key,
    controlId: r.control_id,
    checkId: r.check_id,
    title: r.title,
    severity: r.severity,
    status: r.status,
    subjectKey: r.subject_key,
    subjectType: r.subject_type,
    subjectName: r.subject_name,
    path: r.path,
    message: r.message,
    rationale: r.rationale,
    remediation: r.remediation,
    lastChangedAt: r.last_changed_at,
    lastEvaluatedAt: r.last_evaluated_at,
  };
}

function toDrift(r: any): DriftEvent {
  return {
    id: r.id,
    storeId: r.store_id,
    entityRef: r.entity_ref,
    findingKey: r.finding_key,
    controlId: r.control_id,
    subjectKey: r.subject_key,
    severity: r.severity,
    from: r.from_status,
    to: r.to_status,
    message: r.message,
    refreshId: r.refresh_id,
    occurredAt: r.occurred_at,
  };
}

function toRefresh(r: any): Refresh {
  return {
    id: r.id,
    trigger: r.trigger,
    startedAt: r.started_at,
    finishedAt: r.finished_at ?? undefined,
    status: r.status,
    stores: Number(r.stores),
    driftEvents: Number(r.drift_events),
    errors: parseJson(r.errors, []),
    requestedBy: r.requested_by ?? undefined,
  };
}

export class InventoryStore {
  static async create(options: { database: DatabaseService; skipMigrations?: boolean }): Promise<InventoryStore> {
    const db = await options.database.getClient();
    if (!options.database.migrations?.skip && !options.skipMigrations) {
      await db.migrate.latest({ directory: migrationsDir, tableName: 'wi_knex_migrations' });
    }
    return new InventoryStore(db);
  }

  constructor(private readonly db: Knex) {}

  async startRefresh(r: { trigger: Refresh['trigger']; startedAt: string; requestedBy?: string }): Promise<Refresh> {
    const id = randomUUID();
    await this.db('wi_refreshes').insert({ id, trigger: r.trigger, started_at: r.startedAt, status: 'running', stores: 0, drift_events: 0, errors: '[]', requested_by: r.requestedBy ?? null });
    return { id, trigger: r.trigger, startedAt: r.startedAt, status: 'running', stores: 0, driftEvents: 0, errors: [], requestedBy: r.requestedBy };
  }

  async finishRefresh(id: string, patch: { finishedAt: string; status: Refresh['status']; stores: number; driftEvents: number; errors: string[] }): Promise<Refresh> {
    await this.db('wi_refreshes').where({ id }).update({ finished_at: patch.finishedAt, status: patch.status, stores: patch.stores, drift_events: patch.driftEvents, errors: JSON.stringify(patch.errors.slice(0, 200)) });
    return toRefresh(await this.db('wi_refreshes').where({ id }).first());
  }

  async listRefreshes(limit = 20): Promise<Refresh[]> {
    const rows = await this.db('wi_refreshes').orderBy('started_at', 'desc').limit(limit);
    return rows.map(toRefresh);
  }

  async previousStatuses(storeId: string): Promise<Map<string, PreviousState>> {
    const rows = await this.db('wi_findings').where({ store_id: storeId }).select('finding_key', 'status', 'last_changed_at');
    return new Map(rows.map(r => [r.finding_key, { status: r.status as FindingStatus, lastChangedAt: r.last_changed_at }]));
  }

  /** Writes one store's result atomically: store row, findings, history, drift events, weight files. */
  async saveStoreResult(result: StoreResult): Promise<DriftEvent[]> {
    const { store, at, refreshId } = result;
    const drift: DriftEvent[] = result.drift.map(d => ({ ...d, id: randomUUID() }));
    await this.db.transaction(async tx => {
      const previous = new Map<string, string>(
        (await tx('wi_findings').where({ store_id: store.id }).select('finding_key', 'last_changed_at')).map(r => [r.finding_key, r.last_changed_at]),
      );
      const row = {
        id: store.id,
        kind: store.kind,
        name: store.name,
        source: store.source,
        demo: store.demo,
        subscription_id: store.subscriptionId ?? null,
        resource_group: store.resourceGroup ?? null,
        resource_id: store.resourceId ?? null,
        owner: store.owner ?? null,
        tags: JSON.stringify(store.tags),
        posture: store.posture,
        failing: JSON.stringify(store.failing),
        passing: store.passing,
        weight_files: store.weights.files,
        weight_bytes: store.weights.bytes,
        weights_last_modified: store.weights.lastModified ?? null,
        last_refresh_at: at,
        last_refresh_id: refreshId,
        last_error: store.lastError ?? null,
      };
      await tx('wi_stores').insert(row).onConflict('id').merge();
      await tx('wi_findings').where({ store_id: store.id }).delete();
      const findingRows = result.findings.map(f => ({
        store_id: store.id,
        finding_key: f.findingKey,
        control_id: f.controlId,
        check_id: f.checkId,
        title: f.title,
        severity: f.severity,
        status: f.status,
        subject_key: f.subjectKey,
        subject_type: f.subjectType,
        subject_name: f.subjectName,
        path: f.path,
        message: f.message,
        rationale: f.rationale,
        remediation: f.remediation,
        last_changed_at: result.changed.has(f.findingKey) ? at : previous.get(f.findingKey) ?? at,
        last_evaluated_at: at,
      }));
      if (findingRows.length) await tx.batchInsert('wi_findings', findingRows, 100);
      const history = result.findings.filter(f => result.changed.has(f.findingKey)).map(f => ({ refresh_id: refreshId, store_id: store.id, finding_key: f.findingKey, status: f.status, message: f.message, at }));
      if (history.length) await tx.batchInsert('wi_finding_history', history, 200);
      if (drift.length) {
        await tx.batchInsert('wi_drift_events', drift.map(d => ({
          id: d.id, store_id: d.storeId, entity_ref: d.entityRef, finding_key: d.findingKey, control_id: d.controlId, subject_key: d.subjectKey,
          severity: d.severity, from_status: d.from, to_status: d.to, message: d.message, refresh_id: d.refreshId, occurred_at: d.occurredAt,
        })), 100);
      }
      await tx('wi_weight_files').where({ store_id: store.id }).delete();
      if (result.weights.length) {
        await tx.batchInsert('wi_weight_files', result.weights.map(w => ({
          store_id: store.id, container: w.container, path: w.path, bytes: Math.round(w.bytes), last_modified: w.lastModified ?? null, format: w.format, detected_by: w.detectedBy,
        })), 500);
      }
    });
    return drift;
  }

  /** Records that a store could not be read in this refresh; its last result stays. */
  async markStoreError(storeId: string, error: string): Promise<void> {
    await this.db('wi_stores').where({ id: storeId }).update({ last_error: error.slice(0, 2000) });
  }

  /** Removes stores (and their data) that a complete refresh no longer found. */
  async removeStoresNotSeenIn(refreshId: string, sources: string[]): Promise<string[]> {
    const gone = await this.db('wi_stores').whereIn('source', sources).andWhere(q => q.whereNot({ last_refresh_id: refreshId }).orWhereNull('last_refresh_id')).pluck('id');
    if (gone.length === 0) return [];
    await this.db.transaction(async tx => {
      for (const table of ['wi_findings', 'wi_weight_files']) await tx(table).whereIn('store_id', gone).delete();
      await tx('wi_stores').whereIn('id', gone).delete();
    });
    return gone;
  }

  async listStores(query: StoreQuery = {}): Promise<WeightStore[]> {
    const q = this.db('wi_stores');
    if (query.kind) q.where({ kind: query.kind });
    if (query.posture) q.where({ posture: query.posture });
    if (query.subscriptionId) q.where({ subscription_id: query.subscriptionId });
    if (query.cluster) q.where({ kind: 'kubernetes-cluster', name: query.cluster });
    if (query.q) q.where('name', 'like', `%${query.q.replace(/[%_\\]/g, c => `\\${c}`)}%`);
    const rows = await q.select();
    const stores = rows.map(toStore);
    const rank: Record<PostureState, number> = { failing: 0, unknown: 1, passing: 2 };
    const weight = (s: WeightStore) => SEVERITY_ORDER.map(sev => s.failing[sev]);
    return stores.sort((a, b) => {
      if (rank[a.posture] !== rank[b.posture]) return rank[a.posture] - rank[b.posture];
      const wa = weight(a);
      const wb = weight(b);
      for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return wb[i] - wa[i];
      return a.name.localeCompare(b.name);
    });
  }

  async getStore(id: string): Promise<WeightStore | undefined> {
    const row = await this.db('wi_stores').where({ id }).first();
    return row ? toStore(row) : undefined;
  }

  async listFindings(query: FindingQuery = {}): Promise<PostureFinding[]> {
    const q = this.db('wi_findings');
    if (query.storeId) q.where({ store_id: query.storeId });
    if (query.controlId) q.where({ control_id: query.controlId });
    if (query.status) q.where({ status: query.status });
    const rows = await q.select();
    const statusRank: Record<string, number> = { fail: 0, pass: 1, 'not-applicable': 2 };
    return rows.map(toFinding).sort((a, b) =>
      statusRank[a.status] - statusRank[b.status] || SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.findingKey.localeCompare(b.findingKey));
  }

  async history(storeId: string, findingKey?: string, limit = 500): Promise<FindingHistoryEntry[]> {
    const q = this.db('wi_finding_history').where({ store_id: storeId });
    if (findingKey) q.where({ finding_key: findingKey });
    const rows = await q.orderBy('seq', 'desc').limit(limit);
    return rows.map(r => ({ refreshId: r.refresh_id, at: r.at, findingKey: r.finding_key, status: r.status, message: r.message }));
  }

  async listDriftEvents(query: { since?: string; after?: string; storeId?: string; limit?: number }): Promise<DriftEvent[]> {
    const q = this.db('wi_drift_events');
    if (query.since) q.where('occurred_at', '>=', query.since);
    if (query.storeId) q.where({ store_id: query.storeId });
    if (query.after) {
      const ref = await this.db('wi_drift_events').where({ id: query.after }).first('seq');
      if (ref) q.where('seq', '>', ref.seq);
    }
    const rows = await q.orderBy('seq', 'asc').limit(Math.min(query.limit ?? 500, 1000));
    return rows.map(toDrift);
  }

  async listWeights(storeId: string, limit = 200, offset = 0): Promise<{ items: WeightFile[]; total: number }> {
    const [{ count }] = await this.db('wi_weight_files').where({ store_id: storeId }).count({ count: '*' });
    const rows = await this.db('wi_weight_files').where({ store_id: storeId }).orderBy('bytes', 'desc').orderBy('seq', 'asc').limit(limit).offset(offset);
    return {
      total: Number(count),
      items: rows.map(r => ({ storeId: r.store_id, container: r.container, path: r.path, bytes: Number(r.bytes), lastModified: r.last_modified ?? undefined, format: r.format, detectedBy: r.detected_by })),
    };
  }

  async summary(): Promise<PostureSummary> {
    const rows = await this.db('wi_stores').select('kind', 'posture', 'failing', 'last_refresh_at');
    const s: PostureSummary = {
      storageAccounts: { passing: 0, failing: 0, unknown: 0 },
      clusters: { passing: 0, failing: 0, unknown: 0 },
      failingBySeverity: { low: 0, medium: 0, high: 0, critical: 0 },
    };
    for (const r of rows) {
      const bucket = r.kind === 'kubernetes-cluster' ? s.clusters : s.storageAccounts;
      bucket[r.posture as PostureState]++;
      const failing = parseJson<Record<Severity, number>>(r.failing, {} as Record<Severity, number>);
      for (const sev of SEVERITY_ORDER) s.failingBySeverity[sev] += failing[sev] ?? 0;
      if (r.last_refresh_at && (!s.lastRefreshAt || r.last_refresh_at > s.lastRefreshAt)) s.lastRefreshAt = r.last_refresh_at;
    }
    return s;
  }
}
