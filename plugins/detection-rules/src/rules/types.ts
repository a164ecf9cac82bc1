import type { DetectionConfig } from '../config';
import type { GrantIndex } from '../grants';
import type { Detection, DetectionEvent, Severity, SourceId } from '../types';

export interface RuleContext {
  config: DetectionConfig;
  grants?: GrantIndex;
  isWeightStore(ev: DetectionEvent): boolean;
  isResearchNamespace(ns: string | undefined): boolean;
  /** Namespace of a pod IP, learned from Hubble flows or configured research CIDRs. */
  namespaceOfIp(ip: string | undefined): string | undefined;
  /** Is the address inside researchCidrs? */
  isResearchIp(ip: string | undefined): boolean;
}

/** A built-in rule: sees every event of its sources in (roughly) time order, keeps its own state. */
export interface StatefulRule {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  sources: SourceId[];
  /** Sources whose `ev.view` onEvent reads (the replay CLI builds views only where something reads them). */
  readsView?: SourceId[];
  /** The near miss this rule must stay quiet on (documentation, shown in the UI). */
  nearMiss: string;
  onEvent(ev: DetectionEvent, ctx: RuleContext): Detection[] | undefined;
  /** KQL for Log Analytics / Sentinel with the configured thresholds. */
  kql(config: DetectionConfig): string;
  /** Keys of per-source state held (tests check it stays bounded over long logs). */
  stateSize?(): number;
}

export function principalOf(ev: DetectionEvent): string {
  const p = ev.actor.upn ?? ev.actor.name ?? ev.actor.uid ?? ev.src?.ip ?? 'unknown';
  return p.includes('@') ? p.toLowerCase() : p;
}

/**
 * A time-ordered window of items per key, evicting by the newest time seen for that key. Each item
 * may carry a weight (bytes); `total` is their sum, kept as items come and go (exact while the
 * weights are safe integers, as byte counts are; otherwise summed afresh).
 */
export class SlidingWindow<T> {
  private readonly items: { t: number; v: T; w: number }[] = [];
  private sum = 0;
  private exact = true;
  constructor(private readonly spanMs: number) {}

  add(t: number, v: T, w = 0) {
    const items = this.items;
    if (!items.length || items[items.length - 1].t <= t) items.push({ t, v, w });
    else {
      let i = items.length - 1;
      while (i > 0 && items[i - 1].t > t) i--;
      items.splice(i, 0, { t, v, w });
    }
    this.sum += w;
    if (!Number.isSafeInteger(w) || !Number.isSafeInteger(this.sum)) this.exact = false;
    const newest = items[items.length - 1].t;
    let drop = 0;
    while (drop < items.length && items[drop].t < newest - this.spanMs) this.sum -= items[drop++].w;
    if (drop) items.splice(0, drop);
  }

  /** Sum of the weights of the items in the window. */
  get total(): number {
    if (this.exact) return this.sum;
    let s = 0;
    for (const i of this.items) s += i.w;
    return s;
  }

  get values(): T[] {
    return this.items.map(i => i.v);
  }

  get entries() {
    return this.items;
  }

  get size() {
    return this.items.length;
  }
}

/**
 * Event ids seen recently, to count a re-delivered record once: diagnostic exports, Event Hub and
 * overlapping log exports are at-least-once, so a week of logs repeats lines (same request id, or
 * the same line and so the same content hash). Bounded: ids older than the span are swept as the
 * map grows, and past `max` the oldest half is dropped.
 */
export class RecentIds {
  private readonly seen = new Map<string, number>();
  private newest = -Infinity;
  private sweepAt = 4096;
  constructor(
    private readonly spanMs: number,
    private readonly max = 500_000,
  ) {}

  /** Was this id seen within the span of `t`? Records it when not. */
  repeat(id: string, t: number): boolean {
    const prev = this.seen.get(id);
    if (prev !== undefined && Math.abs(t - prev) <= this.spanMs) return true;
    this.seen.set(id, t);
    if (t > this.newest) this.newest = t;
    if (this.seen.size >= this.sweepAt) this.sweep();
    return false;
  }

  private sweep() {
    const limit = this.newest - this.spanMs;
    for (const [k, t] of this.seen) if (t < limit) this.seen.delete(k);
    if (this.seen.size > this.max) {
      let drop = this.seen.size - Math.floor(this.max / 2);
      for (const k of this.seen.keys()) {
        if (drop-- <= 0) break;
        this.seen.delete(k);
      }
    }
    this.sweepAt = Math.max(4096, this.seen.size * 2);
  }
}

export function minutes(m: number) {
  return m * 60_000;
}

/**
 * Entra sign-ins in Log Analytics: interactive (SigninLogs) and non-interactive
 * (AADNonInteractiveUserSignInLogs) user sign-ins, as the engine sees both. The non-interactive table
 * keeps DeviceDetail, LocationDetails, Status, ConditionalAccessPolicies and MfaDetail as JSON text
 * where SigninLogs has dynamic columns: parsed first, so `DeviceDetail.trustType` works on both and
 * the union does not split those columns by type.
 */
export const SIGNIN_KQL =
  'union SigninLogs, (AADNonInteractiveUserSignInLogs | extend DeviceDetail = parse_json(DeviceDetail), LocationDetails = parse_json(LocationDetails), Status = parse_json(Status), ConditionalAccessPolicies = parse_json(ConditionalAccessPolicies), MfaDetail = parse_json(MfaDetail))';

export function kqlList(values: (string | number)[]): string {
  return values.map(v => (typeof v === 'number' ? String(v) : JSON.stringify(v))).join(', ');
}
