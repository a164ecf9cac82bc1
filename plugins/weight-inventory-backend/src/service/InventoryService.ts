/**
 * One refresh: discover every source, evaluate each store with the posture engine, store the
 * result with history, and turn pass→fail changes into drift events (audited, notified).
 */
import type { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { evaluateProject, PostureConfig, Finding } from '@internal/posture-checks';
import type { DriftEvent, PostureFinding, Refresh, Severity, WeightStore } from '@internal/plugin-weight-inventory-common';
import { storeEntityRef } from '@internal/plugin-weight-inventory-common';
import { transitions, worstByKey } from '../domain/drift';
import type { InventoryStore } from '../store/InventoryStore';
import type { DiscoveredStore, InventorySource } from '../sources/types';
import { mapLimit } from '../sources/types';

export interface Clock {
  now(): Date;
}

/** Sends drift notifications (the notifications service in the plugin; a recorder in tests). */
export interface DriftNotifier {
  notify(store: WeightStore, events: DriftEvent[]): Promise<void>;
}

export interface InventoryServiceOptions {
  store: InventoryStore;
  sources: InventorySource[];
  posture: PostureConfig;
  clock: Clock;
  logger: LoggerService;
  auditor: AuditorService;
  notifier?: DriftNotifier;
  /** Stores written in parallel. */
  concurrency?: number;
}

export function toPostureFindings(storeId: string, findings: Finding[], at: string): Omit<PostureFinding, 'lastChangedAt'>[] {
  const entityRef = storeEntityRef(storeId);
  return worstByKey(findings).map(f => ({
    storeId,
    entityRef,
    findingKey: f.findingKey,
    controlId: f.controlId,
    checkId: f.checkId,
    title: f.title,
    severity: f.severity,
    status: f.status,
    subjectKey: f.subject.key,
    subjectType: f.subject.type,
    subjectName: f.subject.name,
    path: f.path,
    message: f.message,
    rationale: f.rationale,
    remediation: f.remediation,
    lastEvaluatedAt: at,
  }));
}

export class InventoryService {
  private running?: Promise<Refresh>;

  constructor(private readonly options: InventoryServiceOptions) {}

  /** Runs a refresh; a refresh already running in this process is joined instead of doubled. */
  refresh(trigger: Refresh['trigger'], requestedBy?: string): Promise<Refresh> {
    if (!this.running) {
      this.running = this.run(trigger, requestedBy).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async run(trigger: Refresh['trigger'], requestedBy?: string): Promise<Refresh> {
    const { store, clock, logger } = this.options;
    const refresh = await store.startRefresh({ trigger, startedAt: clock.now().toISOString(), requestedBy });
    const errors: string[] = [];
    const counts = { stores: 0, drift: 0 };
    const okKinds = new Set<string>();
    const failedKinds = new Set<string>();
    for (const source of this.options.sources) {
      const kind = source.name.split(':')[0];
      const discovered: DiscoveredStore[] = [];
      try {
        if (source.discoverEach) {
          // streaming: each store is evaluated and written as soon as it is read
          await source.discoverEach(async d => {
            counts.drift += await this.saveOne(d, refresh.id);
            counts.stores++;
            if (d.error) errors.push(`${d.name}: ${d.error}`);
          });
        } else {
          discovered.push(...(await source.discover()));
        }
        okKinds.add(kind);
      } catch (e) {
        const msg = `${source.name}: ${(e as Error).message}`;
        errors.push(msg);
        failedKinds.add(kind);
        logger.warn(`weight-inventory refresh: ${msg}`);
        continue;
      }
      const results = await mapLimit(discovered, this.options.concurrency ?? 4, d => this.saveOne(d, refresh.id));
      for (const r of results) counts.drift += r;
      counts.stores += discovered.length;
      for (const d of discovered) if (d.error) errors.push(`${d.name}: ${d.error}`);
    }
    // A store a source no longer lists is gone, unless a source of the same kind failed this time.
    const removable = [...okKinds].filter(k => !failedKinds.has(k));
    if (removable.length) await store.removeStoresNotSeenIn(refresh.id, removable);
    let status: Refresh['status'] = 'succeeded';
    if (errors.length > 0) status = counts.stores > 0 ? 'partial' : 'failed';
    return store.finishRefresh(refresh.id, { finishedAt: clock.now().toISOString(), status, stores: counts.stores, driftEvents: counts.drift, errors });
  }

  private async saveOne(d: DiscoveredStore, refreshId: string): Promise<number> {
    const { store, clock, posture } = this.options;
    const at = clock.now().toISOString();
    const cfg: PostureConfig = d.project.cluster ? { ...posture, kubernetes: { ...posture.kubernetes, cluster: d.project.cluster } } : posture;
    const findings = toPostureFindings(d.id, evaluateProject(d.project, cfg), at);
    const previous = await store.previousStatuses(d.id);
    const changes = transitions(previous, findings);
    const failing: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
    let passing = 0;
    for (const f of findings) {
      if (f.status === 'fail') failing[f.severity]++;
      else if (f.status === 'pass') passing++;
    }
    let postureStatus: WeightStore['posture'] = 'unknown';
    if (findings.length > 0) postureStatus = Object.values(failing).some(n => n > 0) ? 'failing' : 'passing';
    const weights = d.weights.map(w => ({ ...w, bytes: Math.round(w.bytes), storeId: d.id }));
    const lastModified = weights.reduce<string | undefined>((m, w) => (w.lastModified && (!m || w.lastModified > m) ? w.lastModified : m), undefined);
    const record: Omit<WeightStore, 'lastRefreshAt'> = {
      id: d.id,
      kind: d.kind,
      name: d.name,
      entityRef: storeEntityRef(d.id),
      source: d.source,
      demo: d.demo,
      subscriptionId: d.subscriptionId,
      resourceGroup: d.resourceGroup,
      resourceId: d.resourceId,
      owner: d.owner,
      tags: d.tags,
      posture: postureStatus,
      failing,
      passing,
      weights: { files: weights.length, bytes: Math.round(weights.reduce((s, w) => s + w.bytes, 0)), lastModified },
      lastError: d.error,
    };
    const drift = changes.filter(c => c.drift).map(c => ({
      storeId: d.id,
      entityRef: storeEntityRef(d.id),
      findingKey: c.finding.findingKey,
      controlId: c.finding.controlId,
      subjectKey: c.finding.subjectKey,
      severity: c.finding.severity,
      from: c.from!,
      to: c.to,
      message: c.finding.message,
      refreshId,
      occurredAt: at,
    }));
    const saved = await store.saveStoreResult({ store: record, findings, changed: new Set(changes.map(c => c.finding.findingKey)), drift, weights, refreshId, at });
    if (saved.length) await this.reportDrift({ ...record, lastRefreshAt: at }, saved);
    return saved.length;
  }

  private async reportDrift(store: WeightStore, events: DriftEvent[]): Promise<void> {
    for (const e of events) {
      const event = await this.options.auditor.createEvent({
        eventId: 'posture-drift',
        severityLevel: e.severity === 'critical' || e.severity === 'high' ? 'high' : 'medium',
        meta: { storeId: e.storeId, entityRef: e.entityRef, controlId: e.controlId, findingKey: e.findingKey, from: e.from, to: e.to, refreshId: e.refreshId, driftEventId: e.id },
      });
      await event.success();
    }
    try {
      await this.options.notifier?.notify(store, events);
    } catch (err) {
      this.options.logger.warn(`weight-inventory: drift notification failed: ${(err as Error).message}`);
    }
  }
}
