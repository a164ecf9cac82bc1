import type { Clock } from '@internal/clock';
import type { Detection } from '@internal/detection-rules';
import type { SentinelAlertReader } from '../sentinel';
import type { DetectionsStore } from '../store/DetectionsStore';
import type { AlertNotifier } from './AlertNotifier';
import type { LiveGrantIndex } from './liveGrants';
import { groupIntoAlerts, notifyChanges } from './storeAlerts';

export interface SentinelImportOptions {
  reader: Pick<SentinelAlertReader, 'readDetections' | 'listRules'>;
  /** Names the read marks (one per rule), so two workspaces keep their own. */
  workspaceId: string;
  store: DetectionsStore;
  grants: LiveGrantIndex;
  notifier: AlertNotifier;
  clock: Clock;
  windowMinutes: number;
  /** How far back the first read of a rule goes (minutes). */
  firstReadMinutes: number;
  /** Runs the store step in turn with ingest (the same alerts are grouped by both). */
  serial?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface SentinelImportResult {
  from: Date;
  to: Date;
  /** Detections stored (rows before a rule's read mark are left out: they were stored before). */
  detections: number;
  skipped: number;
  alertsOpened: number;
  alertsUpdated: number;
  rows: Record<string, number>;
  errors: Array<{ rule: string; error: string; partial: boolean }>;
}

/**
 * The Log Analytics workspace (Microsoft Sentinel) read back into the portal's alerts: the rows of
 * every rule's KQL since that rule's read mark become detections grouped into alerts as ingest
 * groups them (same rule, principal and resource within the window), with catalog refs and
 * reviewer notifications. The marks move in the same transaction as the alerts, so rows read
 * again change nothing; a rule whose query failed keeps its mark and is read again next time.
 */
export class SentinelImport {
  constructor(private readonly o: SentinelImportOptions) {}

  private markName(rule: string): string {
    return `sentinel:${this.o.workspaceId}:${rule}`;
  }

  async importOnce(): Promise<SentinelImportResult> {
    const { store, clock } = this.o;
    const to = clock.now();
    const toMs = to.getTime();
    const rules = this.o.reader.listRules().map(r => r.id);
    const stored = await store.readMarks(rules.map(r => this.markName(r)));
    const markOf = (rule: string) => stored.get(this.markName(rule)) ?? toMs - this.o.firstReadMinutes * 60_000;
    const fromMs = Math.min(toMs, ...rules.map(markOf));
    const from = new Date(fromMs);
    const read = await this.o.reader.readDetections({ from, to });

    const fresh: Detection[] = read.detections.filter(d => d.time >= markOf(d.rule));
    const failed = new Set(read.errors.filter(e => !e.partial).map(e => e.rule));
    const marks = new Map<string, number>();
    // a failed rule keeps where this read started (its first read too), so it is read from there again
    for (const rule of rules) marks.set(this.markName(rule), failed.has(rule) ? markOf(rule) : Math.max(toMs, markOf(rule)));
    // a row stamped at (or after) the end of the range is stored now: the next read starts after it
    for (const d of fresh) {
      const name = this.markName(d.rule);
      if (!failed.has(d.rule) && d.time >= marks.get(name)!) marks.set(name, d.time + 1);
    }

    const now = to.toISOString();
    const run = this.o.serial ?? (<T>(fn: () => Promise<T>) => fn());
    const changes = await run(() =>
      store.transaction(async tx => {
        const c = await groupIntoAlerts(fresh, { store, grants: this.o.grants, windowMinutes: this.o.windowMinutes, now }, tx);
        await store.setReadMarks(marks, now, tx);
        return c;
      }),
    );
    notifyChanges(this.o.notifier, changes);
    return {
      from,
      to,
      detections: fresh.length,
      skipped: read.detections.length - fresh.length,
      alertsOpened: changes.filter(c => c.opened).length,
      alertsUpdated: changes.filter(c => !c.opened).length,
      rows: read.rows,
      errors: read.errors,
    };
  }
}
