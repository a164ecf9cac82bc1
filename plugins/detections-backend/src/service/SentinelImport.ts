import { createHash } from 'node:crypto';
import type { AuditorService } from '@backstage/backend-plugin-api';
import type { Clock } from '@internal/clock';
import type { Detection } from '@internal/detection-rules';
import type { SentinelAlertReader } from '../sentinel';
import type { DetectionsStore } from '../store/DetectionsStore';
import type { AlertNotifier } from './AlertNotifier';
import type { LiveGrantIndex } from './liveGrants';
import { groupIntoAlerts, notifyChanges } from './storeAlerts';

/** Row keys are kept this much longer than the look-back: an hourly bin starts before its range. */
const KEY_MARGIN_MS = 24 * 3600_000;

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
  /** Every read goes back this far before the rule's mark, for rows that reached the workspace late (minutes). */
  overlapMinutes: number;
  /** No read goes back further than this from now (minutes); older unread time is reported, not read. */
  maxLookbackMinutes: number;
  /** Told (one event per run) when a rule's unread time was older than the look-back and left out. */
  auditor?: AuditorService;
  /** Runs the store step in turn with ingest (the same alerts are grouped by both). */
  serial?: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** Time of a rule that was never read because it lay beyond the look-back. */
export interface NotRead {
  rule: string;
  from: Date;
  to: Date;
}

export interface SentinelImportResult {
  /** Start of the oldest rule's range (each rule starts at its own `fromByRule`). */
  from: Date;
  to: Date;
  /** Rows stored: new rows, and aggregated rows whose count grew (only the growth is counted). */
  detections: number;
  /** Rows read before (same key, count not grown): nothing changed. */
  skipped: number;
  alertsOpened: number;
  alertsUpdated: number;
  rows: Record<string, number>;
  errors: Array<{ rule: string; error: string; partial: boolean }>;
  /** Unread time older than the look-back, per rule (after an outage, or a first read longer than it). */
  notRead: NotRead[];
}

/**
 * Where a rule's next read starts: `overlap` before its mark (rows that reached the workspace
 * after the last read passed their time), never before `now - maxLookback`; the part of
 * [mark, now - maxLookback) that is then left out is returned as not read.
 */
export function readStart(markMs: number, nowMs: number, o: { overlapMinutes: number; maxLookbackMinutes: number }): { fromMs: number; notRead?: [number, number] } {
  const floor = nowMs - o.maxLookbackMinutes * 60_000;
  const fromMs = Math.max(Math.min(markMs, nowMs) - o.overlapMinutes * 60_000, floor);
  return { fromMs, notRead: markMs < floor ? [markMs, floor] : undefined };
}

/**
 * The Log Analytics workspace (Microsoft Sentinel) read back into the portal's alerts: the rows of
 * every rule's KQL become detections grouped into alerts as ingest groups them (same rule,
 * principal and resource within the window), with catalog refs and reviewer notifications.
 *
 * Each rule is read from `overlapMinutes` before its read mark (Log Analytics ingestion latency:
 * a row can become queryable minutes after its TimeGenerated), at most `maxLookbackMinutes` back.
 * Rows read twice are known by their key (src/sentinel/rowKey.ts), stored with the events counted
 * so far: a known row changes nothing, an aggregated row whose count grew adds only the growth.
 * Keys, marks and alerts move in one transaction; a rule whose query failed keeps its mark.
 */
export class SentinelImport {
  constructor(private readonly o: SentinelImportOptions) {}

  private markName(rule: string): string {
    return `sentinel:${this.o.workspaceId}:${rule}`;
  }

  /** A row key of this workspace (two workspaces may hold the same row). */
  private keyOf(rowKey: string): string {
    return createHash('sha256').update(`${this.o.workspaceId}\u001f${rowKey}`).digest('hex');
  }

  async importOnce(): Promise<SentinelImportResult> {
    const { store, clock } = this.o;
    const to = clock.now();
    const toMs = to.getTime();
    const rules = this.o.reader.listRules().map(r => r.id);
    const stored = await store.readMarks(rules.map(r => this.markName(r)));
    const markOf = (rule: string) => stored.get(this.markName(rule)) ?? toMs - this.o.firstReadMinutes * 60_000;

    const fromByRule: Record<string, Date> = {};
    const notRead: NotRead[] = [];
    for (const rule of rules) {
      const s = readStart(markOf(rule), toMs, this.o);
      fromByRule[rule] = new Date(s.fromMs);
      if (s.notRead) notRead.push({ rule, from: new Date(s.notRead[0]), to: new Date(s.notRead[1]) });
    }
    const from = new Date(Math.min(toMs, ...Object.values(fromByRule).map(d => d.getTime())));
    const read = await this.o.reader.readDetections({ from, to, fromByRule });

    const failed = new Set(read.errors.filter(e => !e.partial).map(e => e.rule));
    const marks = new Map<string, number>();
    // a failed rule keeps its mark (its first read too), so it is read from there again
    for (const rule of rules) marks.set(this.markName(rule), failed.has(rule) ? markOf(rule) : Math.max(toMs, markOf(rule)));

    const now = to.toISOString();
    const run = this.o.serial ?? (<T>(fn: () => Promise<T>) => fn());
    const { changes, fresh } = await run(() =>
      store.transaction(async tx => {
        const keyed = read.detections.map(d => ({ d, key: this.keyOf(d.rowKey) }));
        const counted = await store.readRowCounts(keyed.map(k => k.key), tx);
        const fresh: Detection[] = [];
        const seen = new Map<string, { key: string; time: number; counted: number }>();
        for (const { d, key } of keyed) {
          const { rowKey: _k, ...detection } = d;
          const before = seen.get(key)?.counted ?? counted.get(key);
          const count = Math.max(detection.eventCount ?? 1, 1);
          if (before === undefined) fresh.push(detection);
          else if (count > before) fresh.push({ ...detection, eventIds: [], eventCount: count - before });
          else continue;
          seen.set(key, { key, time: detection.time, counted: count });
        }
        const c = await groupIntoAlerts(fresh, { store, grants: this.o.grants, windowMinutes: this.o.windowMinutes, now }, tx);
        await store.setRowCounts([...seen.values()], now, tx);
        await store.setReadMarks(marks, now, tx);
        await store.deleteRowCountsBefore(toMs - this.o.maxLookbackMinutes * 60_000 - this.o.overlapMinutes * 60_000 - KEY_MARGIN_MS, tx);
        return { changes: c, fresh };
      }),
    );
    notifyChanges(this.o.notifier, changes);
    if (notRead.length && this.o.auditor) {
      const ev = await this.o.auditor.createEvent({
        eventId: 'sentinel-lookback-exceeded',
        severityLevel: 'medium',
        meta: {
          workspaceId: this.o.workspaceId,
          maxLookbackMinutes: this.o.maxLookbackMinutes,
          notRead: notRead.map(n => ({ rule: n.rule, from: n.from.toISOString(), to: n.to.toISOString() })),
        },
      });
      await ev.success();
    }
    return {
      from,
      to,
      detections: fresh.length,
      skipped: read.detections.length - fresh.length,
      alertsOpened: changes.filter(c => c.opened).length,
      alertsUpdated: changes.filter(c => !c.opened).length,
      rows: read.rows,
      errors: read.errors,
      notRead,
    };
  }
}
