import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  AccessRequest,
  Grant,
  GrantHistoryEntry,
  GrantStatus,
  PostHocReview,
  ProvisioningState,
  RequestStatus,
  ResourceSnapshot,
  Review,
  ReviewDecision,
} from '@internal/plugin-access-requests-common';
import type { ProvisioningTarget } from '@internal/plugin-access-requests-node';

const migrationsDir = resolvePackagePath('@internal/plugin-access-requests-backend', 'migrations');

/** A request row: the shared AccessRequest without its reviews, plus the resource snapshot. */
export interface RequestRecord extends Omit<AccessRequest, 'reviews' | 'remaining' | 'selfService'> {
  resource: ResourceSnapshot;
  selfService: boolean;
}

/** A grant row: the shared Grant without its computed/joined fields, plus what the provisioner needs. */
export interface GrantRecord extends Omit<Grant, 'history' | 'active' | 'postHocReviews' | 'postHocReviewsNeeded'> {
  target: ProvisioningTarget;
  reminderSentAt?: string;
}

/** The mutable part of a grant: its status and provisioning state. */
export interface GrantPatch {
  status?: GrantStatus;
  provisioning?: { state: ProvisioningState; error?: string | null; externalId?: string | null };
}

export interface ReviewRecord extends Review {
  requestId: string;
}

export interface RequestFilter {
  requester?: string;
  /** Only requests this user reviewed. */
  reviewer?: string;
  resourceRef?: string;
  status?: RequestStatus;
  ids?: string[];
  limit?: number;
}

export interface GrantFilter {
  userRef?: string;
  resourceRef?: string;
  roleId?: string;
  status?: GrantStatus | GrantStatus[];
  ids?: string[];
  breakGlass?: boolean;
  limit?: number;
}

/** Handle for running several store calls in one transaction. */
export type Tx = Knex.Transaction;

const opt = <T>(v: T | null | undefined): T | undefined => (v === null || v === undefined ? undefined : v);
const bool = (v: unknown) => v === true || v === 1 || v === '1' || v === 't' || v === 'true';

/**
 * The only place with SQL for access requests. Reviews, grant history and post-hoc
 * reviews are append-only: there are no update or delete methods for them.
 */
export class AccessStore {
  static async create(options: { knex: Knex; skipMigrations?: boolean }): Promise<AccessStore> {
    if (!options.skipMigrations) {
      await options.knex.migrate.latest({ directory: migrationsDir });
    }
    return new AccessStore(options.knex);
  }

  private readonly postgres: boolean;

  constructor(private readonly db: Knex) {
    this.postgres = String(db.client.config.client).includes('pg');
  }

  get isPostgres(): boolean {
    return this.postgres;
  }

  /** Runs fn in one transaction. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  private q(tx?: Tx): Knex {
    return tx ?? this.db;
  }

  // ---- requests ----

  async insertRequest(r: RequestRecord, tx?: Tx): Promise<void> {
    await this.q(tx)('access_requests').insert({
      id: r.id,
      resource_ref: r.resourceRef,
      role_id: r.roleId,
      requester: r.requester,
      justification: r.justification,
      ticket: r.ticket ?? null,
      duration_minutes: r.durationMinutes,
      status: r.status,
      created_at: r.createdAt,
      decided_at: r.decidedAt ?? null,
      expires_at: r.expiresAt,
      policy: JSON.stringify(r.policy),
      resource: JSON.stringify(r.resource),
      grant_id: r.grantId ?? null,
      renews_grant_id: r.renewsGrantId ?? null,
      self_service: r.selfService,
    });
  }

  /**
   * Reads one request. With `forUpdate` inside a transaction the row is locked until commit
   * (SELECT ... FOR UPDATE on PostgreSQL; SQLite serializes write transactions instead).
   */
  async getRequest(id: string, options: { tx?: Tx; forUpdate?: boolean } = {}): Promise<RequestRecord | undefined> {
    let query = this.q(options.tx)('access_requests').where({ id }).first();
    if (options.forUpdate && options.tx && this.isPostgres) {
      query = query.forUpdate();
    }
    const row = await query;
    return row ? this.toRequest(row) : undefined;
  }

  async listRequests(filter: RequestFilter, tx?: Tx): Promise<RequestRecord[]> {
    const query = this.q(tx)('access_requests').orderBy('created_at', 'desc').orderBy('id', 'asc');
    if (filter.requester) query.where('requester', filter.requester);
    if (filter.reviewer) {
      query.whereIn('id', this.q(tx)('access_request_reviews').select('request_id').where('reviewer', filter.reviewer));
    }
    if (filter.resourceRef) query.where('resource_ref', filter.resourceRef);
    if (filter.status) query.where('status', filter.status);
    if (filter.ids) query.whereIn('id', filter.ids);
    query.limit(filter.limit ?? 500);
    return (await query).map((r: any) => this.toRequest(r));
  }

  /** Pending requests whose decision deadline has passed. */
  async listOverduePendingRequests(nowIso: string, limit = 500): Promise<RequestRecord[]> {
    const rows = await this.db('access_requests')
      .where('status', 'pending')
      .where('expires_at', '<=', nowIso)
      .orderBy('expires_at', 'asc')
      .limit(limit);
    return rows.map((r: any) => this.toRequest(r));
  }

  /**
   * Moves a request out of `pending`. Conditional on the current status, so a decided
   * request can never change again; returns false when the row was no longer pending.
   */
  async decideRequest(
    id: string,
    patch: { status: Exclude<RequestStatus, 'pending'>; decidedAt: string; grantId?: string },
    tx?: Tx,
  ): Promise<boolean> {
    const n = await this.q(tx)('access_requests')
      .where({ id, status: 'pending' })
      .update({ status: patch.status, decided_at: patch.decidedAt, grant_id: patch.grantId ?? null });
    return n === 1;
  }

  private toRequest(row: any): RequestRecord {
    return {
      id: row.id,
      resourceRef: row.resource_ref,
      roleId: row.role_id,
      requester: row.requester,
      justification: row.justification ?? '',
      ticket: opt(row.ticket),
      durationMinutes: Number(row.duration_minutes),
      status: row.status,
      createdAt: row.created_at,
      decidedAt: opt(row.decided_at),
      expiresAt: row.expires_at,
      policy: JSON.parse(row.policy),
      resource: JSON.parse(row.resource),
      grantId: opt(row.grant_id),
      renewsGrantId: opt(row.renews_grant_id),
      selfService: bool(row.self_service),
    };
  }

  // ---- reviews (append-only) ----

  async insertReview(r: ReviewRecord, tx?: Tx): Promise<void> {
    await this.q(tx)('access_request_reviews').insert({
      request_id: r.requestId,
      reviewer: r.reviewer,
      decision: r.decision,
      comment: r.comment,
      eligible_groups: JSON.stringify(r.eligibleGroups),
      created_at: r.createdAt,
    });
  }

  async listReviews(requestIds: string[], tx?: Tx): Promise<Map<string, ReviewRecord[]>> {
    const result = new Map<string, ReviewRecord[]>();
    if (requestIds.length === 0) return result;
    const rows = [] as any[];
    for (let i = 0; i < requestIds.length; i += 500) {
      rows.push(
        ...(await this.q(tx)('access_request_reviews')
          .whereIn('request_id', requestIds.slice(i, i + 500))
          .orderBy('id', 'asc')),
      );
    }
    for (const row of rows) {
      const list = result.get(row.request_id) ?? [];
      list.push({
        requestId: row.request_id,
        reviewer: row.reviewer,
        decision: row.decision as ReviewDecision,
        comment: row.comment ?? '',
        eligibleGroups: JSON.parse(row.eligible_groups ?? '[]'),
        createdAt: row.created_at,
      });
      result.set(row.request_id, list);
    }
    return result;
  }

  // ---- grants ----

  async insertGrant(g: GrantRecord, tx?: Tx): Promise<void> {
    await this.q(tx)('access_grants').insert({
      id: g.id,
      request_id: g.requestId ?? null,
      resource_ref: g.resourceRef,
      role_id: g.roleId,
      user_ref: g.userRef,
      status: g.status,
      starts_at: g.startsAt,
      expires_at: g.expiresAt,
      break_glass: g.breakGlass,
      justification: g.justification ?? null,
      provisioning_state: g.provisioning.state,
      provisioning_error: g.provisioning.error ?? null,
      external_id: g.provisioning.externalId ?? null,
      target: JSON.stringify(g.target),
      reminder_sent_at: g.reminderSentAt ?? null,
    });
  }

  async getGrant(id: string, options: { tx?: Tx; forUpdate?: boolean } = {}): Promise<GrantRecord | undefined> {
    let query = this.q(options.tx)('access_grants').where({ id }).first();
    if (options.forUpdate && options.tx && this.isPostgres) query = query.forUpdate();
    const row = await query;
    return row ? this.toGrant(row) : undefined;
  }

  async listGrants(filter: GrantFilter, tx?: Tx): Promise<GrantRecord[]> {
    const query = this.q(tx)('access_grants').orderBy('starts_at', 'desc').orderBy('id', 'asc');
    if (filter.userRef) query.where('user_ref', filter.userRef);
    if (filter.resourceRef) query.where('resource_ref', filter.resourceRef);
    if (filter.roleId) query.where('role_id', filter.roleId);
    if (filter.breakGlass !== undefined) query.where('break_glass', filter.breakGlass);
    if (filter.status) {
      query.whereIn('status', Array.isArray(filter.status) ? filter.status : [filter.status]);
    }
    if (filter.ids) query.whereIn('id', filter.ids);
    query.limit(filter.limit ?? 500);
    return (await query).map((r: any) => this.toGrant(r));
  }

  /** Grants still marked scheduled/active whose end time has passed. */
  async listGrantsDueForExpiry(nowIso: string, limit = 500): Promise<GrantRecord[]> {
    const rows = await this.db('access_grants')
      .whereIn('status', ['scheduled', 'active'])
      .where('expires_at', '<=', nowIso)
      .orderBy('expires_at', 'asc')
      .limit(limit);
    return rows.map((r: any) => this.toGrant(r));
  }

  /** Active grants ending before `beforeIso` that were not reminded yet. */
  async listGrantsNeedingReminder(nowIso: string, beforeIso: string, limit = 500): Promise<GrantRecord[]> {
    const rows = await this.db('access_grants')
      .where('status', 'active')
      .whereNull('reminder_sent_at')
      .where('expires_at', '>', nowIso)
      .where('expires_at', '<=', beforeIso)
      .limit(limit);
    return rows.map((r: any) => this.toGrant(r));
  }

  /** Marks the reminder as sent; returns false if another replica already did (send once). */
  async claimReminder(id: string, nowIso: string): Promise<boolean> {
    const n = await this.db('access_grants').where({ id }).whereNull('reminder_sent_at').update({ reminder_sent_at: nowIso });
    return n === 1;
  }

  /**
   * Updates a grant's status/provisioning. `fromStatus` makes the update conditional
   * (compare-and-set); returns false when the grant was not in one of those states.
   */
  async updateGrant(
    id: string,
    patch: GrantPatch,
    options: { tx?: Tx; fromStatus?: GrantStatus[] } = {},
  ): Promise<boolean> {
    const n = await this.grantUpdateQuery(this.q(options.tx), id, patch, options.fromStatus);
    return Number(n) === 1;
  }

  /**
   * `updateGrant` and `appendHistory` in one atomic step: the update stays conditional on
   * `fromStatus`, the history entry is written either way (it records what happened outside,
   * e.g. a provisioner call). On PostgreSQL this is ONE statement (two data-modifying CTEs),
   * so the hot path pays one round-trip instead of BEGIN/UPDATE/INSERT/COMMIT; on SQLite it is
   * a transaction (statements there are in-process calls). Returns whether the update applied.
   */
  async updateGrantWithHistory(
    id: string,
    patch: GrantPatch,
    options: { fromStatus?: GrantStatus[] },
    entry: GrantHistoryEntry,
  ): Promise<boolean> {
    if (!this.postgres) {
      return this.db.transaction(async tx => {
        const changed = await this.updateGrant(id, patch, { tx, fromStatus: options.fromStatus });
        await this.appendHistory(id, entry, tx);
        return changed;
      });
    }
    const update = this.grantUpdateQuery(this.db, id, patch, options.fromStatus).returning('id').toSQL();
    const insert = this.db('access_grant_history').insert(this.historyRow(id, entry)).toSQL();
    const result = await this.db.raw(
      `WITH updated AS (${update.sql}), appended AS (${insert.sql}) SELECT count(*)::int AS n FROM updated`,
      [...update.bindings, ...insert.bindings],
    );
    return Number(result.rows[0].n) === 1;
  }

  private grantUpdateQuery(q: Knex, id: string, patch: GrantPatch, fromStatus?: GrantStatus[]) {
    const values: Record<string, unknown> = {};
    if (patch.status) values.status = patch.status;
    if (patch.provisioning) {
      values.provisioning_state = patch.provisioning.state;
      if (patch.provisioning.error !== undefined) values.provisioning_error = patch.provisioning.error;
      if (patch.provisioning.externalId !== undefined) values.external_id = patch.provisioning.externalId;
    }
    const query = q('access_grants').where({ id });
    if (fromStatus) query.whereIn('status', fromStatus);
    return query.update(values);
  }

  private toGrant(row: any): GrantRecord {
    return {
      id: row.id,
      requestId: opt(row.request_id),
      resourceRef: row.resource_ref,
      roleId: row.role_id,
      userRef: row.user_ref,
      status: row.status,
      startsAt: row.starts_at,
      expiresAt: row.expires_at,
      breakGlass: bool(row.break_glass),
      justification: opt(row.justification),
      provisioning: {
        state: row.provisioning_state,
        error: opt(row.provisioning_error),
        externalId: opt(row.external_id),
      },
      target: JSON.parse(row.target),
      reminderSentAt: opt(row.reminder_sent_at),
    };
  }

  // ---- grant history (append-only) ----

  async appendHistory(grantId: string, entry: GrantHistoryEntry, tx?: Tx): Promise<void> {
    await this.q(tx)('access_grant_history').insert(this.historyRow(grantId, entry));
  }

  private historyRow(grantId: string, entry: GrantHistoryEntry) {
    return {
      grant_id: grantId,
      at: entry.at,
      event: entry.event,
      actor: entry.actor,
      details: entry.details ? JSON.stringify(entry.details) : null,
    };
  }

  async listHistory(grantIds: string[], tx?: Tx): Promise<Map<string, GrantHistoryEntry[]>> {
    const result = new Map<string, GrantHistoryEntry[]>();
    for (let i = 0; i < grantIds.length; i += 500) {
      const rows = await this.q(tx)('access_grant_history')
        .whereIn('grant_id', grantIds.slice(i, i + 500))
        .orderBy('id', 'asc');
      for (const row of rows) {
        const list = result.get(row.grant_id) ?? [];
        list.push({
          at: row.at,
          event: row.event,
          actor: row.actor,
          details: row.details ? JSON.parse(row.details) : undefined,
        });
        result.set(row.grant_id, list);
      }
    }
    return result;
  }

  // ---- post-hoc reviews of break-glass grants (append-only) ----

  async insertPostHocReview(grantId: string, r: PostHocReview, tx?: Tx): Promise<void> {
    await this.q(tx)('access_post_hoc_reviews').insert({
      grant_id: grantId,
      reviewer: r.reviewer,
      decision: r.decision,
      comment: r.comment,
      created_at: r.createdAt,
    });
  }

  async listPostHocReviews(grantIds: string[], tx?: Tx): Promise<Map<string, PostHocReview[]>> {
    const result = new Map<string, PostHocReview[]>();
    for (let i = 0; i < grantIds.length; i += 500) {
      const rows = await this.q(tx)('access_post_hoc_reviews')
        .whereIn('grant_id', grantIds.slice(i, i + 500))
        .orderBy('id', 'asc');
      for (const row of rows) {
        const list = result.get(row.grant_id) ?? [];
        list.push({ reviewer: row.reviewer, decision: row.decision, comment: row.comment, createdAt: row.created_at });
        result.set(row.grant_id, list);
      }
    }
    return result;
  }
}
