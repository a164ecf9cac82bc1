import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  CompensatingCheck,
  ExceptionHistoryEntry,
  ExceptionReview,
  ExceptionRevision,
  RevisionOutcome,
  StoredExceptionStatus,
} from '@internal/plugin-policy-exceptions-common';
import { ExceptionRecord } from '../domain/lifecycle';

const migrationsDir = resolvePackagePath('@internal/plugin-policy-exceptions-backend', 'migrations');

export type Tx = Knex.Transaction;

export interface ExceptionFilter {
  requester?: string;
  /** requester OR owner */
  involving?: string;
  status?: StoredExceptionStatus[];
  controlId?: string;
  entityRef?: string;
  /** only exceptions whose window ends before this (ISO) */
  endsBefore?: string;
  /** only exceptions whose window ends after this (ISO) */
  endsAfter?: string;
  withPendingRevision?: boolean;
  limit?: number;
}

const opt = <T>(v: T | null | undefined): T | undefined => (v === null || v === undefined ? undefined : v);
const json = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (JSON.parse(String(v)) as T));

/**
 * The only place with SQL for policy exceptions. Reviews and history are append-only (no update or
 * delete methods); revisions are inserted and only their outcome is set.
 */
export class ExceptionStore {
  static async create(options: { knex: Knex; skipMigrations?: boolean }): Promise<ExceptionStore> {
    if (!options.skipMigrations) await options.knex.migrate.latest({ directory: migrationsDir });
    return new ExceptionStore(options.knex);
  }

  readonly isPostgres: boolean;

  constructor(private readonly db: Knex) {
    this.isPostgres = String(db.client.config.client).includes('pg');
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  private q(tx?: Tx): Knex {
    return tx ?? this.db;
  }

  // ---- exceptions ----

  private row(r: ExceptionRecord) {
    return {
      control_id: r.controlId,
      requester: r.requester,
      owner: r.content.owner,
      status: r.status,
      revision: r.revision,
      round: r.round,
      required_approvals: r.requiredApprovals,
      content: JSON.stringify(r.content),
      pending_revision: r.pendingRevision ? JSON.stringify(r.pendingRevision) : null,
      starts_at: r.content.startsAt,
      ends_at: r.content.endsAt,
      approved_at: r.approvedAt ?? null,
      approved_by: r.approvedBy ? JSON.stringify(r.approvedBy) : null,
      last_reviewed_at: r.lastReviewedAt ?? null,
      next_review_at: r.nextReviewAt ?? null,
      suspension: r.suspension ? JSON.stringify(r.suspension) : null,
      revoked_reason: r.revokedReason ?? null,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      submitted_at: r.submittedAt ?? null,
      expiry_notified_at: r.expiryNotifiedAt ?? null,
      review_due_notified_at: r.reviewDueNotifiedAt ?? null,
    };
  }

  private async writeScope(r: ExceptionRecord, tx: Knex) {
    await tx('exception_scope').where({ exception_id: r.id }).delete();
    await tx('exception_scope').insert(
      r.content.scope.entityRefs.map(ref => ({
        exception_id: r.id,
        control_id: r.controlId,
        entity_ref: ref.toLocaleLowerCase('en-US'),
        finding_key: r.content.scope.findingKey ?? '',
      })),
    );
  }

  async insertException(r: ExceptionRecord, revision: ExceptionRevision, tx: Tx): Promise<void> {
    await tx('exceptions').insert({ id: r.id, ...this.row(r), version: 1 });
    await this.writeScope(r, tx);
    await this.insertRevision(r.id, revision, tx);
  }

  /**
   * Stores a changed record if nobody changed it since it was read (`version`); returns whether it
   * applied. Rewrites the scope rows when the content in force changed.
   */
  async updateException(r: ExceptionRecord, tx: Tx, options: { scopeChanged?: boolean } = {}): Promise<boolean> {
    const n = await tx('exceptions')
      .where({ id: r.id, version: r.version })
      .update({ ...this.row(r), version: r.version + 1 });
    if (n !== 1) return false;
    if (options.scopeChanged) await this.writeScope(r, tx);
    return true;
  }

  async getException(id: string, options: { tx?: Tx; forUpdate?: boolean } = {}): Promise<ExceptionRecord | undefined> {
    let query = this.q(options.tx)('exceptions').where({ id }).first();
    if (options.forUpdate && options.tx && this.isPostgres) query = query.forUpdate();
    const row = await query;
    if (!row) return undefined;
    const reviews = await this.listReviews(id, options.tx);
    return this.toRecord(row, reviews);
  }

  async listExceptions(filter: ExceptionFilter): Promise<ExceptionRecord[]> {
    const query = this.db('exceptions as e').select('e.*').orderBy('e.created_at', 'desc').orderBy('e.id', 'asc');
    if (filter.requester) query.where('e.requester', filter.requester);
    if (filter.involving) query.where(b => b.where('e.requester', filter.involving!).orWhere('e.owner', filter.involving!));
    if (filter.status) query.whereIn('e.status', filter.status);
    if (filter.controlId) query.where('e.control_id', filter.controlId);
    if (filter.endsBefore) query.where('e.ends_at', '<', filter.endsBefore);
    if (filter.endsAfter) query.where('e.ends_at', '>', filter.endsAfter);
    if (filter.withPendingRevision) query.whereNotNull('e.pending_revision');
    if (filter.entityRef) {
      query.whereIn('e.id', this.db('exception_scope').select('exception_id').where('entity_ref', filter.entityRef.toLocaleLowerCase('en-US')));
    }
    query.limit(filter.limit ?? 1000);
    const rows = await query;
    const reviews = await this.reviewsFor(rows.map((r: any) => r.id));
    return rows.map((row: any) => this.toRecord(row, reviews.get(row.id) ?? []));
  }

  /**
   * Approved exceptions of `controlId` whose scope lists `entityRef` and whose window contains `at`:
   * the candidates `isExceptedAmong` decides among (it checks the finding key and window again).
   */
  async coverageCandidates(controlId: string, entityRef: string, at: string): Promise<Array<Pick<ExceptionRecord, 'id' | 'controlId' | 'status' | 'content' | 'approvedBy'>>> {
    // Two indexed lookups instead of a join: the scope rows of (control, entity) first
    // (exception_scope_lookup_idx), then those exceptions by primary key. With a join SQLite's
    // planner may start from exceptions_status_end_idx and walk every approved exception.
    const ids = (
      await this.db('exception_scope')
        .select('exception_id')
        .where('control_id', controlId)
        .where('entity_ref', entityRef.toLocaleLowerCase('en-US'))
    ).map((r: any) => r.exception_id);
    if (ids.length === 0) return [];
    // by primary key only: with status/window conditions SQLite picks exceptions_status_end_idx
    // and walks every approved exception; the window is checked here (and again by the caller)
    const rows = (await this.db('exceptions')
      .select('id', 'control_id', 'status', 'content', 'approved_by', 'starts_at', 'ends_at')
      .whereIn('id', ids)).filter((r: any) => r.status === 'approved' && r.starts_at <= at && r.ends_at > at);
    return rows.map((r: any) => ({
      id: r.id,
      controlId: r.control_id,
      status: r.status,
      content: JSON.parse(r.content),
      approvedBy: json<string[]>(r.approved_by) ?? [],
    }));
  }

  private toRecord(row: any, reviews: ExceptionReview[]): ExceptionRecord {
    return {
      id: row.id,
      controlId: row.control_id,
      requester: row.requester,
      status: row.status,
      revision: Number(row.revision),
      round: Number(row.round),
      requiredApprovals: Number(row.required_approvals),
      content: JSON.parse(row.content),
      pendingRevision: json(row.pending_revision),
      reviews,
      approvedAt: opt(row.approved_at),
      approvedBy: json(row.approved_by),
      lastReviewedAt: opt(row.last_reviewed_at),
      nextReviewAt: opt(row.next_review_at),
      suspension: json(row.suspension),
      revokedReason: opt(row.revoked_reason),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      submittedAt: opt(row.submitted_at),
      expiryNotifiedAt: opt(row.expiry_notified_at),
      reviewDueNotifiedAt: opt(row.review_due_notified_at),
      version: Number(row.version),
    };
  }

  // ---- revisions ----

  async insertRevision(id: string, r: ExceptionRevision, tx: Tx): Promise<void> {
    await tx('exception_revisions').insert({
      exception_id: id,
      revision: r.revision,
      content: JSON.stringify(r.content),
      created_by: r.createdBy,
      created_at: r.createdAt,
      outcome: r.outcome,
      decided_at: r.decidedAt ?? null,
      decided_by: r.decidedBy ? JSON.stringify(r.decidedBy) : null,
    });
  }

  /** A draft is edited in place (it was never reviewed); nothing else is. */
  async replaceDraftRevision(id: string, r: ExceptionRevision, tx: Tx): Promise<void> {
    const n = await tx('exception_revisions')
      .where({ exception_id: id, revision: r.revision, outcome: 'draft' })
      .update({ content: JSON.stringify(r.content), created_at: r.createdAt, outcome: r.outcome });
    if (n !== 1) throw new Error(`revision ${r.revision} of ${id} is not a draft`);
  }

  async decideRevision(id: string, revision: number, outcome: RevisionOutcome, at: string | undefined, by: string[] | undefined, tx: Tx): Promise<void> {
    await tx('exception_revisions')
      .where({ exception_id: id, revision })
      .update({ outcome, decided_at: at ?? null, decided_by: by ? JSON.stringify(by) : null });
  }

  async listRevisions(id: string): Promise<ExceptionRevision[]> {
    const rows = await this.db('exception_revisions').where({ exception_id: id }).orderBy('revision', 'asc');
    const reviews = await this.listReviews(id);
    return rows.map((r: any) => ({
      revision: Number(r.revision),
      content: JSON.parse(r.content),
      createdBy: r.created_by,
      createdAt: r.created_at,
      outcome: r.outcome,
      decidedAt: opt(r.decided_at),
      decidedBy: json(r.decided_by),
      reviews: reviews.filter(v => v.revision === Number(r.revision)),
    }));
  }

  // ---- reviews (append-only) ----

  async insertReview(id: string, r: ExceptionReview, tx: Tx): Promise<void> {
    await tx('exception_reviews').insert({
      exception_id: id,
      revision: r.revision,
      round: r.round,
      reviewer: r.reviewer,
      decision: r.decision,
      comment: r.comment,
      created_at: r.createdAt,
    });
  }

  async listReviews(id: string, tx?: Tx): Promise<ExceptionReview[]> {
    return (await this.reviewsFor([id], tx)).get(id) ?? [];
  }

  private async reviewsFor(ids: string[], tx?: Tx): Promise<Map<string, ExceptionReview[]>> {
    const out = new Map<string, ExceptionReview[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.q(tx)('exception_reviews').whereIn('exception_id', ids.slice(i, i + 500)).orderBy('id', 'asc');
      for (const r of rows) {
        const list = out.get(r.exception_id) ?? [];
        list.push({
          reviewer: r.reviewer, decision: r.decision, comment: r.comment, revision: Number(r.revision), round: Number(r.round), createdAt: r.created_at,
        });
        out.set(r.exception_id, list);
      }
    }
    return out;
  }

  // ---- history (append-only) ----

  async appendHistory(id: string, e: ExceptionHistoryEntry, tx?: Tx): Promise<void> {
    await this.q(tx)('exception_history').insert({
      exception_id: id, at: e.at, actor: e.actor, action: e.action, revision: e.revision, detail: e.detail ?? null,
    });
  }

  async listHistory(id: string): Promise<ExceptionHistoryEntry[]> {
    const rows = await this.db('exception_history').where({ exception_id: id }).orderBy('id', 'asc');
    return rows.map((r: any) => ({ at: r.at, actor: r.actor, action: r.action, revision: Number(r.revision), detail: opt(r.detail) }));
  }

  // ---- compensating-control checks ----

  async replaceChecks(id: string, checks: CompensatingCheck[], tx?: Tx): Promise<void> {
    const run = async (t: Knex) => {
      await t('exception_checks').where({ exception_id: id }).delete();
      if (checks.length) {
        await t('exception_checks').insert(
          checks.map(c => ({
            exception_id: id, control_id: c.controlId, entity_ref: c.entityRef, status: c.status, detail: c.detail ?? null, checked_at: c.checkedAt,
          })),
        );
      }
    };
    if (tx) await run(tx);
    else await this.db.transaction(run);
  }

  async listChecks(id: string): Promise<CompensatingCheck[]> {
    const rows = await this.db('exception_checks').where({ exception_id: id }).orderBy(['control_id', 'entity_ref']);
    return rows.map((r: any) => ({ controlId: r.control_id, entityRef: r.entity_ref, status: r.status, detail: opt(r.detail), checkedAt: r.checked_at }));
  }

  // ---- one-time imports ----

  async importedIds(source: string): Promise<Map<string, string>> {
    const rows = await this.db('exception_imports').where({ source });
    return new Map(rows.map((r: any) => [r.source_id, r.exception_id]));
  }

  async recordImport(source: string, sourceId: string, exceptionId: string, at: string, tx: Tx): Promise<void> {
    await tx('exception_imports').insert({ source, source_id: sourceId, exception_id: exceptionId, imported_at: at });
  }
}

/** Unique-constraint violation on SQLite or PostgreSQL. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint failed/.test(err?.message ?? '');
}
