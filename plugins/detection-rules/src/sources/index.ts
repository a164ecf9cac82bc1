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
 * Log Analytics exports may be arrays, Graph responses use `{"value": [...]}`.
 */
export function expandRecords(v: unknown): unknown[] {
  if (Array.isArray(v)) return v.flatMap(expandRecords);
  if (isObject(v)) {
    if (Array.isArray(v.records) && Object.keys(v).length <= 2) return v.records;
    if (Array.isArray(v.value) && ('@odata.context' in v || onlyKeys(v, 'value', '@odata.'))) return v.value;
    if (Array.isArray(v.items) && v.kind === 'EventList') return v.items;
    // a page of the portal's GET /api/audit/events: {"items": [...], "nextCursor": {...}}
    if (Array.isArray(v.items) && onlyKeys(v, 'items', 'nextCursor')) return v.items;
  }
  return [v];
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
