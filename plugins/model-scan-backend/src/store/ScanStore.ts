import { createHash, randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  Acceptance,
  FileScanResult,
  Finding,
  SEVERITIES,
  Scan,
  ScanFileResult,
  ScanStatus,
  ScanTrigger,
  Severity,
  Stats,
  VERDICTS,
  Verdict,
} from '@internal/plugin-model-scan-common';
import { canonicalTarget } from '../domain/targets';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-model-scan-backend',
  'migrations',
);

const SCANS = 'model_scan_scans';
const FILES = 'model_scan_files';
const RESULTS = 'model_scan_file_results';
const FINDINGS = 'model_scan_result_findings';
const ACCEPTANCES = 'model_scan_acceptances';
const VERSIONS = 'model_scan_model_versions';
const DELIVERIES = 'webhook_deliveries';

/** True for a UNIQUE / PRIMARY KEY violation on PostgreSQL, SQLite or MySQL. */
function isUniqueViolation(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  return (
    code === '23505' ||
    code === 'ER_DUP_ENTRY' ||
    code.startsWith('SQLITE_CONSTRAINT')
  );
}

/** Identity of a cached result. */
export interface ResultKey {
  sha256: string;
  scannerVersion: string;
  rulesetVersion: string;
}

export interface NewScan {
  target: string;
  trigger: ScanTrigger;
  requestedBy: string;
  entityRef?: string;
  uploadPath?: string;
  uploadName?: string;
}

/** A scan row as the worker needs it. */
export interface ScanJob {
  id: string;
  target: string;
  uploadPath?: string;
  uploadName?: string;
  attempts: number;
}

/** One file of a finished scan, to record. */
export interface RecordedFile {
  result: FileScanResult;
  scannerVersion: string;
  rulesetVersion: string;
  cached: boolean;
  /** True when the result is an error of this run (not stored in the result cache). */
  transientError?: boolean;
  /**
   * 'tensor-data' when the file was scanned as raw tensor data named by a sibling model of the
   * same target (engine `referencedBy`). Such a result depends on the target, so it is never
   * stored in (nor read from) the per-sha256 result cache; its findings live on the file row.
   */
  context?: FileContext;
}

/** How a file of a scan was read: alone, or as raw tensor data a sibling model names. */
export type FileContext = 'standalone' | 'tensor-data';

/** The engine's result with the sibling files a model names as raw tensor data. */
export type FileScanResultWithReferences = FileScanResult & {
  references?: string[];
};

function toDate(value: unknown): Date | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const text = String(value);
  // SQLite returns "YYYY-MM-DD HH:MM:SS.sss" (UTC) for timestamps knex wrote as Date
  if (
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(text) &&
    !/[zZ+]/.test(text.slice(19))
  ) {
    return new Date(`${text.replace(' ', 'T')}Z`);
  }
  return new Date(text);
}

function iso(value: unknown): string | undefined {
  return toDate(value)?.toISOString();
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

function targetHash(target: string): string {
  return createHash('sha256').update(target).digest('hex');
}

/** The only place with SQL for the model-scan plugin. */
export class ScanStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<ScanStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new ScanStore(client);
  }

  constructor(private readonly db: Knex) {}

  // ---------------------------------------------------------------- scans

  async insertScan(scan: NewScan, now: Date): Promise<Scan> {
    const id = randomUUID();
    await this.db(SCANS).insert({
      id,
      // stored canonical: every lookup by target compares canonical spellings
      target: canonicalTarget(scan.target),
      trigger: scan.trigger,
      status: 'queued',
      requested_by: scan.requestedBy,
      entity_ref: scan.entityRef ?? null,
      created_at: now,
      upload_path: scan.uploadPath ?? null,
      upload_name: scan.uploadName ?? null,
    });
    return (await this.getScan(id, { withFiles: false }))!;
  }

  async getScan(
    id: string,
    options: { withFiles: boolean } = { withFiles: true },
  ): Promise<Scan | undefined> {
    const row = await this.db(SCANS).where({ id }).first();
    if (!row) return undefined;
    const scan = this.rowToScan(row);
    if (options.withFiles) {
      scan.files = await this.getScanFiles(id);
    }
    return scan;
  }

  async listScans(query: {
    limit: number;
    offset: number;
    verdict?: Verdict;
    entityRef?: string;
    target?: string;
  }): Promise<{ items: Scan[]; total: number }> {
    const base = this.db(SCANS).where(builder => {
      if (query.verdict) builder.where('verdict', query.verdict);
      // entity refs are case-insensitive (the API normalizes them to lower case)
      if (query.entityRef) builder.whereRaw('LOWER(entity_ref) = ?', [query.entityRef.toLowerCase()]);
      if (query.target) {
        builder.where('target', canonicalTarget(query.target));
      }
    });
    const [{ count }] = await base.clone().count({ count: '*' });
    const rows = await base
      .clone()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .offset(query.offset);
    return { items: rows.map(r => this.rowToScan(r)), total: num(count) };
  }

  /**
   * Claims one job atomically: a queued one, or a running one whose lease expired (its replica
   * crashed). Several replicas may race; the conditional UPDATE lets exactly one win.
   */
  async claimNextJob(
    owner: string,
    now: Date,
    leaseMs: number,
  ): Promise<ScanJob | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const candidate = await this.db(SCANS)
        .where('status', 'queued')
        .orWhere(b =>
          b.where('status', 'running').andWhere('lease_expires_at', '<', now),
        )
        .orderBy('created_at', 'asc')
        .first('id', 'status', 'lease_owner', 'lease_expires_at', 'attempts');
      if (!candidate) return undefined;
      const updated = await this.db(SCANS)
        .where({ id: candidate.id, status: candidate.status })
        .andWhere('attempts', candidate.attempts)
        .modify(b => {
          if (candidate.status === 'running') {
            b.andWhere('lease_expires_at', '<', now);
          }
        })
        .update({
          status: 'running',
          lease_owner: owner,
          lease_expires_at: new Date(now.getTime() + leaseMs),
          started_at: now,
          attempts: num(candidate.attempts) + 1,
          files_done: 0,
          bytes_done: 0,
          error: null,
        });
      if (updated === 1) {
        const row = await this.db(SCANS).where({ id: candidate.id }).first();
        return {
          id: row.id,
          target: row.target,
          uploadPath: row.upload_path ?? undefined,
          uploadName: row.upload_name ?? undefined,
          attempts: num(row.attempts),
        };
      }
    }
    return undefined;
  }

  /** Writes progress and extends the lease; returns false when the lease was lost. */
  async updateProgress(
    id: string,
    owner: string,
    progress: {
      filesDone: number;
      filesTotal: number;
      bytesDone: number;
      bytesTotal: number;
    },
    leaseUntil: Date,
  ): Promise<boolean> {
    const updated = await this.db(SCANS)
      .where({ id, lease_owner: owner, status: 'running' })
      .update({
        files_done: progress.filesDone,
        files_total: progress.filesTotal,
        bytes_done: progress.bytesDone,
        bytes_total: progress.bytesTotal,
        lease_expires_at: leaseUntil,
      });
    return updated === 1;
  }

  /**
   * Records the files and the verdict of a finished scan in one transaction, caches the
   * results per (sha256, scanner, ruleset), and points the target's model version at this scan.
   * Returns false when the lease was lost (another replica owns the job now).
   */
  async completeScan(input: {
    id: string;
    owner?: string;
    files: RecordedFile[];
    verdict: Verdict;
    severity: Severity;
    scannerVersion: string;
    rulesetVersion: string;
    now: Date;
  }): Promise<boolean> {
    const totalBytes = input.files.reduce(
      (sum, f) => sum + (f.result.size || 0),
      0,
    );
    return this.db.transaction(async tx => {
      const where: Record<string, string> = { id: input.id };
      if (input.owner) where.lease_owner = input.owner;
      const updated = await tx(SCANS)
        .where(where)
        .whereIn('status', ['running', 'queued'])
        .update({
          status: 'completed',
          completed_at: input.now,
          verdict: input.verdict,
          severity: input.severity,
          scanner_version: input.scannerVersion,
          ruleset_version: input.rulesetVersion,
          files_done: input.files.length,
          files_total: input.files.length,
          bytes_done: totalBytes,
          bytes_total: totalBytes,
          lease_owner: null,
          lease_expires_at: null,
          error: null,
        });
      if (updated !== 1) return false;
      await tx(FILES).where({ scan_id: input.id }).delete();
      for (const file of input.files) {
        const hinted = file.context === 'tensor-data';
        if (
          !hinted &&
          !file.cached &&
          !file.transientError &&
          file.result.sha256
        ) {
          await this.insertResultTx(tx, file, input.now);
        }
        await tx(FILES).insert({
          scan_id: input.id,
          path: file.result.path,
          sha256: file.result.sha256,
          size: file.result.size,
          format: file.result.format,
          verdict: file.result.verdict,
          severity: file.result.severity,
          scanner_version: file.scannerVersion,
          ruleset_version: file.rulesetVersion,
          cached: file.cached,
          errors_json:
            file.transientError || hinted
              ? JSON.stringify(file.result.errors ?? [])
              : null,
          context: hinted ? 'tensor-data' : 'standalone',
          findings_json: hinted
            ? JSON.stringify(file.result.findings ?? [])
            : null,
          created_at: input.now,
        });
      }
      const row = await tx(SCANS).where({ id: input.id }).first('target');
      const hash = targetHash(canonicalTarget(row.target));
      await tx(VERSIONS).where({ target_hash: hash }).delete();
      await tx(VERSIONS).insert({
        target_hash: hash,
        target: row.target,
        scan_id: input.id,
        sha256s_json: JSON.stringify(input.files.map(f => f.result.sha256)),
        recorded_at: input.now,
      });
      return true;
    });
  }

  private async insertResultTx(
    tx: Knex.Transaction,
    file: RecordedFile,
    now: Date,
  ): Promise<void> {
    const key = {
      sha256: file.result.sha256,
      scanner_version: file.scannerVersion,
      ruleset_version: file.rulesetVersion,
    };
    const existing = await tx(RESULTS).where(key).first('sha256');
    if (existing) return;
    await tx(RESULTS).insert({
      ...key,
      format: file.result.format,
      size: file.result.size,
      verdict: file.result.verdict,
      severity: file.result.severity,
      findings_json: JSON.stringify(file.result.findings ?? []),
      errors_json: JSON.stringify(file.result.errors ?? []),
      duration_ms: file.result.durationMs ?? null,
      references_json: (file.result as FileScanResultWithReferences).references
        ?.length
        ? JSON.stringify(
            (file.result as FileScanResultWithReferences).references,
          )
        : null,
      created_at: now,
    });
    const findingRows: Array<Record<string, unknown>> = [];
    (file.result.findings ?? []).forEach((finding, index) => {
      const techniques = finding.atlas?.length ? finding.atlas : [null];
      for (const technique of techniques) {
        findingRows.push({
          ...key,
          finding_index: index,
          rule_id: finding.ruleId,
          severity: finding.severity,
          atlas_technique: technique,
        });
      }
    });
    if (findingRows.length) {
      await tx.batchInsert(FINDINGS, findingRows as any[], 200);
    }
  }

  /**
   * Records "please review this scan" once: false when a review was already requested (or the
   * scan is gone), so two concurrent requests store exactly one.
   */
  async recordReviewRequest(
    id: string,
    request: { requestedBy: string; note: string },
    now: Date,
  ): Promise<boolean> {
    const updated = await this.db(SCANS)
      .where({ id })
      .whereNull('review_requested_at')
      .update({
        review_requested_at: now,
        review_requested_by: request.requestedBy,
        review_note: request.note,
      });
    return updated === 1;
  }

  async failScan(
    id: string,
    error: string,
    now: Date,
    owner?: string,
  ): Promise<boolean> {
    const where: Record<string, string> = { id };
    if (owner) where.lease_owner = owner;
    const updated = await this.db(SCANS)
      .where(where)
      .whereIn('status', ['running', 'queued'])
      .update({
        status: 'failed',
        completed_at: now,
        error: error.slice(0, 4000),
        lease_owner: null,
        lease_expires_at: null,
      });
    return updated === 1;
  }

  // ---------------------------------------------------------------- results

  /** The standalone result of these bytes (hinted tensor-data results are never cached). */
  async getCachedResult(
    key: ResultKey,
  ): Promise<FileScanResultWithReferences | undefined> {
    const row = await this.db(RESULTS)
      .where({
        sha256: key.sha256,
        scanner_version: key.scannerVersion,
        ruleset_version: key.rulesetVersion,
      })
      .first();
    if (!row) return undefined;
    return {
      path: '',
      sha256: row.sha256,
      size: num(row.size),
      format: row.format,
      verdict: row.verdict,
      severity: row.severity,
      findings: JSON.parse(row.findings_json) as Finding[],
      errors: JSON.parse(row.errors_json) as string[],
      durationMs: row.duration_ms ?? undefined,
      ...(row.references_json
        ? { references: JSON.parse(row.references_json) as string[] }
        : {}),
    };
  }

  private async getScanFiles(scanId: string): Promise<ScanFileResult[]> {
    const rows = await this.db(`${FILES} as f`)
      .leftJoin(`${RESULTS} as r`, function joinResults() {
        this.on('r.sha256', '=', 'f.sha256')
          .andOn('r.scanner_version', '=', 'f.scanner_version')
          .andOn('r.ruleset_version', '=', 'f.ruleset_version');
      })
      .where('f.scan_id', scanId)
      .orderBy('f.id', 'asc')
      .select(
        'f.path',
        'f.sha256',
        'f.size',
        'f.format',
        'f.verdict',
        'f.severity',
        'f.scanner_version',
        'f.ruleset_version',
        'f.cached',
        'f.errors_json as file_errors',
        'f.findings_json as file_findings',
        'r.findings_json',
        'r.errors_json as result_errors',
        'r.duration_ms',
      );
    return rows.map(row => ({
      path: row.path,
      sha256: row.sha256,
      size: num(row.size),
      format: row.format,
      verdict: row.verdict,
      severity: row.severity,
      findings: JSON.parse(row.file_findings ?? row.findings_json ?? '[]'),
      errors: JSON.parse(row.file_errors ?? row.result_errors ?? '[]'),
      durationMs: row.duration_ms ?? undefined,
      cached: Boolean(row.cached),
      scannerVersion: row.scanner_version,
      rulesetVersion: row.ruleset_version,
    }));
  }

  /** The latest completed scan of an exact target (what the gate judges), with its files. */
  async getLatestCompletedScan(target: string): Promise<Scan | undefined> {
    const row = await this.db(VERSIONS)
      .where({ target_hash: targetHash(canonicalTarget(target)) })
      .first('scan_id');
    if (!row) return undefined;
    return this.getScan(row.scan_id);
  }

  // ---------------------------------------------------------------- acceptances

  async insertAcceptance(
    input: Omit<Acceptance, 'id' | 'createdAt'>,
    now: Date,
  ): Promise<Acceptance> {
    const id = randomUUID();
    await this.db(ACCEPTANCES).insert({
      id,
      sha256: input.sha256,
      justification: input.justification,
      accepted_by: input.acceptedBy,
      scanner_version: input.scannerVersion,
      ruleset_version: input.rulesetVersion,
      created_at: now,
      expires_at: new Date(input.expiresAt),
    });
    return { ...input, id, createdAt: now.toISOString() };
  }

  async listAcceptances(
    filter: { sha256s?: string[] } = {},
  ): Promise<Acceptance[]> {
    const query = this.db(ACCEPTANCES).orderBy('created_at', 'desc');
    if (filter.sha256s) {
      if (filter.sha256s.length === 0) return [];
      query.whereIn('sha256', filter.sha256s);
    }
    const rows = await query.limit(1000);
    return rows.map(row => ({
      id: row.id,
      sha256: row.sha256,
      justification: row.justification,
      acceptedBy: row.accepted_by,
      scannerVersion: row.scanner_version,
      rulesetVersion: row.ruleset_version,
      createdAt: iso(row.created_at)!,
      expiresAt: iso(row.expires_at)!,
    }));
  }

  // ---------------------------------------------------------------- webhook deliveries

  /**
   * Records a webhook delivery atomically: true for the first delivery of `(source, key)`,
   * false for a replay (the UNIQUE constraint refuses the second insert, whichever replica
   * tries it). A row older than `ttlMs` no longer counts (it is replaced).
   */
  async recordWebhookDelivery(
    delivery: { source: string; key: string },
    now: Date,
    ttlMs: number,
  ): Promise<boolean> {
    await this.db(DELIVERIES)
      .where({ source: delivery.source, delivery_key: delivery.key })
      .andWhere('received_at', '<', new Date(now.getTime() - ttlMs))
      .delete();
    try {
      await this.db(DELIVERIES).insert({
        source: delivery.source,
        delivery_key: delivery.key,
        received_at: now,
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Forgets a delivery (its processing failed, so the sender's retry must be accepted). */
  async forgetWebhookDelivery(delivery: {
    source: string;
    key: string;
  }): Promise<void> {
    await this.db(DELIVERIES)
      .where({ source: delivery.source, delivery_key: delivery.key })
      .delete();
  }

  /** Deletes deliveries received before `cutoff` (past the replay TTL); returns how many. */
  async deleteWebhookDeliveriesBefore(cutoff: Date): Promise<number> {
    return this.db(DELIVERIES).where('received_at', '<', cutoff).delete();
  }

  // ---------------------------------------------------------------- uploads

  /** sha256s of uploads that a queued or running scan still needs. */
  async listUploadsInUse(): Promise<Set<string>> {
    const rows = await this.db(SCANS)
      .whereIn('status', ['queued', 'running'])
      .andWhere(b =>
        b.where('target', 'like', 'upload://%').orWhereNotNull('upload_path'),
      )
      .select('target', 'upload_path');
    const inUse = new Set<string>();
    for (const row of rows) {
      const fromTarget = /^upload:\/\/([0-9a-f]{64})\//.exec(row.target);
      if (fromTarget) inUse.add(fromTarget[1]);
      const fromPath = /([0-9a-f]{64})[\\/][^\\/]+$/.exec(
        row.upload_path ?? '',
      );
      if (fromPath) inUse.add(fromPath[1]);
    }
    return inUse;
  }

  // ---------------------------------------------------------------- stats

  /** Aggregates over the files scanned since `since`. */
  async getStats(since: Date): Promise<Stats> {
    const files = () => this.db(FILES).where('created_at', '>=', since);

    const byVerdict = Object.fromEntries(VERDICTS.map(v => [v, 0])) as Record<
      Verdict,
      number
    >;
    const verdictRows = await files()
      .select('verdict')
      .count({ count: '*' })
      .groupBy('verdict');
    let filesScanned = 0;
    for (const row of verdictRows as any[]) {
      if (row.verdict in byVerdict) {
        byVerdict[row.verdict as Verdict] = num(row.count);
      }
      filesScanned += num(row.count);
    }

    const bySeverity = Object.fromEntries(
      SEVERITIES.map(s => [s, 0]),
    ) as Record<Severity, number>;
    const severityRows = await files()
      .select('severity')
      .count({ count: '*' })
      .groupBy('severity');
    for (const row of severityRows as any[]) {
      if (row.severity in bySeverity) {
        bySeverity[row.severity as Severity] = num(row.count);
      }
    }

    // group by UTC day in SQL; SQLite (better-sqlite3) stores knex Dates as epoch milliseconds
    const dayExpression = this.isPostgres()
      ? "to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')"
      : "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')";
    const dayRows = (await files()
      .select(this.db.raw(`${dayExpression} as day`), 'verdict')
      .count({ count: '*' })
      .groupByRaw(`${dayExpression}, verdict`)) as Array<{
      day: string;
      verdict: Verdict;
      count: unknown;
    }>;
    const days = new Map<
      string,
      {
        day: string;
        safe: number;
        suspicious: number;
        malicious: number;
        error: number;
      }
    >();
    for (const row of dayRows) {
      const entry = days.get(row.day) ?? {
        day: row.day,
        safe: 0,
        suspicious: 0,
        malicious: 0,
        error: 0,
      };
      if (VERDICTS.includes(row.verdict)) entry[row.verdict] += num(row.count);
      days.set(row.day, entry);
    }

    const joined = () =>
      this.db(`${FILES} as f`)
        .join(`${FINDINGS} as x`, function joinFindings() {
          this.on('x.sha256', '=', 'f.sha256')
            .andOn('x.scanner_version', '=', 'f.scanner_version')
            .andOn('x.ruleset_version', '=', 'f.ruleset_version');
        })
        // the cached findings are those of a standalone reading of the bytes
        .where('f.context', 'standalone')
        .where('f.created_at', '>=', since);

    const atlasRows = await joined()
      .whereNotNull('x.atlas_technique')
      .select('x.atlas_technique as technique')
      .count({ count: '*' })
      .groupBy('x.atlas_technique')
      .orderBy('count', 'desc')
      .limit(20);

    // one count per (scanned file, finding): ignore the extra rows of multi-technique findings
    const ruleRows = await joined()
      .select('x.rule_id as ruleId')
      .countDistinct({ count: this.db.raw("f.id || ':' || x.finding_index") })
      .groupBy('x.rule_id')
      .orderBy('count', 'desc')
      .limit(20);

    return {
      filesScanned,
      byVerdict,
      bySeverity,
      byDay: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
      byAtlas: (atlasRows as any[]).map(r => ({
        technique: r.technique,
        count: num(r.count),
      })),
      topRules: (ruleRows as any[]).map(r => ({
        ruleId: r.ruleId,
        count: num(r.count),
      })),
    };
  }

  // ---------------------------------------------------------------- mapping

  private isPostgres(): boolean {
    const client = String(this.db.client.config.client ?? '');
    return client === 'pg' || client.includes('postgres');
  }

  private rowToScan(row: any): Scan {
    const status = row.status as ScanStatus;
    const scan: Scan = {
      id: row.id,
      target: row.target,
      trigger: row.trigger,
      status,
      requestedBy: row.requested_by,
      createdAt: iso(row.created_at)!,
    };
    if (row.entity_ref) scan.entityRef = row.entity_ref;
    if (row.started_at) scan.startedAt = iso(row.started_at);
    if (row.completed_at) scan.completedAt = iso(row.completed_at);
    if (row.verdict) scan.verdict = row.verdict;
    if (row.severity) scan.severity = row.severity;
    if (row.error) scan.error = row.error;
    if (row.scanner_version) scan.scannerVersion = row.scanner_version;
    if (row.ruleset_version) scan.rulesetVersion = row.ruleset_version;
    if (row.review_requested_at) {
      scan.reviewRequest = {
        requestedBy: row.review_requested_by,
        requestedAt: iso(row.review_requested_at)!,
        note: row.review_note ?? '',
      };
    }
    if (status !== 'queued') {
      scan.progress = {
        filesDone: num(row.files_done),
        filesTotal: num(row.files_total),
        bytesDone: num(row.bytes_done),
        bytesTotal: num(row.bytes_total),
      };
    }
    return scan;
  }
}
