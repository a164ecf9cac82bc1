import { Worker } from 'node:worker_threads';
import { resolvePackagePath, type LoggerService } from '@backstage/backend-plugin-api';
import { parseLine, type DetectionEvent, type SourceId } from '@internal/detection-rules';
import type { IngestLineError } from '@internal/plugin-detections-common';

/** One batch parsed: events with the text each is stored as, line errors (first 1,000) and their count. */
export interface ParsedBatch {
  events: Array<{ ev: DetectionEvent; raw: string }>;
  rejected: IngestLineError[];
  rejectedCount: number;
}

/** A batch over the line limit: nothing of it is parsed. */
export type ParseOutcome = ParsedBatch | { tooMany: number };

export interface BatchParseOptions {
  maxLines: number;
  /** Sources normalised with their Sigma view. */
  views: ReadonlySet<SourceId>;
  /** Sources whose events keep the parsed record (`ev.raw`, read by Sigma keyword searches). */
  keepRaw: ReadonlySet<SourceId>;
}

type ParseBatch = (text: string, parse: typeof parseLine, o: BatchParseOptions) => ParseOutcome;

const workerDir = resolvePackagePath('@internal/plugin-detections-backend', 'worker');
// the same plain-JS function the worker runs (one implementation for both threads)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseBatch } = require(`${workerDir}/parseBatch.js`) as { parseBatch: ParseBatch };

/** Parses in the calling thread. */
export function parseInThread(text: string, o: BatchParseOptions): ParseOutcome {
  return parseBatch(text, parseLine, o);
}

type WorkerAnswer =
  | { ready: true }
  | { id: number; tooMany: number }
  | { id: number; events: string; raws: string[]; rejected: IngestLineError[]; rejectedCount: number }
  | { id: number; error: string };

/**
 * Parses batches on one worker thread (worker/ingestParseWorker.js), so a batch's parsing and
 * normalising overlaps the store and the rules of the batch before it. The thread starts with the
 * first batch; if it ends, the next batch starts a new one; a thread that fails before it is ready
 * leaves parsing in the
 * calling thread (logged once). Batches the thread had when it failed are parsed in the calling
 * thread (the same function: the same result).
 */
export class WorkerBatchParser {
  private worker?: Worker;
  private ready = false;
  private inThread = false;
  private nextId = 1;
  private readonly pending = new Map<number, { text: string; o: BatchParseOptions; resolve: (r: ParseOutcome) => void; reject: (e: Error) => void }>();

  constructor(private readonly logger: LoggerService, private readonly entry = `${workerDir}/ingestParseWorker.js`) {}

  parse(text: string, o: BatchParseOptions): Promise<ParseOutcome> {
    if (this.inThread) return Promise.resolve().then(() => parseInThread(text, o));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<ParseOutcome>((resolve, reject) => {
      this.pending.set(id, { text, o, resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, text, maxLines: o.maxLines, views: [...o.views], keepRaw: [...o.keepRaw] });
    });
  }

  /** Ends the thread (batches in flight fail). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.entry);
    this.worker = worker;
    this.ready = false;
    worker.on('message', (m: WorkerAnswer) => {
      if ('ready' in m) {
        this.ready = true;
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (!this.pending.size) worker.unref();
      if ('error' in m) p.reject(new Error(`ingest parse worker: ${m.error}`));
      else if ('tooMany' in m) p.resolve({ tooMany: m.tooMany });
      else {
        const evs = JSON.parse(m.events) as DetectionEvent[];
        p.resolve({ events: evs.map((ev, i) => ({ ev, raw: m.raws[i] })), rejected: m.rejected, rejectedCount: m.rejectedCount });
      }
    });
    const fail = (e: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.ready) {
        this.inThread = true;
        this.logger.warn(`detections: ingest parse worker did not start (${e.message}); parsing in the main thread`);
      } else {
        this.logger.error(`detections: ingest parse worker ended: ${e.message}`);
      }
      const failed = [...this.pending.values()];
      this.pending.clear();
      for (const p of failed) {
        try {
          p.resolve(parseInThread(p.text, p.o));
        } catch (err) {
          p.reject(err as Error);
        }
      }
    };
    worker.on('error', fail);
    worker.on('exit', code => fail(new Error(`exited with code ${code}`)));
    worker.unref();
    return worker;
  }
}
