import * as fs from 'node:fs';
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

/** Turns the lines of one file into events, synchronously (shared by the chunked reader). */
class LineSink {
  lineNo = 0;
  private first = true;
  private whole: string[] | undefined;
  batch: DetectionEvent[] = [];
  constructor(
    private readonly file: string,
    private readonly stats: ReadStats,
  ) {}

  line(line: string) {
    this.lineNo++;
    if (this.whole) {
      this.whole.push(line);
      return;
    }
    const text = line.trim();
    if (!text) return;
    if (this.first) {
      this.first = false;
      // a multi-line JSON document starts with a line that is not JSON on its own
      if (text === '[' || text === '{' || (text.startsWith('[') && !text.endsWith(']')) || (text.startsWith('{') && !isJson(text))) {
        this.whole = [line];
        return;
      }
    }
    this.add(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, this.lineNo);
  }

  end() {
    if (this.whole) this.add(this.whole.join('\n'), 1);
  }

  private add(text: string, lineNo: number) {
    const stats = this.stats;
    stats.lines++;
    const r = parseLine(text);
    for (const e of r.errors) noteError(stats, { file: this.file, line: lineNo, error: e });
    for (const ev of r.events) {
      stats.events++;
      stats.bySource[ev.source] = (stats.bySource[ev.source] ?? 0) + 1;
      this.batch.push(ev);
    }
  }

  take(): DetectionEvent[] {
    const b = this.batch;
    this.batch = [];
    return b;
  }
}

/**
 * Streams the events of one file in batches (one per chunk read): NDJSON (one record,
 * `{"records": [...]}` or array per line), gzip-compressed or not; a file holding one JSON document
 * (array or pretty-printed object) is read whole. Lines end at LF, CRLF or CR, as with readline.
 * Batching keeps the per-event cost free of promises and async-iterator steps.
 */
export async function* readFileEventBatches(file: string, stats: ReadStats): AsyncGenerator<DetectionEvent[]> {
  const stream = await openText(file);
  stream.setEncoding('utf8');
  const sink = new LineSink(file, stats);
  let rest = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const buf = rest ? rest + chunk : chunk;
    // a CR at the very end may be the first half of a CRLF: keep it for the next chunk
    const end = buf.charCodeAt(buf.length - 1) === 13 ? buf.length - 1 : buf.length;
    let start = 0;
    if (buf.indexOf('\r') < 0) {
      for (let i = buf.indexOf('\n'); i >= 0 && i < end; i = buf.indexOf('\n', start)) {
        sink.line(buf.slice(start, i));
        start = i + 1;
      }
    } else {
      for (let i = start; i < end; i++) {
        const c = buf.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        sink.line(buf.slice(start, i));
        if (c === 13 && buf.charCodeAt(i + 1) === 10) i++;
        start = i + 1;
      }
    }
    rest = buf.slice(start);
    if (sink.batch.length) yield sink.take();
  }
  if (rest.charCodeAt(rest.length - 1) === 13) rest = rest.slice(0, -1);
  if (rest) sink.line(rest);
  sink.end();
  if (sink.batch.length) yield sink.take();
}

/** The events of one file one by one (see readFileEventBatches). */
export async function* readFileEvents(file: string, stats: ReadStats): AsyncGenerator<DetectionEvent> {
  for await (const batch of readFileEventBatches(file, stats)) yield* batch;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Binary min-heap on event time (sift with a hole: no swaps, the moving element's time read once). */
class TimeHeap {
  private readonly a: DetectionEvent[] = [];
  get size() {
    return this.a.length;
  }
  push(e: DetectionEvent) {
    const a = this.a;
    const t = e.time;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p];
      if (parent.time <= t) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }
  pop(): DetectionEvent | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n) {
      const t = last.time;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let m = l;
        let mt = a[l].time;
        if (r < n && a[r].time < mt) {
          m = r;
          mt = a[r].time;
        }
        if (!(mt < t)) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
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

/** Re-orders a mostly-ordered stream of batches with a bounded buffer (same order as reorder). */
export async function* reorderBatches(src: AsyncIterable<DetectionEvent[]>, buffer: number): AsyncGenerator<DetectionEvent[]> {
  const heap = new TimeHeap();
  for await (const batch of src) {
    const out: DetectionEvent[] = [];
    for (const e of batch) {
      heap.push(e);
      if (heap.size > buffer) out.push(heap.pop()!);
    }
    if (out.length) yield out;
  }
  const out: DetectionEvent[] = [];
  while (heap.size) out.push(heap.pop()!);
  if (out.length) yield out;
}

/**
 * Merges several time-ordered streams of batches into one sequence of events (k-way merge by event
 * time, ties to the earlier stream, as mergeByTime), calling `each` synchronously per event.
 */
export async function mergeBatchesByTime(streams: AsyncIterable<DetectionEvent[]>[], each: (e: DetectionEvent) => void): Promise<void> {
  const its = streams.map(s => s[Symbol.asyncIterator]());
  const next = async (i: number): Promise<DetectionEvent[] | undefined> => {
    for (;;) {
      const n = await its[i].next();
      if (n.done) return undefined;
      if (n.value.length) return n.value;
    }
  };
  const bufs = await Promise.all(its.map((_, i) => next(i)));
  const pos = bufs.map(() => 0);
  if (bufs.length === 1) {
    for (let b = bufs[0]; b; b = await next(0)) for (const e of b) each(e);
    return;
  }
  for (;;) {
    let best = -1;
    let bestTime = 0;
    for (let i = 0; i < bufs.length; i++) {
      const b = bufs[i];
      if (!b) continue;
      const t = b[pos[i]].time;
      if (best < 0 || t < bestTime) {
        best = i;
        bestTime = t;
      }
    }
    if (best < 0) return;
    each(bufs[best]![pos[best]]);
    if (++pos[best] === bufs[best]!.length) {
      bufs[best] = await next(best);
      pos[best] = 0;
    }
  }
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
