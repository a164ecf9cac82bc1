import { promises as fs } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { PolicyException } from '@internal/plugin-policy-exceptions-common';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  Acceptance,
  GateDecision,
  Scan,
  ScanFileResult,
  ScanTrigger,
  Stats,
  Verdict,
  reviewRequestRefusal,
} from '@internal/plugin-model-scan-common';
import { RecordedFile, ScanJob, ScanStore } from '../store/ScanStore';
import { EngineScanOptions, ScanEngine } from './ScanEngine';
import { LocalUploadStore, UploadStore } from './uploadStore';
import { VerdictExceptions } from './exceptionLink';
import { listLocalFiles, sha256File } from './files';
import { summarizeFiles } from '../domain/verdicts';
import { decideGate } from '../domain/gate';
import { AcceptanceFacts, isFileAllowed } from '../domain/fileAllowance';
import { checkAcceptanceRequest } from '../domain/acceptanceRules';
import { classifyTarget, parseUploadTarget } from '../domain/targets';
import { needsTensorDataRescan, referrersByFile } from '../domain/tensorData';

/** The clock: time is an input. */
export interface Clock {
  now(): Date;
}

/** Reads remote targets (https, hf://, Azure blob, mlflow://, databricks://) into local files. */
export interface RemoteSourceResolver {
  resolve(
    target: string,
    signal?: AbortSignal,
  ): Promise<{
    files: Array<{ name: string; path: string }>;
    cleanup(): Promise<void>;
  }>;
  /**
   * Checks a target's notation and the SSRF rules without fetching anything (throws). Called
   * by `enqueue`, so a malformed or refused target is a 400 at once, not a failed scan later.
   */
  validate?(target: string): void | Promise<void>;
}

/** Used when no remote source resolver is installed. */
export const unconfiguredRemoteSources: RemoteSourceResolver = {
  async resolve(target: string) {
    throw new Error(`source type not configured for target ${target}`);
  },
};

export interface EnqueueRequest {
  target: string;
  trigger: ScanTrigger;
  requestedBy: string;
  entityRef?: string;
  /** A file already on this host (an upload): scanned instead of reading the target. */
  uploadedFile?: { name: string; path: string };
}

export interface ScanServiceOptions {
  store: ScanStore;
  engine: ScanEngine;
  logger: LoggerService;
  clock: Clock;
  workDir: string;
  allowLocalPaths: boolean;
  acceptanceMaxDays: number;
  remoteSources?: RemoteSourceResolver;
  /**
   * Acceptances as exceptions (policy-exceptions, issue 9): the gate and the display ask it, and
   * an acceptance files an exception request. The plugin always wires it; without it (unit tests
   * of this service alone) the acceptances of this plugin's own table are used.
   */
  exceptions?: VerdictExceptions;
  /**
   * Where uploads are stored (shared blob storage in production, so any replica can scan an upload
   * another received). Default: the local folder `<workDir>/uploads`.
   */
  uploads?: UploadStore;
  /** Told when a requester asks for a review (the plugin wires the notifications service). */
  reviewNotifier?: {
    reviewRequested(scan: Scan, request: { requestedBy: string; note: string }): Promise<void>;
  };
}

/** Progress callback of one job. */
export type JobProgress = (progress: {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}) => void;

/**
 * The model-scan service: queues scans, runs claimed jobs, answers the gate and records
 * acceptances. Routers (this plugin's and the triggers') call it; it calls the store and the
 * domain rules.
 */
export class ScanService {
  private readonly listeners: Array<(scan: Scan) => Promise<void> | void> = [];
  private readonly enqueueListeners: Array<() => void> = [];
  private remoteSources: RemoteSourceResolver;

  constructor(private readonly options: ScanServiceOptions) {
    this.remoteSources = options.remoteSources ?? unconfiguredRemoteSources;
  }

  /** Installs the resolver for remote targets. */
  setRemoteSources(resolver: RemoteSourceResolver) {
    this.remoteSources = resolver;
  }

  /** Called after each scan completes or fails. */
  onScanCompleted(listener: (scan: Scan) => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  /** Called after each enqueue (the queue uses it to start at once instead of at the next poll). */
  onEnqueued(listener: () => void): void {
    this.enqueueListeners.push(listener);
  }

  get uploadsDir(): string {
    return join(this.options.workDir, 'uploads');
  }

  /** Queues a scan. Throws InputError for targets this backend may not read. */
  async enqueue(req: EnqueueRequest): Promise<Scan> {
    if (!req.uploadedFile) {
      await this.checkTargetAllowed(req.target);
    }
    const scan = await this.options.store.insertScan(
      {
        target: req.target,
        trigger: req.trigger,
        requestedBy: req.requestedBy,
        // one spelling for entity refs (case-insensitive in the catalog)
        entityRef: req.entityRef?.toLowerCase(),
        uploadPath: req.uploadedFile?.path,
        uploadName: req.uploadedFile?.name,
      },
      this.options.clock.now(),
    );
    for (const listener of this.enqueueListeners) listener();
    return scan;
  }

  /** A new scan of the same target as an earlier one. */
  async rescan(id: string, requestedBy: string): Promise<Scan> {
    const previous = await this.options.store.getScan(id, { withFiles: false });
    if (!previous) throw new NotFoundError(`No scan with id ${id}`);
    return this.enqueue({
      target: previous.target,
      trigger: 'manual',
      requestedBy,
      entityRef: previous.entityRef,
    });
  }

  /**
   * "Please review this scan": only its requester, once, and only for a completed suspicious or
   * malicious scan (`reviewRequestRefusal`: 403 / 409). Records the note, then tells the reviewers.
   */
  async requestReview(id: string, requestedBy: string, note: string): Promise<Scan> {
    const scan = await this.options.store.getScan(id, { withFiles: false });
    if (!scan) throw new NotFoundError(`No scan with id ${id}`);
    const refusal = reviewRequestRefusal(scan, requestedBy);
    if (refusal) {
      throw refusal.status === 403 ? new NotAllowedError(refusal.reason) : new ConflictError(refusal.reason);
    }
    const request = { requestedBy, note };
    if (!(await this.options.store.recordReviewRequest(id, request, this.options.clock.now()))) {
      throw new ConflictError('A review of this scan has already been requested');
    }
    const updated = (await this.getScan(id))!;
    await this.options.reviewNotifier?.reviewRequested(updated, request);
    return updated;
  }

  /** A scan with its files; each file carries `acceptedUntil` when a valid acceptance lets it through. */
  async getScan(id: string): Promise<Scan | undefined> {
    const scan = await this.options.store.getScan(id);
    if (!scan?.files?.length) return scan;
    const now = this.options.clock.now();
    const facts = await this.acceptanceFacts(
      scan.files.filter(f => f.verdict === 'suspicious').map(f => f.sha256),
      now,
    );
    for (const file of scan.files) {
      if (file.verdict !== 'suspicious') continue;
      const allowance = isFileAllowed(
        {
          sha256: file.sha256,
          verdict: file.verdict,
          scannerVersion: file.scannerVersion ?? '',
          rulesetVersion: file.rulesetVersion ?? '',
        },
        facts,
        now,
        {
          scannerVersion: file.scannerVersion ?? '',
          rulesetVersion: file.rulesetVersion ?? '',
        },
      );
      if (allowance.acceptedUntil) {
        file.acceptedUntil = allowance.acceptedUntil.toISOString();
      }
    }
    return scan;
  }

  listScans(query: {
    limit: number;
    offset: number;
    verdict?: Verdict;
    entityRef?: string;
    target?: string;
  }) {
    return this.options.store.listScans(query);
  }

  async getStats(days: number): Promise<Stats> {
    const now = this.options.clock.now();
    const since = new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
    return this.options.store.getStats(since);
  }

  listAcceptances(): Promise<Acceptance[]> {
    return this.options.store.listAcceptances();
  }

  /** The current scanner's verdict of one exact file, or undefined when it has not scanned it. */
  async currentVerdictOf(sha256: string): Promise<Verdict | undefined> {
    const identity = await this.options.engine.identity();
    const current = await this.options.store.getCachedResult({
      sha256,
      scannerVersion: identity.scannerVersion,
      rulesetVersion: identity.rulesetVersion,
    });
    return current?.verdict;
  }

  /** Valid acceptances of these hashes at `now`: approved exceptions when linked, else the local table. */
  private async acceptanceFacts(
    sha256s: string[],
    now: Date,
  ): Promise<AcceptanceFacts[]> {
    const unique = [...new Set(sha256s.filter(Boolean))];
    if (unique.length === 0) return [];
    if (this.options.exceptions)
      return this.options.exceptions.acceptanceFacts(unique, now);
    const acceptances = await this.options.store.listAcceptances({
      sha256s: unique,
    });
    return acceptances.map(toAcceptanceFacts);
  }

  /** Records a security reviewer's acceptance of a suspicious verdict (permission checked by the caller). */
  async acceptVerdict(input: {
    sha256: string;
    justification: string;
    expiresAt: string;
    acceptedBy: string;
    /** The reviewer's credentials: with the exceptions link, the request is filed on their behalf. */
    credentials?: BackstageCredentials;
  }): Promise<{ acceptance?: Acceptance; exception?: PolicyException }> {
    const now = this.options.clock.now();
    const identity = await this.options.engine.identity();
    const current = await this.options.store.getCachedResult({
      sha256: input.sha256,
      scannerVersion: identity.scannerVersion,
      rulesetVersion: identity.rulesetVersion,
    });
    checkAcceptanceRequest({
      sha256: input.sha256,
      currentVerdict: current?.verdict,
      expiresAt: new Date(input.expiresAt),
      now,
      maxDays: this.options.acceptanceMaxDays,
    });
    if (this.options.exceptions) {
      if (!input.credentials)
        throw new Error(
          "acceptVerdict needs the caller's credentials to file an exception",
        );
      const exception = await this.options.exceptions.requestException(
        {
          sha256: input.sha256,
          justification: input.justification,
          expiresAt: new Date(input.expiresAt).toISOString(),
        },
        input.credentials,
      );
      return { exception };
    }
    const acceptance = await this.options.store.insertAcceptance(
      {
        sha256: input.sha256,
        justification: input.justification,
        acceptedBy: input.acceptedBy,
        expiresAt: new Date(input.expiresAt).toISOString(),
        scannerVersion: identity.scannerVersion,
        rulesetVersion: identity.rulesetVersion,
      },
      now,
    );
    return { acceptance };
  }

  /** The promotion gate for one exact target. */
  async evaluateGate(target: string, now: Date): Promise<GateDecision> {
    const identity = await this.options.engine.identity();
    const scan = await this.options.store.getLatestCompletedScan(target);
    const files = scan?.files ?? [];
    const acceptances = await this.acceptanceFacts(
      files.filter(f => f.verdict === 'suspicious').map(f => f.sha256),
      now,
    );
    return decideGate({
      target,
      scan: scan
        ? {
            scanId: scan.id,
            status: scan.status,
            files: files.map(f => ({
              path: f.path,
              sha256: f.sha256,
              verdict: f.verdict,
              scannerVersion: f.scannerVersion ?? '',
              rulesetVersion: f.rulesetVersion ?? '',
            })),
          }
        : undefined,
      acceptances,
      now,
      current: {
        scannerVersion: identity.scannerVersion,
        rulesetVersion: identity.rulesetVersion,
      },
    });
  }

  /**
   * Scans one file on this host now (scan on download), reusing the cached result of the same
   * bytes. Records a completed scan of `target` with that single file.
   */
  async scanLocalFile(input: {
    path: string;
    name: string;
    target: string;
    trigger: 'download';
    requestedBy: string;
  }): Promise<{ scan: Scan; file: ScanFileResult }> {
    const queued = await this.options.store.insertScan(
      {
        target: input.target,
        trigger: input.trigger,
        requestedBy: input.requestedBy,
      },
      this.options.clock.now(),
    );
    try {
      const identity = await this.options.engine.identity();
      const recorded = await this.scanOne(
        { name: input.name, path: input.path },
        identity,
        undefined,
        'remote',
      );
      const summary = summarizeFiles([recorded.result]);
      await this.options.store.completeScan({
        id: queued.id,
        files: [recorded],
        ...summary,
        scannerVersion: identity.scannerVersion,
        rulesetVersion: identity.rulesetVersion,
        now: this.options.clock.now(),
      });
    } catch (error) {
      await this.options.store.failScan(
        queued.id,
        errorMessage(error),
        this.options.clock.now(),
      );
      await this.notify(queued.id);
      throw error;
    }
    const scan = (await this.getScan(queued.id))!;
    await this.notify(queued.id, scan);
    return { scan, file: scan.files![0] };
  }

  /**
   * Runs one claimed job: reads the target's files, scans each (or reuses its cached result),
   * and records the outcome. Used by the ScanQueue.
   */
  async runJob(
    job: ScanJob,
    context: { owner: string; signal: AbortSignal; onProgress: JobProgress },
  ): Promise<void> {
    const { store, clock, logger } = this.options;
    let cleanup: (() => Promise<void>) | undefined;
    try {
      const identity = await this.options.engine.identity();
      const resolved = await this.resolveFiles(job, context.signal);
      cleanup = resolved.cleanup;
      const sizes = await Promise.all(
        resolved.files.map(async f => (await fs.stat(f.path)).size),
      );
      const bytesTotal = sizes.reduce((a, b) => a + b, 0);
      const progress = {
        filesDone: 0,
        filesTotal: resolved.files.length,
        bytesDone: 0,
        bytesTotal,
      };
      context.onProgress({ ...progress });
      const recorded: RecordedFile[] = [];
      for (let i = 0; i < resolved.files.length; i++) {
        if (context.signal.aborted) throw new Error('scan aborted');
        const before = progress.bytesDone;
        const file = await this.scanOne(
          resolved.files[i],
          identity,
          done => {
            progress.bytesDone = before + done;
            context.onProgress({ ...progress });
          },
          classifyTarget(job.target),
        );
        recorded.push(file);
        progress.filesDone += 1;
        progress.bytesDone = before + sizes[i];
        context.onProgress({ ...progress });
      }
      if (resolved.files.length > 1) {
        await this.rescanReferencedTensorData(
          resolved.files,
          recorded,
          identity,
          context.signal,
        );
      }
      const summary = summarizeFiles(recorded.map(r => r.result));
      const stored = await store.completeScan({
        id: job.id,
        owner: context.owner,
        files: recorded,
        ...summary,
        scannerVersion: identity.scannerVersion,
        rulesetVersion: identity.rulesetVersion,
        now: clock.now(),
      });
      if (!stored) {
        logger.warn(`Scan ${job.id} lost its lease; result discarded`);
        return;
      }
    } catch (error) {
      logger.warn(`Scan ${job.id} failed: ${errorMessage(error)}`);
      const stored = await store.failScan(
        job.id,
        errorMessage(error),
        clock.now(),
        context.owner,
      );
      if (!stored) return;
    } finally {
      await cleanup?.().catch(e =>
        logger.warn(`Cleanup after scan ${job.id} failed: ${errorMessage(e)}`),
      );
    }
    await this.notify(job.id);
  }

  /**
   * Cross-file pass of a multi-file target: a file that a sibling model names as raw tensor data
   * (ONNX external data, checkpoint shards, OpenVINO .bin) and that alone reads as
   * UNKNOWN_FORMAT is rescanned (in a worker, same limits) with the engine's `referencedBy`
   * hint. The hinted result replaces the standalone one for this scan only; it is recorded with
   * context 'tensor-data' and never enters the per-sha256 result cache.
   */
  private async rescanReferencedTensorData(
    files: Array<{ name: string; path: string }>,
    recorded: RecordedFile[],
    identity: { scannerVersion: string; rulesetVersion: string },
    signal: AbortSignal,
  ): Promise<void> {
    const referrers = referrersByFile(
      files.map((f, i) => ({ name: f.name, result: recorded[i].result })),
    );
    for (const [i, referencedBy] of referrers) {
      const first = recorded[i];
      if (first.transientError || !needsTensorDataRescan(first.result)) {
        continue;
      }
      if (signal.aborted) throw new Error('scan aborted');
      const hinted = await this.options.engine.scanFile(files[i].path, {
        referencedBy,
      });
      if (hinted.verdict === 'error') {
        this.options.logger.warn(
          `Tensor-data rescan of ${
            files[i].name
          } failed; keeping its standalone verdict: ${hinted.errors.join(
            '; ',
          )}`,
        );
        continue;
      }
      recorded[i] = {
        result: {
          ...hinted,
          path: first.result.path,
          sha256: first.result.sha256,
          size: first.result.size,
          findings: hinted.findings ?? [],
          errors: hinted.errors ?? [],
        },
        scannerVersion: identity.scannerVersion,
        rulesetVersion: identity.rulesetVersion,
        cached: false,
        context: 'tensor-data',
      };
    }
  }

  private async scanOne(
    file: { name: string; path: string },
    identity: { scannerVersion: string; rulesetVersion: string },
    onBytes?: (bytesDone: number) => void,
    origin?: EngineScanOptions['origin'],
  ): Promise<RecordedFile> {
    const stat = await fs.stat(file.path);
    const sha256 = await sha256File(file.path);
    const cached = await this.options.store.getCachedResult({
      sha256,
      scannerVersion: identity.scannerVersion,
      rulesetVersion: identity.rulesetVersion,
    });
    if (cached) {
      return {
        result: { ...cached, path: file.name },
        scannerVersion: identity.scannerVersion,
        rulesetVersion: identity.rulesetVersion,
        cached: true,
      };
    }
    const result = await this.options.engine.scanFile(file.path, {
      onProgress: done => onBytes?.(done),
      origin,
    });
    return {
      result: {
        ...result,
        path: file.name,
        sha256,
        size: stat.size,
        findings: result.findings ?? [],
        errors: result.errors ?? [],
      },
      scannerVersion: identity.scannerVersion,
      rulesetVersion: identity.rulesetVersion,
      cached: false,
      transientError: result.verdict === 'error',
    };
  }

  private async checkTargetAllowed(target: string) {
    const kind = classifyTarget(target);
    if (kind === 'upload') {
      const upload = parseUploadTarget(target);
      if (!upload) {
        throw new InputError('target: not a valid upload:// target');
      }
      if (!(await this.storedUploadPath(upload.sha256))) {
        throw new InputError(
          `target: upload expired: the uploaded file of ${target} is no longer stored (uploads are kept modelScan.uploads.retentionDays days); upload it again`,
        );
      }
    } else if (kind === 'remote') {
      try {
        await this.remoteSources.validate?.(target);
      } catch (error) {
        throw new InputError(`target: ${errorMessage(error)}`);
      }
    } else if (kind === 'local' && !this.options.allowLocalPaths) {
      throw new InputError(
        'target: paths on the backend host cannot be scanned (modelScan.allowLocalPaths is false); upload the file or give a URL',
      );
    }
  }

  /** The upload store (shared blob storage or this replica's folder). */
  get uploadStore(): UploadStore {
    this.defaultUploads ??= new LocalUploadStore(this.uploadsDir);
    return this.options.uploads ?? this.defaultUploads;
  }
  private defaultUploads: UploadStore | undefined;

  /** Whether the bytes of an upload are still stored. */
  private async storedUploadPath(sha256: string): Promise<boolean> {
    return (await this.uploadStore.find(sha256)) !== undefined;
  }

  private async resolveFiles(
    job: ScanJob,
    signal: AbortSignal,
  ): Promise<{
    files: Array<{ name: string; path: string }>;
    cleanup?: () => Promise<void>;
  }> {
    // the local copy the receiving replica stored, when this is that replica; otherwise (another
    // replica, shared blob storage) the upload store below
    if (
      job.uploadPath &&
      (await fs.stat(job.uploadPath).catch(() => undefined))
    ) {
      return {
        files: [{ name: job.uploadName ?? 'upload', path: job.uploadPath }],
      };
    }
    const kind = classifyTarget(job.target);
    if (kind === 'upload') {
      const upload = parseUploadTarget(job.target);
      if (!upload) throw new Error(`invalid upload target ${job.target}`);
      // from shared storage: the replica that received the upload need not be the one scanning it
      const scratch = join(this.options.workDir, 'downloads');
      await fs.mkdir(scratch, { recursive: true });
      const opened = await this.uploadStore.open(upload.sha256, scratch);
      if (!opened) {
        throw new Error(
          `upload expired: the uploaded file of ${job.target} is no longer stored; upload it again`,
        );
      }
      return {
        files: [{ name: upload.fileName, path: opened.path }],
        cleanup: () => opened.cleanup(),
      };
    }
    if (kind === 'local') {
      if (!this.options.allowLocalPaths) {
        throw new Error(
          'local paths are not allowed (modelScan.allowLocalPaths)',
        );
      }
      const path = job.target.startsWith('file://')
        ? fileURLToPath(job.target)
        : resolvePath(job.target);
      return { files: await listLocalFiles(path) };
    }
    const resolved = await this.remoteSources.resolve(job.target, signal);
    return { files: resolved.files, cleanup: () => resolved.cleanup() };
  }

  private async notify(id: string, scan?: Scan) {
    if (!this.listeners.length) return;
    const current = scan ?? (await this.getScan(id));
    if (!current) return;
    for (const listener of this.listeners) {
      try {
        await listener(current);
      } catch (error) {
        this.options.logger.warn(
          `Scan completion listener failed for ${id}: ${errorMessage(error)}`,
        );
      }
    }
  }
}

function toAcceptanceFacts(a: Acceptance): AcceptanceFacts {
  return {
    sha256: a.sha256,
    expiresAt: new Date(a.expiresAt),
    scannerVersion: a.scannerVersion,
    rulesetVersion: a.rulesetVersion,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
