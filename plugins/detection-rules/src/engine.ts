import * as fs from 'node:fs';
import { anyGlob, cidrs, resolveConfig, type DetectionConfig } from './config';
import type { GrantIndex } from './grants';
import { atypicalTravel, distributedSpray, passwordSpray, riskySignIn } from './rules/identity';
import { bulkRead, enumerationByNewPrincipal, readWithoutGrant, sharedKeyAccess } from './rules/storage';
import { breakGlassUse, clusterAdminBinding, egressDeniedResearch, podExecResearch, postureDrift, secretsListClusterWide } from './rules/cluster';
import { principalOf, type RuleContext, type StatefulRule } from './rules/types';
import { loadSigmaDir, shippedRulesDir } from './sigma/load';
import type { CompiledSigmaRule } from './sigma/types';
import type { Alert, Detection, DetectionEvent, Severity, SourceId } from './types';
import { SEVERITIES, severityRank } from './types';
import { ipInAny } from './util/net';

export function builtInRules(): StatefulRule[] {
  return [
    atypicalTravel(),
    riskySignIn(),
    passwordSpray(),
    distributedSpray(),
    bulkRead(),
    readWithoutGrant(),
    sharedKeyAccess(),
    enumerationByNewPrincipal(),
    egressDeniedResearch(),
    podExecResearch(),
    clusterAdminBinding(),
    secretsListClusterWide(),
    breakGlassUse(),
    postureDrift(),
  ];
}

/** Rules as listed to users (id, title, severity, kind). */
export interface RuleInfo {
  id: string;
  title: string;
  severity: Severity;
  kind: 'stateful' | 'sigma';
  description?: string;
  nearMiss?: string;
  sources: SourceId[];
  author?: string;
  origin?: string;
}

export function loadSigmaRules(config: DetectionConfig): CompiledSigmaRule[] {
  const dirs = [...(config.sigma.includeShipped ? [shippedRulesDir()] : []), ...config.sigma.extraDirs];
  return dirs.flatMap(d => (fs.existsSync(d) ? loadSigmaDir(d) : []));
}

export interface EngineOptions {
  config?: DetectionConfig;
  grants?: GrantIndex;
  sigmaRules?: CompiledSigmaRule[];
  /** Extra weight stores known from the inventory ("account" or "account/container"). */
  weightStores?: string[];
}

const RAISE: Record<Severity, Severity> = { informational: 'low', low: 'medium', medium: 'high', high: 'high', critical: 'critical' };

/** Runs every rule over events fed in (roughly) time order and returns detections. */
export class DetectionEngine {
  readonly config: DetectionConfig;
  private readonly rules: StatefulRule[];
  private readonly sigma: CompiledSigmaRule[];
  private readonly bySource = new Map<SourceId, { stateful: StatefulRule[]; sigma: CompiledSigmaRule[] }>();
  private readonly ctx: RuleContext;
  private readonly ipNs = new Map<string, string>();
  private readonly weightCache = new Map<string, boolean>();
  private readonly inventoryStores: Set<string>;
  eventsSeen = 0;

  constructor(opts: EngineOptions = {}) {
    this.config = opts.config ?? resolveConfig({});
    const disabled = new Set(this.config.disabledRules);
    this.rules = builtInRules().filter(r => !disabled.has(r.id));
    this.sigma = (opts.sigmaRules ?? loadSigmaRules(this.config)).filter(r => !disabled.has(r.rule.id));
    this.inventoryStores = new Set((opts.weightStores ?? []).map(s => s.toLowerCase()));
    for (const r of this.rules) for (const s of r.sources) this.slot(s).stateful.push(r);
    for (const r of this.sigma) for (const s of r.sources) this.slot(s).sigma.push(r);
    const cfg = this.config;
    this.ctx = {
      config: cfg,
      grants: opts.grants,
      isWeightStore: ev => this.isWeightStore(ev),
      isResearchNamespace: ns => !!ns && anyGlob(cfg.researchNamespaces, ns),
      namespaceOfIp: ip => {
        if (!ip) return undefined;
        return this.ipNs.get(ip);
      },
      isResearchIp: ip => !!ip && ipInAny(ip, cidrs(cfg.researchCidrs)),
    };
  }

  private slot(s: SourceId) {
    let x = this.bySource.get(s);
    if (!x) this.bySource.set(s, (x = { stateful: [], sigma: [] }));
    return x;
  }

  ruleInfo(): RuleInfo[] {
    return [
      ...this.rules.map(r => ({ id: r.id, title: r.title, severity: this.severityFor(r.id, r.severity), kind: 'stateful' as const, description: r.description, nearMiss: r.nearMiss, sources: r.sources })),
      ...this.sigma.map(r => ({
        id: r.rule.id,
        title: r.rule.title,
        severity: this.severityFor(r.rule.id, r.rule.level),
        kind: 'sigma' as const,
        description: r.rule.description,
        sources: r.sources,
        author: r.rule.author,
        origin: r.rule.origin,
      })),
    ];
  }

  /**
   * What normalization has to keep for these rules (NormalizeOptions): the Sigma view only for
   * sources that a Sigma rule or a view-reading built-in rule looks at, the parsed record only for
   * sources with a Sigma keyword (full-text) search. The replay CLI normalizes with this.
   */
  needs(): { views: Set<SourceId>; raw: Set<SourceId> } {
    const views = new Set<SourceId>();
    const raw = new Set<SourceId>();
    for (const r of this.rules) for (const s of r.readsView ?? []) views.add(s);
    for (const r of this.sigma) {
      const searches = r.rule.searches ? [...r.rule.searches.values()] : undefined;
      const keywords = !searches || searches.some(search => search.some(tests => tests.some(t => t.field === null)));
      for (const s of r.sources) {
        views.add(s);
        if (keywords) raw.add(s);
      }
    }
    return { views, raw };
  }

  statefulRules(): StatefulRule[] {
    return this.rules;
  }

  sigmaRules(): CompiledSigmaRule[] {
    return this.sigma;
  }

  private severityFor(rule: string, s: Severity): Severity {
    return this.config.severityOverrides[rule] ?? s;
  }

  isWeightStore(ev: DetectionEvent): boolean {
    const r = ev.resource;
    if (!r || !r.account) return false;
    const account = r.account.toLowerCase();
    const container = r.container?.toLowerCase();
    const key = `${account}/${container ?? ''}`;
    let hit = this.weightCache.get(key);
    if (hit === undefined) {
      const cfg = this.config;
      hit =
        this.inventoryStores.has(account) ||
        (!!container && this.inventoryStores.has(`${account}/${container}`)) ||
        cfg.weightStores.some(w => w.account.toLowerCase() === account && (!w.containers?.length || (!!container && w.containers.some(c => c.toLowerCase() === container)))) ||
        cfg.weightStoreNameHints.some(h => account.includes(h.toLowerCase()) || (!!container && container.includes(h.toLowerCase())));
      if (hit || !r.objectKey) this.weightCache.set(key, hit);
    }
    if (hit) return true;
    // a weight-looking blob makes its container a weight store from then on
    const blob = r.objectKey?.toLowerCase();
    if (blob && this.config.weightBlobSuffixes.some(s => blob.endsWith(s))) {
      this.weightCache.set(key, true);
      return true;
    }
    return false;
  }

  process(ev: DetectionEvent): Detection[] {
    this.eventsSeen++;
    if (ev.source === 'hubble' && ev.src?.ip && ev.src.namespace) {
      if (this.ipNs.size > 200_000) this.ipNs.clear();
      this.ipNs.set(ev.src.ip, ev.src.namespace);
    }
    const slot = this.bySource.get(ev.source);
    if (!slot) return [];
    const out: Detection[] = [];
    for (const r of slot.stateful) {
      const d = r.onEvent(ev, this.ctx);
      if (d) for (const x of d) out.push({ ...x, severity: this.severityFor(r.id, x.severity) });
    }
    for (const r of slot.sigma) {
      if (!r.matches(ev.view, ev.raw)) continue;
      let severity = this.severityFor(r.rule.id, r.rule.level);
      if (ev.source === 'storage_blob' && this.isWeightStore(ev)) severity = RAISE[severity];
      out.push({
        rule: r.rule.id,
        title: r.rule.title,
        severity,
        principal: principalOf(ev),
        resource: ev.resource?.name ?? ev.source,
        time: ev.time,
        eventIds: [ev.id],
        details: { sigma: true, author: r.rule.author, ip: ev.src?.ip },
      });
    }
    return out;
  }
}

export function alertKey(d: { rule: string; principal: string; resource: string }): string {
  return `${d.rule}\u0000${d.principal}\u0000${d.resource}`;
}

export interface GroupOptions {
  windowMinutes: number;
  /** At most this many event ids listed per alert (count is always the full number). */
  maxEventIds?: number;
}

/**
 * Groups detections into alerts: same rule, principal and resource, each detection within
 * `windowMinutes` of the alert's last one. Severity is the highest seen; count is distinct events.
 */
export function groupAlerts(detections: Detection[], opts: GroupOptions): Alert[] {
  const windowMs = opts.windowMinutes * 60_000;
  const max = opts.maxEventIds ?? 1000;
  const sorted = [...detections].sort((a, b) => (alertKey(a) < alertKey(b) ? -1 : alertKey(a) > alertKey(b) ? 1 : a.time - b.time));
  const alerts: Alert[] = [];
  let cur: { a: Alert; key: string; first: number; last: number; ids: Set<string>; extra: number } | undefined;
  const flush = () => {
    if (!cur) return;
    cur.a.firstSeen = new Date(cur.first).toISOString();
    cur.a.lastSeen = new Date(cur.last).toISOString();
    cur.a.count = cur.ids.size + cur.extra;
    cur.a.events = [...cur.ids].slice(0, max);
    alerts.push(cur.a);
  };
  for (const d of sorted) {
    const key = alertKey(d);
    if (!cur || cur.key !== key || d.time - cur.last > windowMs) {
      flush();
      cur = {
        a: { rule: d.rule, title: d.title, severity: d.severity, principal: d.principal, resource: d.resource, firstSeen: '', lastSeen: '', count: 0, events: [], details: d.details },
        key,
        first: d.start ?? d.time,
        last: d.time,
        ids: new Set(),
        extra: 0,
      };
    }
    cur.last = Math.max(cur.last, d.time);
    cur.first = Math.min(cur.first, d.start ?? d.time);
    if (severityRank(d.severity) > severityRank(cur.a.severity)) cur.a.severity = d.severity;
    if (d.details) cur.a.details = { ...cur.a.details, ...d.details };
    for (const id of d.eventIds) cur.ids.add(id);
    if (d.eventCount && d.eventCount > d.eventIds.length) cur.extra += d.eventCount - d.eventIds.length;
  }
  flush();
  return alerts.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : severityRank(b.severity) - severityRank(a.severity)));
}

export { SEVERITIES };
