import type { DetectionEvent } from '../types';
import { getCI, isObject, str } from '../util/json';
import { RecordRef, type NormalizeOptions } from './record';
import { asGraphSignIn, asRiskDetection, normalizeRisk, normalizeSignIn } from './entra';
import { asBlobLog, normalizeBlobLog } from './storage';
import { asK8sAudit, normalizeK8sAudit } from './k8s';
import { asFirewall, asHubbleFlow, normalizeFirewall, normalizeHubble } from './network';
import { asPortalAudit, normalizePortalAudit } from './portal';

export { isK8sPerson } from './k8s';
export { parseFirewallMsg } from './network';
export { NO_VIEW, type NormalizeOptions } from './record';

/** Why a line was not turned into an event. */
export class RecordError extends Error {}

/**
 * Records in a parsed JSON value: Azure diagnostic exports wrap records as `{"records": [...]}`,
 * Log Analytics exports may be arrays, Graph responses use `{"value": [...]}`, the Log Analytics
 * query API `{"tables": [...]}` (see tableRecords).
 */
export function expandRecords(v: unknown, depth = 0): unknown[] {
  // an array of records or of wrappers, one level of arrays inside it at most: anything nested
  // deeper is returned as one (invalid) record, so hostile input cannot recurse without bound
  if (Array.isArray(v)) return depth >= 2 ? [v] : v.flatMap(x => expandRecords(x, depth + 1));
  if (isObject(v)) {
    const rows = tableRecords(v);
    if (rows) return rows;
    if (Array.isArray(v.records) && Object.keys(v).length <= 2) return v.records;
    if (Array.isArray(v.value) && ('@odata.context' in v || onlyKeys(v, 'value', '@odata.'))) return v.value;
    if (Array.isArray(v.items) && v.kind === 'EventList') return v.items;
    // a page of the portal's GET /api/audit/events: {"items": [...], "nextCursor": {...}}
    if (Array.isArray(v.items) && onlyKeys(v, 'items', 'nextCursor')) return v.items;
  }
  return [v];
}

/**
 * The rows of a Log Analytics query API response (`{"tables": [{"name", "columns": [{"name",
 * "type"}], "rows": [[…]]}]}`, as the REST API and `az rest` return it; the older `Tables` /
 * `TableName` / `ColumnName` / `Rows` spelling too) as records keyed by column name, or undefined
 * when `v` is not one. A row of a table named after its source (SigninLogs, StorageBlobLogs,
 * AKSAudit, AzureDiagnostics, AZFWNetworkRule…) without a `Type` column gets the table's name as
 * `Type`, as the table itself would show it; `PrimaryResult` (the API's name for any query's
 * result) says nothing, so such rows are recognised by their columns (`Type` when projected).
 */
export function tableRecords(v: unknown): Record<string, unknown>[] | undefined {
  if (!isObject(v)) return undefined;
  const tables = getCI(v, 'tables');
  if (!Array.isArray(tables)) return undefined;
  const out: Record<string, unknown>[] = [];
  for (const t of tables) {
    if (!isObject(t)) continue;
    const columns = getCI(t, 'columns');
    const rows = getCI(t, 'rows');
    if (!Array.isArray(columns) || !Array.isArray(rows)) continue;
    const names = columns.map(c => (isObject(c) ? str(getCI(c, 'name')) ?? str(getCI(c, 'ColumnName')) : str(c)) ?? '');
    const table = str(getCI(t, 'name')) ?? str(getCI(t, 'TableName'));
    const typeOf = table && !/^(PrimaryResult|Table_\d+)$/i.test(table) && !names.some(n => n.toLowerCase() === 'type') ? table : undefined;
    for (const row of rows) {
      if (!Array.isArray(row)) continue;
      const rec: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) if (names[i]) rec[names[i]] = row[i];
      if (typeOf) rec.Type = typeOf;
      out.push(rec);
    }
  }
  return out;
}

/** Every key of `v` is `a` or starts with `b` (a prefix, or a whole key). */
function onlyKeys(v: Record<string, unknown>, a: string, b: string): boolean {
  for (const k in v) if (k !== a && !k.startsWith(b)) return false;
  return true;
}

/**
 * Recognises the source of one record from its content and normalizes it. Throws RecordError.
 * `text` is the line the record came from when it was alone on it (its hash is the idempotency key).
 */
export function normalizeRecord(rec: unknown, text?: string, opts?: NormalizeOptions): DetectionEvent {
  if (!isObject(rec)) throw new RecordError('record is not a JSON object');
  const r = new RecordRef(rec, text, opts);
  // looked up once for all recognisers (a case-insensitive miss walks every key)
  const category = str(getCI(rec, 'category'));
  let ev: DetectionEvent | undefined;
  const k8s = asK8sAudit(rec, category);
  if (k8s) ev = normalizeK8sAudit(k8s.ev, k8s.cluster, r);
  if (!ev) {
    const blob = asBlobLog(rec, category);
    if (blob) ev = normalizeBlobLog(blob, r);
  }
  if (!ev) {
    const risk = asRiskDetection(rec, category);
    if (risk) ev = normalizeRisk(risk, r);
  }
  if (!ev) {
    const signIn = asGraphSignIn(rec, category);
    if (signIn) ev = normalizeSignIn(signIn, r);
  }
  if (!ev) {
    const hub = asHubbleFlow(rec);
    if (hub) ev = normalizeHubble(hub, r);
  }
  if (!ev) {
    const fw = asFirewall(rec, category);
    if (fw) ev = normalizeFirewall(fw, r);
  }
  if (!ev) {
    const portal = asPortalAudit(rec);
    if (portal) ev = normalizePortalAudit(portal, r);
  }
  if (!ev) throw new RecordError('unrecognised record: not a sign-in, risk detection, blob log, Kubernetes audit event, firewall or Hubble flow, or portal audit event');
  if (!Number.isFinite(ev.time)) throw new RecordError(`${ev.source} record has no valid timestamp`);
  return ev;
}
