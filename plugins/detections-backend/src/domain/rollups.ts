/**
 * What the dashboard counts of each event, as hourly roll-up rows. The same predicates are the
 * SQL of DetectionsStore's per-event aggregates (used for the partial hours at the ends of a
 * range); the store test checks both give the same figures.
 */
export type RollupKind = 'total' | 'signin' | 'deny' | 'weight_read';

export interface RollupKey {
  kind: RollupKind;
  bucket: number;
  source: string;
  dim: string;
  outcome: string;
}

export interface RollupRow extends RollupKey {
  count: number;
  bytes: number;
}

export const HOUR_MS = 3_600_000;
/** Sources whose denied flows the dashboard lists by destination. */
export const NETWORK_SOURCES = ['azure_firewall', 'hubble'];
/** Blob operations that read a weight (counted per principal with their bytes). */
export const WEIGHT_READ_OPERATIONS = ['GetBlob', 'CopyBlob', 'CopyBlobSource'];

export interface RollupInput {
  source: string;
  time: number;
  outcome: string;
  activity: string;
  principal: string;
  resource: string | null;
  country: string | null;
  bytes: number | null;
  weight_store: boolean;
}

/** Adds one event's counts to `acc` (keyed by the roll-up key). */
export function addToRollups(acc: Map<string, RollupRow>, e: RollupInput): void {
  const bucket = Math.floor(e.time / HOUR_MS) * HOUR_MS;
  const add = (kind: RollupKind, dim: string, outcome: string, bytes: number) => {
    const k = `${kind}\u001f${bucket}\u001f${e.source}\u001f${dim}\u001f${outcome}`;
    const row = acc.get(k);
    if (row) {
      row.count += 1;
      row.bytes += bytes;
    } else acc.set(k, { kind, bucket, source: e.source, dim, outcome, count: 1, bytes });
  };
  add('total', '', '', 0);
  if (e.source === 'entra_signin') add('signin', e.country ?? '', e.outcome, 0);
  if (NETWORK_SOURCES.includes(e.source) && e.outcome === 'failure') add('deny', e.resource ?? '', '', 0);
  if (e.source === 'storage_blob' && e.weight_store && e.outcome === 'success' && WEIGHT_READ_OPERATIONS.includes(e.activity)) {
    add('weight_read', e.principal, '', e.bytes ?? 0);
  }
}
