import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ScanStore } from '../store/ScanStore';
import { Clock, ScanService } from './ScanService';

export interface ScanQueueOptions {
  store: ScanStore;
  service: ScanService;
  logger: LoggerService;
  clock: Clock;
  /** Jobs this replica runs at once. */
  concurrency: number;
  /** Lease of a claimed job; renewed while it runs. A crashed replica's job is claimed again after it. */
  leaseMs: number;
  /** A job claimed this many times (its replica kept dying) is failed instead of retried. */
  maxAttempts?: number;
}

/**
 * Runs queued scans on this replica. Every replica polls (Backstage scheduler, scope local) and
 * claims jobs with a conditional UPDATE in the shared database, so several replicas share the
 * work and a job whose replica died is taken over once its lease expires.
 */
export class ScanQueue {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<
    string,
    { promise: Promise<void>; abort: AbortController }
  >();
  private draining?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: ScanQueueOptions) {}

  /** Claims jobs until this replica's slots are full; the jobs run in the background. */
  drain(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.draining) {
      this.draining = this.fillSlots().finally(() => {
        this.draining = undefined;
      });
    }
    return this.draining;
  }

  /** Resolves when no job is running on this replica (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.draining) {
      await Promise.all([
        this.draining,
        ...[...this.running.values()].map(r => r.promise),
      ]);
    }
  }

  /** Stops claiming and aborts running jobs (their leases expire and another replica takes them). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.running.values()) job.abort.abort();
    await Promise.allSettled([...this.running.values()].map(r => r.promise));
  }

  private async fillSlots(): Promise<void> {
    const { store, clock, logger, concurrency, leaseMs } = this.options;
    while (!this.stopped && this.running.size < concurrency) {
      const job = await store.claimNextJob(this.owner, clock.now(), leaseMs);
      if (!job) return;
      if (job.attempts > (this.options.maxAttempts ?? 3)) {
        await store.failScan(
          job.id,
          `abandoned after ${
            job.attempts - 1
          } attempts (the scanning replica stopped each time)`,
          clock.now(),
          this.owner,
        );
        continue;
      }
      logger.info(`Scan ${job.id} claimed by ${this.owner}`, {
        target: job.target,
      });
      const abort = new AbortController();
      const promise = this.runClaimed(job.id, abort, async onProgress =>
        this.options.service.runJob(job, {
          owner: this.owner,
          signal: abort.signal,
          onProgress,
        }),
      ).finally(() => {
        this.running.delete(job.id);
        // a slot is free: look for more work without waiting for the next poll
        if (!this.stopped) this.drain().catch(() => {});
      });
      this.running.set(job.id, { promise, abort });
    }
  }

  /** Writes progress at most once a second and renews the lease; aborts when the lease is lost. */
  private async runClaimed(
    id: string,
    abort: AbortController,
    run: (
      onProgress: (p: {
        filesDone: number;
        filesTotal: number;
        bytesDone: number;
        bytesTotal: number;
      }) => void,
    ) => Promise<void>,
  ): Promise<void> {
    const { store, clock, logger, leaseMs } = this.options;
    let latest = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
    let dirty = false;
    let writing = false;
    const flush = async () => {
      if (writing) return;
      writing = true;
      try {
        dirty = false;
        const kept = await store.updateProgress(
          id,
          this.owner,
          latest,
          new Date(clock.now().getTime() + leaseMs),
        );
        if (!kept && !abort.signal.aborted) {
          logger.warn(`Scan ${id}: lease lost, aborting`);
          abort.abort();
        }
      } catch (error) {
        logger.warn(`Scan ${id}: progress update failed: ${error}`);
      } finally {
        writing = false;
      }
    };
    const heartbeat = setInterval(() => {
      flush();
    }, Math.max(250, Math.min(1000, leaseMs / 3)));
    try {
      await run(progress => {
        latest = progress;
        dirty = true;
      });
    } catch (error) {
      logger.error(`Scan ${id} crashed: ${error}`);
    } finally {
      clearInterval(heartbeat);
      if (dirty) {
        // the job already finished; the final row is written by completeScan / failScan
        dirty = false;
      }
    }
  }
}
