import type { DetectionConfig } from './config';
import { DetectionEngine, groupAlerts } from './engine';
import type { GrantIndex } from './grants';
import { mergeBatchesByTime, newStats, readFileEventBatches, reorderBatches, type ReadStats } from './reader';
import type { Alert, Detection } from './types';

export interface ReplayOptions {
  config: DetectionConfig;
  grants?: GrantIndex;
  /** Events held at most per file to fix local disorder (default 20000). */
  reorderBuffer?: number;
  /** Events held per file while the file is in time order (default 1000; grows up to reorderBuffer on disorder). */
  reorderInitial?: number;
}

export interface ReplayResult {
  alerts: Alert[];
  stats: ReadStats;
  detections: number;
  /** The read statistics of each file, in the order of `files` (`stats` is mergeStats of them). */
  fileStats: ReadStats[];
}

/**
 * Statistics of several files as one: counts summed, sources sorted, the first unreadable records of
 * each file in the order the files are given (at most 20 in all). Per file, so the listing does not
 * depend on how reads of files read side by side interleave (nor on which process read a file).
 */
export function mergeStats(list: ReadStats[]): ReadStats {
  const stats = newStats();
  for (const s of list) {
    stats.lines += s.lines;
    stats.events += s.events;
    stats.errors += s.errors;
    for (const [k, v] of Object.entries(s.bySource)) stats.bySource[k] = (stats.bySource[k] ?? 0) + v;
    for (const e of s.firstErrors) if (stats.firstErrors.length < 20) stats.firstErrors.push(e);
  }
  stats.bySource = Object.fromEntries(Object.entries(stats.bySource).sort(([a], [b]) => a.localeCompare(b)));
  return stats;
}

/** Evaluates every rule over log files, as the backend does at ingest, and groups the alerts. */
export async function replayFiles(files: string[], opts: ReplayOptions): Promise<ReplayResult> {
  const engine = new DetectionEngine({ config: opts.config, grants: opts.grants });
  const fileStats = files.map(() => newStats());
  const buffer = opts.reorderBuffer ?? 20_000;
  // keep of each record only what the rules read; no idempotency keys (nothing is stored)
  const needs = engine.needs();
  const normalize = { keys: false, views: needs.views, raw: needs.raw };
  const streams = files.map((f, i) => reorderBatches(readFileEventBatches(f, fileStats[i], normalize), buffer, { initial: opts.reorderInitial ?? 1000 }));
  const detections: Detection[] = [];
  await mergeBatchesByTime(streams, ev => {
    const d = engine.process(ev);
    for (const x of d) detections.push(x);
  });
  const alerts = groupAlerts(detections, { windowMinutes: opts.config.alertGroupWindowMinutes });
  // files are read side by side, so sources and errors are met in no fixed order: mergeStats orders them
  return { alerts, stats: mergeStats(fileStats), detections: detections.length, fileStats };
}
