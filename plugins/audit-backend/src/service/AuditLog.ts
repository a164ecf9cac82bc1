import { randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuditEvent,
  AuditEventsPage,
  AuditEventsQuery,
  VerifyResult,
} from '@internal/plugin-audit-common';
import { canonicalJson } from '../domain/canonicalJson';
import { AuditEventStore, NewChainRow } from '../store/AuditEventStore';

/** One audit event as handed over by the auditor service: a row without its chain fields. */
export type AuditLogEntry = Omit<
  AuditEvent,
  'seq' | 'id' | 'occurredAt' | 'prevHash' | 'hash' | 'hashAlg'
>;

/** The root-scoped audit trail shared by every plugin's auditor (see `auditLogServiceRef`). */
export interface AuditLogService {
  /**
   * Appends an event to the chain. Never rejects: it resolves once the row is stored, or
   * after `writeWaitMs` while the write keeps being retried in the background (in order).
   */
  record(entry: AuditLogEntry): Promise<void>;
  listEvents(query: AuditEventsQuery): Promise<AuditEventsPage>;
  verify(): Promise<VerifyResult>;
  /** Waits (up to `timeoutMs`) until every recorded event is stored. */
  flush(timeoutMs?: number): Promise<boolean>;
}

interface Pending {
  row: NewChainRow;
  done: () => void;
}

export interface AuditLogOptions {
  store: AuditEventStore;
  logger: LoggerService;
  /** Injected clock (defaults to the system clock). */
  clock?: () => Date;
  /** How long `record` waits for a failing write before resolving anyway. Default 5000. */
  writeWaitMs?: number;
  /** Events kept in memory while the database is unreachable. Default 10000. */
  maxPending?: number;
  /** Backoff between retries: min(maxRetryDelayMs, 100ms * 2^attempt). Default 30000. */
  maxRetryDelayMs?: number;
  /** Most events written in one transaction. Default 100. */
  maxBatch?: number;
}

/**
 * Turns auditor events into chain rows and writes them in order, the events that queued
 * up while a write was running together in the next transaction. A failing write is
 * logged at error level and retried with backoff until it succeeds; events behind it
 * wait, so the chain keeps the order in which events were emitted.
 */
export class AuditLog implements AuditLogService {
  private readonly store: AuditEventStore;
  private readonly logger: LoggerService;
  private readonly clock: () => Date;
  private readonly writeWaitMs: number;
  private readonly maxPending: number;
  private readonly maxRetryDelayMs: number;
  private readonly maxBatch: number;
  private readonly pending: Pending[] = [];
  private draining?: Promise<void>;
  private stopped = false;

  constructor(options: AuditLogOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.clock = options.clock ?? (() => new Date());
    this.writeWaitMs = options.writeWaitMs ?? 5000;
    this.maxPending = options.maxPending ?? 10000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30000;
    this.maxBatch = options.maxBatch ?? 100;
  }

  record(entry: AuditLogEntry): Promise<void> {
    let row: NewChainRow;
    try {
      row = toNewRow(entry, this.clock());
    } catch (error) {
      this.logger.error(
        `AUDIT TRAIL: event ${entry.pluginId}.${entry.eventId} could not be serialized and was NOT stored: ${error}`,
      );
      return Promise.resolve();
    }
    if (this.pending.length >= this.maxPending) {
      this.logger.error(
        `AUDIT TRAIL: ${this.pending.length} events waiting for the database; event ${entry.pluginId}.${entry.eventId} (${entry.status}) was DROPPED`,
      );
      return Promise.resolve();
    }
    const written = new Promise<void>(resolve => {
      this.pending.push({ row, done: resolve });
    });
    this.drain();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>(resolve => {
      timer = setTimeout(resolve, this.writeWaitMs);
      timer.unref?.();
    });
    return Promise.race([written, waited]).finally(() => clearTimeout(timer));
  }

  listEvents(query: AuditEventsQuery): Promise<AuditEventsPage> {
    return this.store.listEvents(query);
  }

  verify(): Promise<VerifyResult> {
    return this.store.verify();
  }

  async flush(timeoutMs = 10000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length > 0 || this.draining) {
      if (Date.now() >= deadline) return false;
      await sleep(20);
    }
    return true;
  }

  /** Stops retrying (shutdown); events still pending are reported as lost. */
  stop(): void {
    this.stopped = true;
    if (this.pending.length > 0) {
      this.logger.error(
        `AUDIT TRAIL: stopping with ${this.pending.length} unwritten audit event(s)`,
      );
    }
  }

  private drain() {
    if (this.draining || this.stopped) return;
    this.draining = (async () => {
      let attempt = 0;
      while (this.pending.length > 0 && !this.stopped) {
        // Everything queued behind the write that just finished goes in one transaction.
        const batch = this.pending.slice(0, this.maxBatch);
        try {
          await this.store.appendBatch(batch.map(p => p.row));
          this.pending.splice(0, batch.length);
          batch.forEach(p => p.done());
          if (attempt > 0) {
            this.logger.warn(
              `AUDIT TRAIL: write recovered after ${attempt} failed attempt(s)`,
            );
          }
          attempt = 0;
        } catch (error) {
          attempt += 1;
          const delay = Math.min(this.maxRetryDelayMs, 100 * 2 ** attempt);
          this.logger.error(
            `AUDIT TRAIL WRITE FAILED (attempt ${attempt}, ${this.pending.length} event(s) waiting, retrying in ${delay} ms): ${error}`,
          );
          await sleep(delay);
        }
      }
    })().finally(() => {
      this.draining = undefined;
    });
  }
}

function sleep(ms: number) {
  return new Promise<void>(resolve => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });
}

function jsonOrNull(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && Object.keys(value as object).length === 0) {
    return null;
  }
  return canonicalJson(value);
}

function toNewRow(entry: AuditLogEntry, now: Date): NewChainRow {
  return {
    id: randomUUID(),
    correlation_id: entry.correlationId,
    occurred_at: now.toISOString(),
    plugin_id: entry.pluginId,
    event_id: entry.eventId,
    severity: entry.severity,
    status: entry.status,
    actor: entry.actor ?? null,
    actor_type: entry.actorType,
    request: jsonOrNull(entry.request),
    meta: jsonOrNull(entry.meta),
    error: jsonOrNull(entry.error),
  };
}
