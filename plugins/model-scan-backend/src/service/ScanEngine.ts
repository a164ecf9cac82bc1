import { Worker } from 'node:worker_threads';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { FileScanResult } from '@internal/plugin-model-scan-common';

/** Which scanner produced a result: results are cached per (sha256, scannerVersion, rulesetVersion). */
export interface EngineIdentity {
  scannerName: string;
  scannerVersion: string;
  rulesetVersion: string;
}

export interface EngineScanOptions {
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /**
   * Names of sibling model files that name this file as their raw tensor data (engine
   * `referencedBy`): the file is then read as `tensor-data` instead of UNKNOWN_FORMAT.
   */
  referencedBy?: string[];
  /**
   * Where the file came from (`upload`, `remote` download, `local` path): runners may isolate
   * files of untrusted origins (modelScan.runner.kubernetes.alwaysFor).
   */
  origin?: 'upload' | 'remote' | 'local';
}

/** Scans one file; never throws for a bad file (that is a verdict), only for engine failures. */
export interface ScanEngine {
  identity(): Promise<EngineIdentity>;
  scanFile(
    path: string,
    options?: EngineScanOptions,
  ): Promise<FileScanResult & { references?: string[] }>;
}

export interface WorkerScanEngineOptions {
  /**
   * Time limit of one file scan; the worker is terminated on overrun. The engine itself is
   * given a slightly shorter limit (`engineTimeLimitMs`), so a slow scan normally ends with
   * a SCAN_TIME_LIMIT finding and keeps what it found; termination is the backstop.
   */
  timeoutMs: number;
  /** Old-generation heap limit of each worker thread. */
  maxOldGenerationSizeMb: number;
  clamd?: { socket?: string; host?: string; port?: number };
  /** The worker script; defaults to this package's `worker/scanWorker.js`. */
  workerEntry?: string;
}

/**
 * The engine's own time limit inside a worker whose hard limit is `timeoutMs`: 10% below it
 * (at least 1 s, at most 60 s of margin for reporting the result), never less than half.
 */
export function engineTimeLimitMs(timeoutMs: number): number {
  const margin = Math.min(60_000, Math.max(1_000, Math.round(timeoutMs * 0.1)));
  return Math.max(Math.round(timeoutMs / 2), timeoutMs - margin);
}

const defaultWorkerEntry = resolvePackagePath(
  '@internal/plugin-model-scan-backend',
  'worker/scanWorker.js',
);

type WorkerMessage =
  | {
      type: 'identity';
      scannerName: string;
      scannerVersion: string;
      rulesetVersion: string;
    }
  | { type: 'progress'; bytesDone: number; bytesTotal: number }
  | { type: 'result'; result: FileScanResult }
  | { type: 'error'; message: string };

/**
 * Runs the engine (`@internal/model-scanner`) in a fresh worker thread per file, with a heap
 * limit and a time limit. A file that makes the engine overrun either limit gets the verdict
 * `error` with the reason, and the backend stays up.
 */
export class WorkerScanEngine implements ScanEngine {
  private identityPromise?: Promise<EngineIdentity>;

  constructor(private readonly options: WorkerScanEngineOptions) {}

  identity(): Promise<EngineIdentity> {
    if (!this.identityPromise) {
      this.identityPromise = this.run({ mode: 'identity' }).then(message => {
        if (message.type !== 'identity') {
          throw new Error('scan worker did not report the engine identity');
        }
        return {
          scannerName: message.scannerName,
          scannerVersion: message.scannerVersion,
          rulesetVersion: message.rulesetVersion,
        };
      });
      this.identityPromise.catch(() => {
        this.identityPromise = undefined;
      });
    }
    return this.identityPromise;
  }

  async scanFile(
    path: string,
    options?: EngineScanOptions,
  ): Promise<FileScanResult> {
    const started = Date.now();
    const failed = (reason: string): FileScanResult => ({
      path,
      sha256: '',
      size: 0,
      format: 'unknown',
      verdict: 'error',
      severity: 'none',
      findings: [],
      errors: [reason],
      durationMs: Date.now() - started,
    });
    try {
      const message = await this.run(
        {
          mode: 'scan',
          path,
          // the worker turns this into ScanOptions.timeLimitMs when the engine starts, so the
          // worker's start-up counts against the limit as it does against timeoutMs
          timeLimitAt: Date.now() + engineTimeLimitMs(this.options.timeoutMs),
          options: {
            hash: false,
            ...(this.options.clamd ? { clamd: this.options.clamd } : {}),
            ...(options?.referencedBy?.length
              ? { referencedBy: options.referencedBy }
              : {}),
          },
        },
        options?.onProgress,
      );
      if (message.type !== 'result') {
        return failed('scan worker returned no result');
      }
      return message.result;
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    }
  }

  private run(
    data: Record<string, unknown>,
    onProgress?: (bytesDone: number, bytesTotal: number) => void,
  ): Promise<WorkerMessage> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(
        this.options.workerEntry ?? defaultWorkerEntry,
        {
          workerData: data,
          resourceLimits: {
            maxOldGenerationSizeMb: this.options.maxOldGenerationSizeMb,
          },
          stdout: false,
          stderr: false,
        },
      );
      let settled = false;
      let timer: NodeJS.Timeout | undefined = undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
        worker.terminate().catch(() => {});
      };
      timer = setTimeout(() => {
        finish(() =>
          reject(
            new Error(
              `scan timed out after ${Math.round(
                this.options.timeoutMs / 1000,
              )} s; the worker was terminated`,
            ),
          ),
        );
      }, this.options.timeoutMs);
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'progress') {
          onProgress?.(message.bytesDone, message.bytesTotal);
        } else if (message.type === 'error') {
          finish(() =>
            reject(
              new Error(
                `scan engine failed: ${message.message.split('\n')[0]}`,
              ),
            ),
          );
        } else {
          finish(() => resolve(message));
        }
      });
      worker.on('error', (error: Error & { code?: string }) => {
        finish(() =>
          reject(
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? new Error(
                  `scan ran out of memory (worker heap limit ${this.options.maxOldGenerationSizeMb} MB)`,
                )
              : error,
          ),
        );
      });
      worker.on('exit', code => {
        finish(() =>
          reject(
            new Error(
              `scan worker exited with code ${code} before reporting a result`,
            ),
          ),
        );
      });
    });
  }
}
