import { NotFoundError } from '@backstage/errors';
import type { Clock } from '@internal/clock';
import { compileSigmaToKql, type DetectionEngine } from '@internal/detection-rules';
import type {
  DashboardSummary,
  Page,
  ParsedDashboardQuery,
  ParsedListEventsQuery,
  RuleSummary,
  StoredEvent,
} from '@internal/plugin-detections-common';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { toStoredEvent } from '../domain/events';
import type { DetectionsStore } from '../store/DetectionsStore';
import type { GrantDirectory } from '../domain/grants';

const DAY_MS = 86_400_000;
/** Default dashboard range, and the longest one answered in hourly buckets. */
const DEFAULT_RANGE_MS = 7 * DAY_MS;
const HOURLY_UP_TO_MS = 2 * DAY_MS;

/** Read-only views: events, one event with its original, dashboard aggregates, the rule list. */
export class DetectionsQueries {
  private ruleList?: RuleSummary[];

  constructor(
    private readonly o: {
      store: DetectionsStore;
      engine: DetectionEngine;
      clock: Clock;
      /** Who is who (catalog users by UPN / e-mail / object id), as alerts' refs are resolved. */
      directory?: () => Pick<GrantDirectory, 'principalRef'>;
    },
  ) {}

  async events(q: ParsedListEventsQuery): Promise<Page<StoredEvent>> {
    const page = await this.o.store.listEvents({
      source: q.source,
      principal: q.principal,
      resource: q.resource,
      from: q.from ? Date.parse(q.from) : undefined,
      to: q.to ? Date.parse(q.to) : undefined,
      limit: q.limit,
      after: q.cursor ? decodeCursor<number>(q.cursor, 'number') : undefined,
    });
    return { items: page.items.map(r => toStoredEvent(r, false)), ...(page.last ? { nextCursor: encodeCursor(page.last) } : {}) };
  }

  /** One event with its original record. */
  async event(id: string): Promise<StoredEvent> {
    const rec = await this.o.store.getEvent(id);
    if (!rec) throw new NotFoundError(`event ${id} not found`);
    return toStoredEvent(rec, true);
  }

  /** Aggregates over [from, to] (default: the last 7 days); hourly buckets up to 2 days, else daily. */
  async dashboard(q: ParsedDashboardQuery): Promise<DashboardSummary> {
    const to = q.to ? new Date(q.to) : this.o.clock.now();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - DEFAULT_RANGE_MS);
    const bucket = to.getTime() - from.getTime() <= HOURLY_UP_TO_MS ? 'hour' : 'day';
    const summary = await this.o.store.dashboard({ from: from.toISOString(), to: to.toISOString(), source: q.source, bucket, top: 10 });
    return withPrincipalRefs(summary, this.o.directory?.());
  }

  /** Every active rule with its KQL (what runs on Sentinel / Log Analytics at scale). */
  rules(): RuleSummary[] {
    if (this.ruleList) return this.ruleList;
    const engine = this.o.engine;
    const stateful = new Map(engine.statefulRules().map(r => [r.id, r]));
    const sigma = new Map(engine.sigmaRules().map(r => [r.rule.id, r]));
    const kqlOf = (id: string): string | undefined => {
      try {
        const s = stateful.get(id);
        if (s) return s.kql(engine.config);
        const g = sigma.get(id);
        return g ? compileSigmaToKql(g.rule) : undefined;
      } catch {
        return undefined; // a rule without a KQL mapping runs in the portal only
      }
    };
    this.ruleList = engine.ruleInfo().map(r => {
      const kql = kqlOf(r.id);
      let attribution: string | undefined;
      if (r.kind === 'sigma') {
        const fromSigmaHq = /sigmahq/i.test(r.origin ?? '');
        attribution = fromSigmaHq ? `${r.author ?? 'SigmaHQ contributors'} (SigmaHQ, Detection Rule License 1.1)` : r.author;
      }
      return {
        id: r.id,
        title: r.title,
        severity: r.severity,
        ...(r.description ? { description: r.description } : {}),
        sources: r.sources,
        kind: r.kind,
        ...(kql ? { kql } : {}),
        ...(attribution ? { attribution } : {}),
      };
    });
    return this.ruleList;
  }
}

/**
 * The dashboard's principals with the catalog user each is, so the page shows names: weight-store
 * reads (events carry the log's name only) and top principals whose alerts were raised before the
 * catalog was read. A ref the alerts already carry is kept.
 */
export function withPrincipalRefs(summary: DashboardSummary, directory?: Pick<GrantDirectory, 'principalRef'>): DashboardSummary {
  if (!directory) return summary;
  const refOf = (principal: string) => {
    const ref = directory.principalRef(principal);
    return ref ? { principalRef: ref } : {};
  };
  return {
    ...summary,
    topPrincipals: summary.topPrincipals.map(p => (p.principalRef ? p : { ...p, ...refOf(p.principal) })),
    weightReadsByPrincipal: summary.weightReadsByPrincipal.map(r => (r.principalRef ? r : { ...r, ...refOf(r.principal) })),
  };
}
