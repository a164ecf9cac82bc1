/**
 * Replay of several files in parallel processes, split by source family.
 *
 * Every rule reads the events of a fixed set of sources (StatefulRule.sources, a Sigma rule's
 * logsource) and keeps state only from them; the engine's one piece of shared state, the pod IP →
 * namespace map learned from Hubble flows, is read by rules on firewall events. Sources joined by
 * a rule (or by that map) form a family; no rule sees two families. So files holding disjoint
 * families can be replayed by separate engines, each reading its own files — nothing is handed
 * over but the final alerts — and the alerts merged give exactly the single-process result:
 *  - the events of a family reach its engine in the same order: each file is re-ordered on its own
 *    (the whole file is in one job), and a k-way merge of a subset of the files emits their events
 *    in the order the merge of all files does (other files' heads never change theirs);
 *  - every alert key (rule, principal, resource) belongs to one rule, so to one job, and
 *    groupAlerts' final order is (firstSeen, severity, key, the job's order within a key);
 *  - read statistics are kept per file (mergeStats) and merged in the order of the files given.
 * Which families a file holds is sniffed from its first lines before starting; a job reports the
 * sources it saw, and when one family turns up in two jobs (a file whose start did not show all it
 * holds) the parallel result is thrown away and everything is replayed in one process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DetectionEngine, alertKey } from './engine';
import { parseLine, type ReadStats } from './reader';
import { mergeStats, replayFiles, type ReplayOptions, type ReplayResult } from './replay';
import { SOURCE_IDS, severityRank, type Alert, type SourceId } from './types';

class UnionFind {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) i = this.parent[i] = this.parent[this.parent[i]];
    return i;
  }
  union(a: number, b: number) {
    const x = this.find(a);
    const y = this.find(b);
    if (x !== y) this.parent[Math.max(x, y)] = Math.min(x, y);
  }
}

/**
 * The source family of every source (its members joined by '+', in SOURCE_IDS order): sources
 * joined when one enabled rule reads both, and Hubble with the firewall (the engine's pod IP →
 * namespace map, learned from Hubble flows, is read by rules on firewall events).
 */
export function sourceFamilies(engine: DetectionEngine): Map<SourceId, string> {
  const idx = new Map(SOURCE_IDS.map((s, i) => [s, i]));
  const uf = new UnionFind(SOURCE_IDS.length);
  const join = (sources: SourceId[]) => {
    for (const s of sources) if (idx.has(s) && idx.has(sources[0])) uf.union(idx.get(sources[0])!, idx.get(s)!);
  };
  join(['hubble', 'azure_firewall']);
  for (const r of engine.statefulRules()) join(r.sources);
  for (const r of engine.sigmaRules()) join(r.sources);
  const out = new Map<SourceId, string>();
  for (const s of SOURCE_IDS) {
    const root = uf.find(idx.get(s)!);
    out.set(s, SOURCE_IDS.filter(t => uf.find(idx.get(t)!) === root).join('+'));
  }
  return out;
}

/**
 * The sources seen in the first lines of a file (up to `maxLines` lines in the first 256 KiB read,
 * decompressed when gzip). Empty when nothing there is recognised (a JSON document spread over many
 * lines, garbage, an empty file): such a file is a group of its own.
 */
export function sniffSources(file: string, maxLines = 500): Set<SourceId> {
  const out = new Set<SourceId>();
  let text: string;
  let complete: boolean;
  try {
    const fd = fs.openSync(file, 'r');
    let raw: Buffer;
    try {
      const buf = Buffer.alloc(256 * 1024);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      raw = buf.subarray(0, n);
      complete = n < buf.length;
    } finally {
      fs.closeSync(fd);
    }
    if (raw[0] === 0x1f && raw[1] === 0x8b) {
      const inflated = zlib.gunzipSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 8 << 20 });
      raw = inflated.subarray(0, 1 << 20);
      complete = complete && inflated.length <= raw.length;
    }
    text = raw.toString('utf8');
  } catch {
    return out; // unreadable or corrupt: the job reading it reports that as the one-process replay would
  }
  const lines = text.split(/\r\n|\r|\n/);
  if (!complete) lines.pop(); // cut off
  let n = 0;
  const opts = { keys: false, views: new Set<SourceId>(), raw: new Set<SourceId>() };
  for (let line of lines) {
    if (n === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (!line.trim()) continue;
    if (++n > maxLines) break;
    for (const ev of parseLine(line.trim(), opts).events) out.add(ev.source);
  }
  return out;
}

/** Bytes of text in a file: the gzip trailer's size (mod 4 GiB, last member) or the file size; 0 when unreadable (its job reports that). */
function textSize(file: string): number {
  try {
    return gzipTextSize(file);
  } catch {
    return 0;
  }
}

function gzipTextSize(file: string): number {
  const size = fs.statSync(file).size;
  if (size < 18) return size;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    fs.readSync(fd, head, 0, 2, 0);
    if (head[0] !== 0x1f || head[1] !== 0x8b) return size;
    const tail = Buffer.alloc(4);
    fs.readSync(fd, tail, 0, 4, size - 4);
    return Math.max(size, tail.readUInt32LE(0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Groups files (by index) into at most `jobs` jobs: files that share a family are in one group
 * (union-find), a file with nothing recognised is a group of its own; groups are packed into jobs
 * largest first onto the least loaded job. Each job lists its files in the order given; jobs come
 * largest first.
 */
export function planJobs(sniffed: Set<SourceId>[], families: Map<SourceId, string>, sizes: number[], jobs: number): number[][] {
  const uf = new UnionFind(sniffed.length);
  const firstOf = new Map<string, number>();
  sniffed.forEach((sources, i) => {
    for (const s of sources) {
      const fam = families.get(s) ?? s;
      const first = firstOf.get(fam);
      if (first === undefined) firstOf.set(fam, i);
      else uf.union(first, i);
    }
  });
  const groups = new Map<number, number[]>();
  sniffed.forEach((_, i) => {
    const r = uf.find(i);
    groups.set(r, [...(groups.get(r) ?? []), i]);
  });
  const weight = (g: number[]) => g.reduce((a, i) => a + sizes[i], 0);
  const sorted = [...groups.values()].sort((a, b) => weight(b) - weight(a) || a[0] - b[0]);
  const bins = Array.from({ length: Math.max(1, Math.min(jobs, sorted.length)) }, () => ({ files: [] as number[], w: 0 }));
  for (const g of sorted) {
    const bin = bins.reduce((x, y) => (y.w < x.w ? y : x));
    bin.files.push(...g);
    bin.w += weight(g);
  }
  return bins.sort((a, b) => b.w - a.w).map(b => b.files.sort((x, y) => x - y));
}

/** The result a job sends back to the parent. */
export interface JobResult {
  alerts: Alert[];
  fileStats: ReadStats[];
  detections: number;
}

/** Alerts of jobs (each in groupAlerts' order, no alert key in two jobs) in groupAlerts' order for all of them. */
export function mergeAlerts(lists: Alert[][]): Alert[] {
  const keyed = lists.flat().map(a => ({ a, k: alertKey(a) }));
  // stable: alerts of one key come from one job, in its order
  keyed.sort(
    (x, y) =>
      (x.a.firstSeen < y.a.firstSeen ? -1 : x.a.firstSeen > y.a.firstSeen ? 1 : 0) ||
      severityRank(y.a.severity) - severityRank(x.a.severity) ||
      (x.k < y.k ? -1 : x.k > y.k ? 1 : 0),
  );
  return keyed.map(x => x.a);
}

export interface ParallelReplayOptions extends ReplayOptions {
  /** Most jobs at once (the first runs in this process, the others in child processes). */
  jobs: number;
  /** Arguments every child gets before the files (`--grants FILE`, `--config FILE`). */
  childArgs: string[];
  /** Told why the parallel result was discarded. */
  notice?: (message: string) => void;
  /** The CLI entry the children run (default: this package's bin/detections). */
  entry?: string;
  /** Told the files of each job when they run in parallel (the first job runs in this process). */
  onPlan?: (jobs: string[][]) => void;
}

/** Node options a child keeps (heap sizes); not the parent's -e, profiler or inspector flags. */
function childExecArgv(): string[] {
  return process.execArgv.filter(a => /^--max-(old|semi)-space-size=/.test(a));
}

function runChild(entry: string, args: string[], started: ChildProcess[]): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(entry, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: childExecArgv(), env: { ...process.env, DETECTIONS_REPLAY_JOB: '1' } });
    started.push(child);
    let result: JobResult | undefined;
    let stderr = '';
    child.stderr!.on('data', c => {
      if (stderr.length < 10_000) stderr += String(c);
    });
    child.on('message', m => {
      result = m as JobResult;
    });
    child.on('error', reject);
    child.on('exit', code => {
      if (code === 0 && result && Array.isArray(result.alerts)) resolve(result);
      else reject(new Error(`replay job exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/**
 * replayFiles over several files in parallel jobs split by source family, with the same result
 * (see the module comment); one job, or a family seen by two jobs, or a failed job: replayFiles in
 * this process (which reports the failure as it always does).
 */
export async function replayParallel(files: string[], opts: ParallelReplayOptions): Promise<ReplayResult> {
  if (files.length < 2 || opts.jobs < 2) return replayFiles(files, opts);
  const families = sourceFamilies(new DetectionEngine({ config: opts.config, grants: opts.grants }));
  const sniffed = files.map(f => sniffSources(f));
  const plan = planJobs(sniffed, families, files.map(textSize), opts.jobs);
  if (plan.length < 2) return replayFiles(files, opts);
  opts.onPlan?.(plan.map(job => job.map(i => files[i])));
  const entry = opts.entry ?? path.resolve(__dirname, '..', 'bin', 'detections');
  const started: ChildProcess[] = [];
  let results: JobResult[];
  try {
    const children = plan.slice(1).map(job => runChild(entry, ['replay-job', ...opts.childArgs, '--', ...job.map(i => files[i])], started));
    // children are rejected only after the in-process job: no unhandled rejection meanwhile
    const settled = children.map(p => p.then(r => ({ r }), (e: Error) => ({ e })));
    const own = await replayFiles(plan[0].map(i => files[i]), opts);
    results = [own];
    for (const s of await Promise.all(settled)) {
      if ('e' in s) throw s.e;
      results.push(s.r);
    }
  } catch {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill();
    // the one-process replay meets the same failure and reports it as it always has
    return replayFiles(files, opts);
  }
  const fileStats: ReadStats[] = new Array(files.length);
  const seenBy = new Map<string, number>();
  let split = false;
  plan.forEach((job, j) =>
    job.forEach((i, k) => {
      fileStats[i] = results[j].fileStats[k];
      for (const s of Object.keys(fileStats[i].bySource)) {
        const fam = families.get(s as SourceId) ?? s;
        if ((seenBy.get(fam) ?? j) !== j) split = true;
        seenBy.set(fam, j);
      }
    }),
  );
  if (split) {
    opts.notice?.('a source family turned up in files of two parallel jobs (their first lines did not show it); replaying all files in one process');
    return replayFiles(files, opts);
  }
  return {
    alerts: mergeAlerts(results.map(r => r.alerts)),
    stats: mergeStats(fileStats),
    detections: results.reduce((a, r) => a + r.detections, 0),
    fileStats,
  };
}
