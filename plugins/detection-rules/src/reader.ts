import * as fs from 'node:fs';
import * as readline from 'node:readline';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { expandRecords, normalizeRecord, RecordError } from './sources';
import type { DetectionEvent } from './types';

export interface LineError {
  file: string;
  line: number;
  error: string;
}

export interface ReadStats {
  lines: number;
  events: number;
  errors: number;
  bySource: Record<string, number>;
  firstErrors: LineError[];
}

export function newStats(): ReadStats {
  return { lines: 0, events: 0, errors: 0, bySource: {}, firstErrors: [] };
}

function noteError(stats: ReadStats, e: LineError) {
  stats.errors++;
  if (stats.firstErrors.length < 20) stats.firstErrors.push(e);
}

/** Parses one text line (NDJSON): events, or an error message. Never throws. */
export function parseLine(text: string): { events: DetectionEvent[]; errors: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { events: [], errors: [`not JSON: ${(e as Error).message}`] };
  }
  const records = expandRecords(value);
  const events: DetectionEvent[] = [];
  const errors: string[] = [];
  for (const rec of records) {
    try {
      events.push(normalizeRecord(rec, records.length === 1 ? text : undefined));
    } catch (e) {
      errors.push(e instanceof RecordError ? e.message : `cannot normalize: ${(e as Error).message}`);
    }
  }
  return { events, errors };
}

async function openText(file: string): Promise<Readable> {
  const fd = await fs.promises.open(file, 'r');
  const head = Buffer.alloc(2);
  await fd.read(head, 0, 2, 0);
  await fd.close();
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (head[0] === 0x1f && head[1] === 0x8b) return raw.pipe(zlib.createGunzip());
  return raw;
}

/**
 * Streams the events of one file: NDJSON (one record, `{"records": [...]}` or array per line),
 * gzip-compressed or not; a file holding one JSON document (array or pretty-printed object) is read whole.
 */
export async function* readFileEvents(file: string, stats: ReadStats): AsyncGenerator<DetectionEvent> {
  const stream = await openText(file);
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let first = true;
  let whole: string[] | undefined;
  for await (const line of rl) {
    lineNo++;
    if (whole) {
      whole.push(line);
      continue;
    }
    const text = line.trim();
    if (!text) continue;
    if (first) {
      first = false;
      // a multi-line JSON document starts with a line that is not JSON on its own
      if ((text === '[' || text === '{' || (text.startsWith('[') && !text.endsWith(']')) || (text.startsWith('{') && !isJson(text)))) {
        whole = [line];
        continue;
      }
    }
    stats.lines++;
    const r = parseLine(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    for (const e of r.errors) noteError(stats, { file, line: lineNo, error: e });
    for (const ev of r.events) {
      stats.events++;
      stats.bySource[ev.source] = (stats.bySource[ev.source] ?? 0) + 1;
      yield ev;
    }
  }
  if (whole) {
    stats.lines++;
    const r = parseLine(whole.join('\n'));
    for (const e of r.errors) noteError(stats, { file, line: 1, error: e });
    for (const ev of r.events) {
      stats.events++;
      stats.bySource[ev.source] = (stats.bySource[ev.source] ?? 0) + 1;
      yield ev;
    }
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Binary min-heap on event time. */
class TimeHeap {
  private readonly a: DetectionEvent[] = [];
  get size() {
    return this.a.length;
  }
  push(e: DetectionEvent) {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].time <= a[i].time) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): DetectionEvent | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].time < a[m].time) m = l;
        if (r < a.length && a[r].time < a[m].time) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
  peek(): DetectionEvent | undefined {
    return this.a[0];
  }
}

/** Re-orders a mostly-ordered stream with a bounded buffer. */
export async function* reorder(src: AsyncIterable<DetectionEvent>, buffer: number): AsyncGenerator<DetectionEvent> {
  const heap = new TimeHeap();
  for await (const e of src) {
    heap.push(e);
    if (heap.size > buffer) yield heap.pop()!;
  }
  while (heap.size) yield heap.pop()!;
}

/** Merges several time-ordered streams into one (k-way merge by event time). */
export async function* mergeByTime(streams: AsyncIterable<DetectionEvent>[]): AsyncGenerator<DetectionEvent> {
  const its = streams.map(s => s[Symbol.asyncIterator]());
  const heads: (DetectionEvent | undefined)[] = await Promise.all(its.map(async it => (await it.next()).value ?? undefined));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && (best < 0 || h.time < heads[best]!.time)) best = i;
    }
    if (best < 0) return;
    yield heads[best]!;
    const n = await its[best].next();
    heads[best] = n.done ? undefined : n.value;
  }
}
