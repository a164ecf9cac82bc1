import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { Clock } from '@internal/clock';
import { DetectionEngine, parseLine, type Detection, type DetectionEvent } from '@internal/detection-rules';

type NormalizeOptions = NonNullable<Parameters<typeof parseLine>[1]>;
import type { IngestLineError, IngestResult } from '@internal/plugin-detections-common';
import { timeOrderedUuid } from '../domain/ids';
import { addToRollups, type RollupRow } from '../domain/rollups';
import type { DetectionsStore, EventRow } from '../store/DetectionsStore';
import type { AlertNotifier } from './AlertNotifier';
import type { LiveGrantIndex } from './liveGrants';
import { groupIntoAlerts, notifyChanges } from './storeAlerts';

/** A place in the ingest queue: `run` once, or `release` (a request that ends without a batch). */
export interface IngestSlot {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Gives the place up unless `run` took it; safe to call more than once. */
  release(): void;
}

/** Most line errors listed in one answer (the count of rejected lines is always complete). */
const MAX_REPORTED_ERRORS = 1000;

/** The principal as rules name it (same choice as detection-rules' alerts). */
export function principalOf(ev: DetectionEvent): string {
  const p = ev.actor.upn ?? ev.actor.name ?? ev.actor.uid ?? ev.src?.ip ?? 'unknown';
  return p.includes('@') ? p.toLowerCase() : p;
}

/** PostgreSQL text cannot hold NUL: an indexed column never carries one (the original keeps it, escaped). */
const clean = (s: string, max: number) => (s.includes('\u0000') ? s.replace(/\u0000/g, '') : s).slice(0, max);

export interface IngestServiceOptions {
  store: DetectionsStore;
  engine: DetectionEngine;
  grants: LiveGrantIndex;
  notifier: AlertNotifier;
  clock: Clock;
  logger: LoggerService;
  maxLines: number;
  warmupHours: number;
  warmupMaxEvents: number;
}

/**
 * Ingest: NDJSON lines → normalised events (detection-rules) → stored once by content key →
 * the engine runs on the events that were new → detections grouped into alerts, all in one
 * transaction. One engine per process, fed by one batch at a time (its windows are state).
 */
export class IngestService {
  private queue: Promise<unknown> = Promise.resolve();

  /** Sigma views only for the sources a rule reads them of (the original is always kept). */
  private readonly normalize: NormalizeOptions;

  constructor(private readonly o: IngestServiceOptions) {
    this.normalize = { views: o.engine.needs().views };
  }

  /**
   * Takes the next place in the queue now; the work handed to `run` starts once every earlier
   * place has run or been released. The router reserves when a request arrives (after
   * authentication, before its body is read), so batches reach the engine in arrival order even
   * when a later body finishes uploading or parsing first.
   */
  reserve(): IngestSlot {
    let start!: (fn?: () => Promise<unknown>) => void;
    const turn = new Promise<(() => Promise<unknown>) | undefined>(resolve => { start = resolve; });
    this.queue = this.queue.then(() => turn).then(fn => fn?.()).catch(() => undefined);
    let taken = false;
    const take = () => {
      if (taken) return false;
      taken = true;
      return true;
    };
    return {
      run: <T>(fn: () => Promise<T>) => {
        if (!take()) return Promise.reject(new Error('ingest slot already used'));
        return new Promise<T>((resolve, reject) => start(() => fn().then(resolve, reject)));
      },
      release: () => {
        if (take()) start();
      },
    };
  }

  /** Runs batches one after another (the engine's windows must see events in order). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.reserve().run(fn);
  }

  /** Splits NDJSON text and normalises it: events (with their original text) and line errors. */
  parse(text: string): { events: Array<{ ev: DetectionEvent; raw: string }>; rejected: IngestLineError[]; rejectedCount: number } {
    const lines = text.split('\n');
    let nonEmpty = 0;
    for (const l of lines) if (l.trim()) nonEmpty++;
    if (nonEmpty > this.o.maxLines) {
      throw new InputError(`body: ${nonEmpty} lines in one batch; at most ${this.o.maxLines} (split the batch)`);
    }
    const events: Array<{ ev: DetectionEvent; raw: string }> = [];
    const rejected: IngestLineError[] = [];
    let rejectedCount = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line) continue;
      const r = parseLine(line, this.normalize);
      if (r.errors.length) {
        rejectedCount++;
        if (rejected.length < MAX_REPORTED_ERRORS) rejected.push({ line: i + 1, error: r.errors.join('; ').slice(0, 500) });
      }
      const single = r.events.length === 1;
      for (const ev of r.events) events.push({ ev, raw: single ? line : JSON.stringify(ev.raw) });
    }
    return { events, rejected, rejectedCount };
  }

  private row(ev: DetectionEvent, raw: string, nowMs: number): EventRow {
    const weight = ev.source === 'storage_blob' && this.o.engine.isWeightStore(ev);
    return {
      id: timeOrderedUuid(nowMs),
      key: ev.key,
      source_id: clean(ev.id, 255),
      source: ev.source,
      time: ev.time,
      activity: clean(ev.activity, 128),
      outcome: ev.outcome,
      principal: clean(principalOf(ev), 512),
      resource: ev.resource?.name ? clean(ev.resource.name, 1024) : null,
      country: ev.source === 'entra_signin' && ev.src?.country ? clean(ev.src.country, 8) : null,
      bytes: typeof ev.bytes === 'number' && Number.isFinite(ev.bytes) ? Math.round(ev.bytes) : null,
      weight_store: weight,
      raw: clean(raw, Number.MAX_SAFE_INTEGER),
      ingested_at: nowMs,
    };
  }

  /**
   * One batch: parsed at once; stored, run through the engine and grouped into alerts in its
   * turn (the whole of it in the critical section, so a line in two batches
   * in flight is inserted, and run by the engine, exactly once and in order). `slot`: a place
   * taken earlier with `reserve()` (else one is taken now).
   */
  async ingest(text: string, slot: IngestSlot = this.reserve()): Promise<IngestResult> {
    let parsed: ReturnType<IngestService['parse']>;
    try {
      parsed = this.parse(text);
    } catch (e) {
      slot.release();
      throw e;
    }
    return slot.run(() => this.store(parsed));
  }

  private async store(parsed: ReturnType<IngestService['parse']>): Promise<IngestResult> {
    const { store, engine, clock } = this.o;
    const now = clock.now();
    const nowIso = now.toISOString();
    // one row per content key (a line repeated inside the batch is a duplicate too)
    const byKey = new Map<string, { ev: DetectionEvent; row: EventRow }>();
    for (const { ev, raw } of parsed.events) if (!byKey.has(ev.key)) byKey.set(ev.key, { ev, row: this.row(ev, raw, now.getTime()) });

    const result = await store.transaction(async tx => {
      const inserted = await store.insertEvents([...byKey.values()].map(x => x.row), tx);
      const freshRows = [...byKey.values()].filter(x => inserted.has(x.ev.key));
      const rollups = new Map<string, RollupRow>();
      for (const x of freshRows) addToRollups(rollups, x.row);
      await store.addRollups([...rollups.values()], tx);
      const fresh = freshRows.map(x => x.ev);
      fresh.sort((a, b) => a.time - b.time);
      const detections: Detection[] = [];
      for (const ev of fresh) for (const d of engine.process(ev)) detections.push(d);
      const changes = await groupIntoAlerts(detections, {
        store, grants: this.o.grants, windowMinutes: engine.config.alertGroupWindowMinutes, now: nowIso,
      }, tx);
      return { accepted: fresh.length, detections: detections.length, changes };
    });

    notifyChanges(this.o.notifier, result.changes);
    return {
      accepted: result.accepted,
      duplicates: parsed.events.length - result.accepted,
      rejected: parsed.rejected,
      detections: result.detections,
      alertsOpened: result.changes.filter(c => c.opened).length,
      alertsUpdated: result.changes.filter(c => !c.opened).length,
    };
  }

  /**
   * Feeds the engine the stored events of the last `warmupHours` (detections discarded: they were
   * recorded when the events arrived), so windows that span a restart still see their start.
   */
  async warmUp(): Promise<{ events: number }> {
    return this.serial(async () => {
      const since = this.o.clock.now().getTime() - this.o.warmupHours * 3_600_000;
      const raws = await this.o.store.rawEventsSince(since, this.o.warmupMaxEvents);
      let n = 0;
      for (const raw of raws) {
        // a line's original (a wrapper with one record, too) normalises as it did at ingest
        for (const ev of parseLine(raw, this.normalize).events) {
          this.o.engine.process(ev);
          n++;
        }
      }
      return { events: n };
    });
  }
}
