import { createHash } from 'node:crypto';

/**
 * Whether a rule's KQL ends in aggregates (`summarize`): its rows count source records (attempts,
 * reads, denies…) and the same row read again over a later range can carry a larger count.
 */
export function isAggregated(kql: string): boolean {
  return /\|\s*summarize\b/i.test(kql);
}

/** JSON with object keys sorted and dates as ISO strings: the same row always gives the same text. */
export function canonical(v: unknown): string {
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter(k => o[k] !== undefined)
      .map(k => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * The key of one result row of a rule, so a row read again (overlapping reads) is known:
 * - a row of a rule without aggregates is one source record: the key is the whole row;
 * - an aggregated row is keyed by what it is about (rule, principal, resource, its time and
 *   start, its event id), not by its counts, which grow when late records reach the workspace.
 */
export function rowKey(
  rule: string,
  identity: { principal: string; resource: string; time: number; start?: number; eventIds: string[] },
  row: Record<string, unknown> | undefined,
): string {
  // a whole row names itself (and its time: a row without a time column gets the read's end as its
  // time, which must not make it new on the next read)
  const parts = row ? [rule, row] : [rule, identity.principal, identity.resource, identity.time, identity.start ?? null, identity.eventIds];
  return createHash('sha256').update(canonical(parts)).digest('hex');
}
