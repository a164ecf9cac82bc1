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
