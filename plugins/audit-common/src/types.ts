import { JsonObject } from '@backstage/types';

/** Severity of an audit event (same levels as Backstage's AuditorService). */
export type AuditSeverity = 'low' | 'medium' | 'high' | 'critical';

/** Each `createEvent` appends an `initiated` row, then `succeeded` or `failed`. */
export type AuditEventStatus = 'initiated' | 'succeeded' | 'failed';

/** Who caused the event, as resolved from the request's Backstage credentials. */
export type AuditActorType = 'user' | 'service' | 'none' | 'unknown';

/** HTTP request metadata recorded with an event (absent when the event had no request). */
export interface AuditEventRequest {
  method?: string;
  url?: string;
  ip?: string;
  hostname?: string;
  userAgent?: string;
}

/** Hash algorithm of one row: plain SHA-256, or HMAC-SHA-256 with `audit.hmacSecret`. */
export type AuditHashAlgorithm = 'sha256' | 'hmac-sha256';

/** One row of the hash-chained audit trail. */
export interface AuditEvent {
  /** Position in the chain, 1, 2, 3, … without gaps. */
  seq: number;
  /** Unique id of this row (uuid). */
  id: string;
  /** Shared by the initiated / succeeded / failed rows of one `createEvent` call. */
  correlationId: string;
  /** ISO 8601 UTC timestamp of when the event was emitted. */
  occurredAt: string;
  pluginId: string;
  eventId: string;
  severity: AuditSeverity;
  status: AuditEventStatus;
  /** User entity ref or service subject; absent for anonymous requests. */
  actor?: string;
  actorType: AuditActorType;
  request?: AuditEventRequest;
  meta?: JsonObject;
  error?: { name: string; message: string };
  /** Hash of the previous row (64 zeros for seq 1). */
  prevHash: string;
  hash: string;
  hashAlg: AuditHashAlgorithm;
}

/** Why the chain is broken at `firstBrokenSeq`. */
export type AuditChainBreakReason =
  /** The row's content no longer matches its hash (row modified). */
  | 'hash-mismatch'
  /** A sequence number is missing (row deleted). */
  | 'missing-row'
  /** The row does not link to the hash of the row before it (row deleted, reordered or rewritten). */
  | 'prev-hash-mismatch';

/** Result of walking the chain from seq 1 to its end. */
export interface VerifyResult {
  ok: boolean;
  /** Rows checked and found intact. */
  checked: number;
  firstBrokenSeq?: number;
  reason?: AuditChainBreakReason;
  /** Seq / hash of the last intact row (0 and 64 zeros when there is none). */
  lastSeq: number;
  lastHash: string;
}

/** Query of `GET /api/audit/events`. */
export interface AuditEventsQuery {
  /** 1..500, default 50. */
  limit?: number;
  /** Only rows with seq greater than this (pages oldest first when `order` is not given). */
  after?: number;
  /** Only rows with seq less than this (the cursor for newest-first paging). */
  before?: number;
  /** 'desc' (newest first) unless `after` is given. */
  order?: 'asc' | 'desc';
  pluginId?: string;
  eventId?: string;
  actor?: string;
  severity?: AuditSeverity;
  status?: AuditEventStatus;
  /** ISO 8601 timestamps, inclusive `from`, exclusive `to`. */
  from?: string;
  to?: string;
  /** Only events whose meta names this entity ref (e.g. a resource or model), exact string. */
  entityRef?: string;
}

/** One page of events; pass `nextCursor` back as the query's `before` (desc) or `after` (asc). */
export interface AuditEventsPage {
  items: AuditEvent[];
  nextCursor?: { before?: number; after?: number };
}
