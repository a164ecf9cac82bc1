import { createHash, createHmac } from 'node:crypto';
import {
  AuditChainBreakReason,
  AuditHashAlgorithm,
  VerifyResult,
} from '@internal/plugin-audit-common';
import { canonicalJson } from './canonicalJson';

/** prev_hash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** A row of `audit_events` exactly as stored (what is hashed, plus the hash). */
export interface ChainRow {
  seq: number;
  id: string;
  correlation_id: string;
  occurred_at: string;
  plugin_id: string;
  event_id: string;
  severity: string;
  status: string;
  actor: string | null;
  actor_type: string;
  request: string | null;
  meta: string | null;
  error: string | null;
  prev_hash: string;
  hash_alg: AuditHashAlgorithm;
  hash: string;
}

export type UnhashedRow = Omit<ChainRow, 'hash'>;

/** Thrown by verification when keyed rows exist but no `audit.hmacSecret` is configured. */
export class MissingHmacSecretError extends Error {
  constructor(seq: number) {
    super(
      `Audit row ${seq} is keyed (hmac-sha256) but no audit.hmacSecret is configured; cannot verify`,
    );
    this.name = 'MissingHmacSecretError';
  }
}

/**
 * The row's hash: SHA-256 (or HMAC-SHA-256 keyed with `audit.hmacSecret` when
 * `hash_alg` is `hmac-sha256`) over the canonical JSON of every column except `hash`,
 * `prev_hash` and `seq` included, so that changing, renumbering or relinking a row changes it.
 */
export function computeRowHash(row: UnhashedRow, hmacSecret?: string): string {
  const { hash: _ignored, ...fields } = row as ChainRow;
  const payload = canonicalJson({ ...fields, seq: Number(fields.seq) });
  if (row.hash_alg === 'hmac-sha256') {
    if (!hmacSecret) {
      throw new MissingHmacSecretError(row.seq);
    }
    return createHmac('sha256', hmacSecret)
      .update(payload, 'utf8')
      .digest('hex');
  }
  return createHash('sha256').update(payload, 'utf8').digest('hex');
}

/**
 * Walks the chain in seq order, one batch at a time, and stops at the first broken link.
 *
 * Checks, for every row: its seq is the previous seq + 1 (first row: 1), else `missing-row`;
 * its prev_hash is the previous row's hash (first row: genesis), else `prev-hash-mismatch`;
 * its hash recomputes, else `hash-mismatch`. With an HMAC secret configured, an unkeyed row
 * after a keyed one is a `hash-mismatch` (downgrade).
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private lastHash = GENESIS_HASH;
  private checked = 0;
  private sawKeyedRow = false;
  private broken?: { seq: number; reason: AuditChainBreakReason };

  constructor(private readonly hmacSecret?: string) {}

  /** Feeds the next rows (ascending seq). Returns false once the chain is found broken. */
  feed(rows: ChainRow[]): boolean {
    for (const row of rows) {
      if (this.broken) return false;
      const seq = Number(row.seq);
      if (seq !== this.expectedSeq) {
        this.broken = { seq: this.expectedSeq, reason: 'missing-row' };
        return false;
      }
      if (row.prev_hash !== this.lastHash) {
        this.broken = { seq, reason: 'prev-hash-mismatch' };
        return false;
      }
      const downgraded =
        this.hmacSecret && this.sawKeyedRow && row.hash_alg !== 'hmac-sha256';
      if (downgraded || computeRowHash(row, this.hmacSecret) !== row.hash) {
        this.broken = { seq, reason: 'hash-mismatch' };
        return false;
      }
      if (row.hash_alg === 'hmac-sha256') this.sawKeyedRow = true;
      this.expectedSeq = seq + 1;
      this.lastHash = row.hash;
      this.checked += 1;
    }
    return !this.broken;
  }

  result(): VerifyResult {
    const base = {
      checked: this.checked,
      lastSeq: this.expectedSeq - 1,
      lastHash: this.lastHash,
    };
    if (this.broken) {
      return {
        ok: false,
        ...base,
        firstBrokenSeq: this.broken.seq,
        reason: this.broken.reason,
      };
    }
    return { ok: true, ...base };
  }
}
