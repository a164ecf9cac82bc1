import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  ExceptionDetails,
  ExceptionHistoryEntry,
  ExceptionStatus,
  ExceptionSubject,
  IsExceptedResult,
  PolicyException,
  StoredExceptionStatus,
  effectiveStatus,
  MODEL_SCAN_CONTROL_ID,
  isExceptedAmong,
} from '@internal/plugin-policy-exceptions-common';
import { Clock } from '@internal/clock';
import {
  ContentInput,
  ExceptionRecord,
  applyReview,
  isLive,
  newException,
  prepareContent,
  reReview,
  revise,
  reviewDue,
  revoke,
  reviewTarget,
  submitDraft,
  suspend,
  toCoverage,
  withdraw,
} from '../domain/lifecycle';
import { ExceptionSettings } from '../domain/settings';
import { ExceptionStore, Tx, isUniqueViolation } from '../store/ExceptionStore';
import { Directory } from './Directory';
import { Notifier } from './Notifier';
import { ExceptionNotices } from './ExceptionNotices';
import { VerdictSource, checkModelFileException } from './modelFiles';
import { markAudited } from '@internal/backend-input-guard';

export const SYSTEM_ACTOR = 'system:policy-exceptions';

/** Thrown inside a change when there is nothing to change (rolls the transaction back). */
class SkipChange extends Error {}

export interface Actor {
  userRef: string;
  request?: Request;
}

export interface ServiceOptions {
  store: ExceptionStore;
  directory: Directory;
  notifier: Notifier;
  auditor: AuditorService;
  logger: LoggerService;
  clock: Clock;
  settings: ExceptionSettings;
  /** model-scan verdicts, for exceptions to FG-MODEL-SCAN (one file hash, suspicious only). */
  verdicts?: VerdictSource;
}

type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Orchestrates the domain rules, the store (one locked transaction per change), audit and notifications. */
export class ExceptionsService {
  private readonly notices: ExceptionNotices;

  constructor(private readonly o: ServiceOptions) {
    this.notices = new ExceptionNotices(o.notifier, o.settings.reviewerGroup);
  }

  now(): Date {
    return this.o.clock.now();
  }

  get settings(): ExceptionSettings {
    return this.o.settings;
  }

  link(id?: string): string {
    return ExceptionNotices.link(id);
  }


  /** Every action is an audit event; a refusal (any error) is the same event, failed. */
  async audited<T>(eventId: string, severityLevel: Severity, actor: Actor | undefined, meta: JsonObject, fn: () => Promise<T>, successMeta?: (r: T) => JsonObject): Promise<T> {
    const ev = await this.o.auditor.createEvent({
      eventId, severityLevel, request: actor?.request, meta: { actor: actor?.userRef ?? SYSTEM_ACTOR, ...meta },
    });
    try {
      const result = await fn();
      await ev.success({ meta: successMeta ? successMeta(result) : undefined });
      return result;
    } catch (error) {
      await ev.fail({ error: error as Error });
      // audited here: the router's refusal handler does not write a second event
      throw markAudited(error);
    }
  }

  view(rec: ExceptionRecord, at = this.now()): PolicyException {
    const { expiryNotifiedAt: _a, reviewDueNotifiedAt: _b, version: _v, ...rest } = rec;
    return { ...rest, effectiveStatus: effectiveStatus({ status: rec.status, startsAt: rec.content.startsAt, endsAt: rec.content.endsAt }, at) };
  }

  private async isReviewer(userRef: string): Promise<boolean> {
    const groups = await this.o.directory.currentGroups(userRef);
    return groups.has(this.o.settings.reviewerGroup);
  }

  /** Scope entities and owners must exist in the catalog (a typo would except nothing, or the wrong thing). */
  private async checkReferences(input: ContentInput): Promise<void> {
    for (const [i, ref] of input.scope.entityRefs.entries()) {
      if (!(await this.o.directory.exists(ref))) throw new InputError(`scope.entityRefs.${i}: ${ref} is not in the catalog`);
    }
    if (!(await this.o.directory.exists(input.owner))) throw new InputError(`owner: ${input.owner} is not in the catalog`);
  }

  /** Runs `change` on the locked record and stores its result with one history entry; 409 if it moved meanwhile. */
  private async mutate(
    id: string,
    change: (rec: ExceptionRecord, tx: Tx) => Promise<{ record: ExceptionRecord; history: Omit<ExceptionHistoryEntry, 'at'>; scopeChanged?: boolean }>,
  ): Promise<{ before: ExceptionRecord; after: ExceptionRecord }> {
    try {
      return await this.o.store.transaction(async tx => {
        const before = await this.o.store.getException(id, { tx, forUpdate: true });
        if (!before) throw new NotFoundError(`exception ${id} not found`);
        const { record, history, scopeChanged } = await change(before, tx);
        if (!(await this.o.store.updateException(record, tx, { scopeChanged }))) {
          throw new ConflictError('the exception was changed concurrently; reload and try again');
        }
        await this.o.store.appendHistory(id, { at: record.updatedAt, ...history }, tx);
        return { before, after: { ...record, version: record.version + 1 } };
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('you have already reviewed this, or it was decided concurrently');
      throw e;
    }
  }

  // ------------------------------------------------------------------ requests

  async create(actor: Actor, body: ContentInput & { controlId: string; submit: boolean }): Promise<PolicyException> {
    return this.audited('exception-create', 'medium', actor, { controlId: body.controlId, submit: body.submit }, async () => {
      const now = this.now();
      const content = prepareContent(body, now, this.o.settings);
      await this.checkReferences(body);
      await checkModelFileException(body.controlId, content.scope, this.o.verdicts);
      const { record, revision } = newException({ id: randomUUID(), controlId: body.controlId, requester: actor.userRef, content, submit: body.submit, now });
      await this.o.store.transaction(async tx => {
        await this.o.store.insertException(record, revision, tx);
        await this.o.store.appendHistory(record.id, { at: record.createdAt, actor: actor.userRef, action: body.submit ? 'submitted' : 'drafted', revision: 1 }, tx);
      });
      if (body.submit) await this.notifySubmitted(record, actor.userRef);
      return this.view(record, now);
    }, r => ({ exceptionId: r.id, status: r.status, rating: r.content.risk.rating }));
  }

  async submit(actor: Actor, id: string): Promise<PolicyException> {
    return this.audited('exception-submit', 'medium', actor, { exceptionId: id }, async () => {
      const now = this.now();
      const { after } = await this.mutate(id, async (rec, tx) => {
        const record = submitDraft(rec, actor.userRef, now);
        await this.o.store.decideRevision(id, rec.revision, 'pending', undefined, undefined, tx);
        return { record, history: { actor: actor.userRef, action: 'submitted', revision: rec.revision } };
      });
      await this.notifySubmitted(after, actor.userRef);
      return this.view(after, now);
    });
  }

  async revise(actor: Actor, id: string, body: ContentInput & { submit: boolean }): Promise<PolicyException> {
    return this.audited('exception-revise', 'medium', actor, { exceptionId: id }, async () => {
      const now = this.now();
      const content = prepareContent(body, now, this.o.settings);
      await this.checkReferences(body);
      const current = await this.o.store.getException(id);
      if (current) await checkModelFileException(current.controlId, content.scope, this.o.verdicts);
      let action = '';
      const { after } = await this.mutate(id, async (rec, tx) => {
        const r = revise(rec, actor.userRef, content, body.submit, now);
        action = r.action;
        if (r.action === 'draft-edited') await this.o.store.replaceDraftRevision(id, r.revision, tx);
        else await this.o.store.insertRevision(id, r.revision, tx);
        if (r.superseded !== undefined) await this.o.store.decideRevision(id, r.superseded, 'superseded', r.revision.createdAt, undefined, tx);
        return {
          record: r.record,
          history: { actor: actor.userRef, action: r.action, revision: r.revision.revision },
          scopeChanged: r.action !== 'revision-proposed',
        };
      });
      if (after.status === 'submitted' || action === 'revision-proposed') await this.notifySubmitted(after, actor.userRef);
      return this.view(after, now);
    }, r => ({ revision: r.pendingRevision?.revision ?? r.revision }));
  }

  async review(actor: Actor, id: string, body: { decision: 'approve' | 'reject'; comment?: string }): Promise<PolicyException> {
    return this.audited('exception-review', 'high', actor, { exceptionId: id, decision: body.decision }, async () => {
      // eligibility from CURRENT catalog membership, resolved before taking the lock
      const eligible = await this.isReviewer(actor.userRef);
      const now = this.now();
      if (body.decision === 'approve') {
        // model files: the verdict must still be suspicious when the exception is approved
        const current = await this.o.store.getException(id);
        if (current?.controlId === MODEL_SCAN_CONTROL_ID && eligible) {
          await checkModelFileException(current.controlId, reviewTarget(current, now).content.scope, this.o.verdicts);
        }
      }
      let outcome = '';
      const { after } = await this.mutate(id, async (rec, tx) => {
        const r = applyReview(rec, rec.reviews, { reviewer: actor.userRef, decision: body.decision, comment: body.comment ?? '', eligible }, now, this.o.settings);
        outcome = r.outcome;
        await this.o.store.insertReview(id, r.review, tx);
        const at = now.toISOString();
        if (r.outcome === 'approved' || r.outcome === 'reapproved' || r.outcome === 'revision-approved') {
          await this.o.store.decideRevision(id, r.target.revision, 'approved', at, r.record.approvedBy, tx);
          if (r.outcome === 'revision-approved') await this.o.store.decideRevision(id, rec.revision, 'superseded', at, undefined, tx);
        } else if (r.outcome === 'rejected' || r.outcome === 'revision-rejected') {
          await this.o.store.decideRevision(id, r.target.revision, 'rejected', at, [actor.userRef], tx);
        }
        return {
          record: r.record,
          history: { actor: actor.userRef, action: r.outcome === 'pending' ? `review-${body.decision}` : r.outcome, revision: r.target.revision, detail: body.comment || undefined },
          scopeChanged: r.outcome === 'revision-approved',
        };
      });
      if (outcome !== 'pending') {
        await this.auditSystem(`exception-${outcome}`, 'high', { exceptionId: id, controlId: after.controlId, approvedBy: after.approvedBy ?? [], revision: after.revision });
        this.notifyDecision(after, outcome, actor.userRef, body.comment);
      }
      return this.view(after, now);
    }, r => ({ status: r.status, revision: r.revision }));
  }

  async withdraw(actor: Actor, id: string): Promise<PolicyException> {
    return this.audited('exception-withdraw', 'medium', actor, { exceptionId: id }, async () => {
      const now = this.now();
      const { after } = await this.mutate(id, async (rec, tx) => {
        const r = withdraw(rec, actor.userRef, now);
        await this.o.store.decideRevision(id, r.revision, 'withdrawn', now.toISOString(), [actor.userRef], tx);
        return { record: r.record, history: { actor: actor.userRef, action: r.what === 'exception' ? 'withdrawn' : 'revision-withdrawn', revision: r.revision } };
      });
      return this.view(after, now);
    });
  }

  async revoke(actor: Actor, id: string, reason: string): Promise<PolicyException> {
    return this.audited('exception-revoke', 'high', actor, { exceptionId: id }, async () => {
      const eligible = await this.isReviewer(actor.userRef);
      const now = this.now();
      const { after } = await this.mutate(id, async rec => ({
        record: revoke(rec, actor.userRef, eligible, reason, now, this.o.settings.reviewerGroup),
        history: { actor: actor.userRef, action: 'revoked', revision: rec.revision, detail: reason },
      }));
      this.notices.revoked(after, reason);
      return this.view(after, now);
    });
  }

  async reReview(actor: Actor, id: string, comment: string): Promise<PolicyException> {
    return this.audited('exception-re-review', 'medium', actor, { exceptionId: id }, async () => {
      const eligible = await this.isReviewer(actor.userRef);
      const now = this.now();
      const { after } = await this.mutate(id, async rec => ({
        record: reReview(rec, actor.userRef, eligible, now, this.o.settings),
        history: { actor: actor.userRef, action: 're-reviewed', revision: rec.revision, detail: comment },
      }));
      return this.view(after, now);
    });
  }

  // ------------------------------------------------------------------ reads

  async get(id: string): Promise<ExceptionDetails> {
    const rec = await this.o.store.getException(id);
    if (!rec) throw new NotFoundError(`exception ${id} not found`);
    const [revisions, history, checks] = await Promise.all([
      this.o.store.listRevisions(id), this.o.store.listHistory(id), this.o.store.listChecks(id),
    ]);
    return { exception: this.view(rec), revisions, history, checks };
  }

  async list(actor: Actor, q: { view: 'mine' | 'queue' | 'expiring' | 'all'; entityRef?: string; controlId?: string; status?: ExceptionStatus; withinDays?: number }): Promise<PolicyException[]> {
    const now = this.now();
    const nowIso = now.toISOString();
    let stored: StoredExceptionStatus[] | undefined;
    if (q.status === 'active' || q.status === 'expired') stored = ['approved', 'suspended'];
    else if (q.status) stored = [q.status];
    let records: ExceptionRecord[];
    if (q.view === 'queue') {
      const [submitted, live] = await Promise.all([
        this.o.store.listExceptions({ status: ['submitted'], controlId: q.controlId, entityRef: q.entityRef }),
        this.o.store.listExceptions({ status: ['approved', 'suspended'], endsAfter: nowIso, controlId: q.controlId, entityRef: q.entityRef }),
      ]);
      // waiting for a decision: submitted, suspended (re-approval), a pending revision, or a re-review due
      records = [...submitted, ...live.filter(r => r.status === 'suspended' || r.pendingRevision || reviewDue(r, now))];
      // not one's own, and not what one already reviewed in the current round
      records = records.filter(r => {
        if (r.requester === actor.userRef || r.content.owner === actor.userRef) return false;
        if (r.status === 'approved' && !r.pendingRevision) return true; // a due re-review
        const t = reviewTarget(r, now);
        return !r.reviews.some(v => v.reviewer === actor.userRef && v.revision === t.revision && v.round === t.round);
      });
    } else if (q.view === 'expiring') {
      const days = q.withinDays ?? 14;
      records = await this.o.store.listExceptions({
        status: ['approved', 'suspended'], endsAfter: nowIso, endsBefore: new Date(now.getTime() + days * 86_400_000).toISOString(),
        controlId: q.controlId, entityRef: q.entityRef,
      });
    } else {
      records = await this.o.store.listExceptions({
        involving: q.view === 'mine' ? actor.userRef : undefined, status: stored, controlId: q.controlId, entityRef: q.entityRef,
      });
    }
    const views = records.map(r => this.view(r, now));
    return q.status ? views.filter(v => v.effectiveStatus === q.status) : views;
  }

  /** THE coverage answer: the stored exceptions and the time, nothing else (no batch job ends an exception). */
  async isExcepted(controlId: string, subject: ExceptionSubject, at?: Date): Promise<IsExceptedResult> {
    const when = at ?? this.now();
    const candidates = await this.o.store.coverageCandidates(controlId, subject.entityRef, when.toISOString());
    return isExceptedAmong(candidates.map(toCoverage), controlId, subject, when);
  }

  /** Approved exceptions whose window contains `at`, for exports. */
  async activeAt(at: Date): Promise<ExceptionRecord[]> {
    const iso = at.toISOString();
    const rows = await this.o.store.listExceptions({ status: ['approved'], endsAfter: iso, limit: 100_000 });
    return rows.filter(r => Date.parse(r.content.startsAt) <= at.getTime());
  }

  // ------------------------------------------------------------------ system transitions

  async auditSystem(eventId: string, severityLevel: Severity, meta: JsonObject, error?: Error): Promise<void> {
    const ev = await this.o.auditor.createEvent({ eventId, severityLevel, meta: { actor: SYSTEM_ACTOR, ...meta } });
    if (error) await ev.fail({ error, meta });
    else await ev.success({ meta });
  }

  /** Suspends a live approved exception (compensating control failing, scope drift). Returns whether it changed. */
  async suspend(id: string, cause: 'compensating-control-failing' | 'scope-drift', detail: string): Promise<boolean> {
    const now = this.now();
    let changed = false;
    let after: ExceptionRecord | undefined;
    try {
      ({ after } = await this.mutate(id, async rec => {
        const record = suspend(rec, cause, detail, now);
        if (!record) throw new SkipChange();
        return { record, history: { actor: SYSTEM_ACTOR, action: 'suspended', revision: rec.revision, detail: `${cause}: ${detail}` } };
      }));
      changed = true;
    } catch (e) {
      if (e instanceof SkipChange) return false;
      await this.auditSystem('exception-suspend', 'high', { exceptionId: id, cause }, e as Error);
      throw e;
    }
    await this.auditSystem('exception-suspend', 'high', { exceptionId: id, cause, detail });
    if (after) this.notices.suspended(after, cause, detail);
    return changed;
  }

  /** Owners before expiry, reviewers when a re-review is due; each sent once (marked on the record). */
  async sendReminders(): Promise<{ expiry: number; reReview: number }> {
    const now = this.now();
    const horizon = new Date(now.getTime() + this.o.settings.expiryNoticeDays * 86_400_000).toISOString();
    const live = await this.o.store.listExceptions({ status: ['approved'], endsAfter: now.toISOString(), limit: 100_000 });
    let expiry = 0;
    let reReviewCount = 0;
    for (const rec of live) {
      if (!rec.expiryNotifiedAt && rec.content.endsAt <= horizon) {
        if (await this.mark(rec.id, r => ({ ...r, expiryNotifiedAt: now.toISOString() }))) {
          expiry++;
          this.notices.endingSoon(rec);
        }
      }
      if (!rec.reviewDueNotifiedAt && reviewDue(rec, now)) {
        if (await this.mark(rec.id, r => ({ ...r, reviewDueNotifiedAt: now.toISOString() }))) {
          reReviewCount++;
          this.notices.reReviewDue(rec);
        }
      }
    }
    return { expiry, reReview: reReviewCount };
  }

  private async mark(id: string, patch: (r: ExceptionRecord) => ExceptionRecord): Promise<boolean> {
    return this.o.store.transaction(async tx => {
      const rec = await this.o.store.getException(id, { tx, forUpdate: true });
      if (!rec) return false;
      return this.o.store.updateException({ ...patch(rec), version: rec.version }, tx);
    });
  }

  /** Live exceptions, for the compensating-control check. */
  async liveExceptions(): Promise<ExceptionRecord[]> {
    const now = this.now();
    const rows = await this.o.store.listExceptions({ status: ['approved', 'suspended'], endsAfter: now.toISOString(), limit: 100_000 });
    return rows.filter(r => isLive(r, now));
  }

  get store(): ExceptionStore {
    return this.o.store;
  }

  get directory(): Directory {
    return this.o.directory;
  }

  // ------------------------------------------------------------------ notifications

  private async notifySubmitted(rec: ExceptionRecord, by: string): Promise<void> {
    this.notices.submitted(rec, by, await this.o.directory.displayName(by));
  }

  private notifyDecision(rec: ExceptionRecord, outcome: string, by: string, comment?: string): void {
    this.notices.decided(rec, outcome, by, comment);
  }
}
