import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  CoverageRecord,
  ExceptionContent,
  ExceptionReview,
  ExceptionRevision,
  PolicyException,
  ReviewDecision,
  RiskLevel,
  SuspensionCause,
  effectiveStatus,
  requiredApprovalsFor,
  riskRating,
} from '@internal/plugin-policy-exceptions-common';
import { ExceptionSettings } from './settings';

/**
 * The exception state machine as plain functions of (record, actor, time). Nothing here reads or
 * writes storage; the service runs these inside a locked transaction and stores what they return.
 *
 *   draft ─submit→ submitted ─quorum of approvals→ approved (active inside its window, expired after)
 *   submitted ─reject→ rejected;  draft|submitted ─withdraw→ withdrawn
 *   approved ─compensating check fails | scope drifts→ suspended ─re-approval quorum→ approved
 *   approved|suspended ─revoke→ revoked;  suspended ─reject→ revoked
 *   an edit of a decided exception is a pending revision with its own review; the decided
 *   revision stays in force until the new one is approved (then it is superseded).
 */

export interface ExceptionRecord extends Omit<PolicyException, 'effectiveStatus'> {
  expiryNotifiedAt?: string;
  reviewDueNotifiedAt?: string;
  /** Optimistic-concurrency counter; every stored change bumps it. */
  version: number;
}

/** What a requester sends for one revision (validated by the common schema). */
export interface ContentInput {
  scope: { entityRefs: string[]; findingKey?: string };
  justification: string;
  reasonCategory: ExceptionContent['reasonCategory'];
  risk: { likelihood: RiskLevel; impact: RiskLevel; rating?: string };
  compensatingControls: ExceptionContent['compensatingControls'];
  owner: string;
  startsAt?: string;
  endsAt: string;
  ticket?: string;
}

const DAY = 86_400_000;
const iso = (d: Date | number) => new Date(d).toISOString();

/**
 * Turns input into stored content: default start now, rating derived from likelihood × impact,
 * the window capped by the rating's longest duration (a 400 naming endsAt), no start in the past.
 */
export function prepareContent(input: ContentInput, now: Date, settings: ExceptionSettings): ExceptionContent {
  const rating = riskRating(input.risk.likelihood, input.risk.impact);
  const startsAt = input.startsAt ? Date.parse(input.startsAt) : now.getTime();
  const endsAt = Date.parse(input.endsAt);
  if (startsAt < now.getTime() - settings.startGraceMinutes * 60_000) {
    throw new InputError('startsAt: must not be in the past');
  }
  if (endsAt <= startsAt) throw new InputError('endsAt: must be after the start');
  if (endsAt <= now.getTime()) throw new InputError('endsAt: must be in the future');
  const maxDays = settings.maxDurationDays[rating];
  if (endsAt - startsAt > maxDays * DAY) {
    throw new InputError(`endsAt: a ${rating}-risk exception lasts at most ${maxDays} days from its start`);
  }
  return {
    scope: {
      entityRefs: input.scope.entityRefs.map(r => r.toLocaleLowerCase('en-US')),
      ...(input.scope.findingKey !== undefined ? { findingKey: input.scope.findingKey } : {}),
    },
    justification: input.justification,
    reasonCategory: input.reasonCategory,
    risk: { likelihood: input.risk.likelihood, impact: input.risk.impact, rating },
    compensatingControls: input.compensatingControls,
    owner: input.owner.toLocaleLowerCase('en-US'),
    startsAt: iso(startsAt),
    endsAt: iso(endsAt),
    ...(input.ticket ? { ticket: input.ticket } : {}),
  };
}

export function newException(args: {
  id: string;
  controlId: string;
  requester: string;
  content: ExceptionContent;
  submit: boolean;
  now: Date;
}): { record: ExceptionRecord; revision: ExceptionRevision } {
  const at = iso(args.now);
  const record: ExceptionRecord = {
    id: args.id,
    controlId: args.controlId,
    requester: args.requester,
    status: args.submit ? 'submitted' : 'draft',
    revision: 1,
    content: args.content,
    requiredApprovals: requiredApprovalsFor(args.content.risk.rating),
    round: 1,
    reviews: [],
    createdAt: at,
    updatedAt: at,
    ...(args.submit ? { submittedAt: at } : {}),
    version: 1,
  };
  return {
    record,
    revision: { revision: 1, content: args.content, createdBy: args.requester, createdAt: at, outcome: args.submit ? 'pending' : 'draft', reviews: [] },
  };
}

/** Approved or suspended and not yet past its end: a decided exception that still matters. */
export function isLive(rec: ExceptionRecord, now: Date): boolean {
  const s = effectiveStatus({ status: rec.status, startsAt: rec.content.startsAt, endsAt: rec.content.endsAt }, now);
  return s === 'active' || s === 'approved' || s === 'suspended';
}

export function submitDraft(rec: ExceptionRecord, actor: string, now: Date): ExceptionRecord {
  if (actor !== rec.requester) throw new NotAllowedError('only the requester submits a draft');
  if (rec.status !== 'draft') throw new ConflictError(`exception is ${rec.status}, not a draft`);
  if (Date.parse(rec.content.endsAt) <= now.getTime()) throw new InputError('endsAt: must be in the future');
  return { ...rec, status: 'submitted', submittedAt: iso(now), updatedAt: iso(now) };
}

export type ReviseResult = {
  record: ExceptionRecord;
  /** The revision row to insert (or, for a draft edited in place, to replace). */
  revision: ExceptionRevision;
  /** A revision whose outcome becomes `superseded`. */
  superseded?: number;
  action: 'draft-edited' | 'revised' | 'revision-proposed';
};

/**
 * An edit. A draft changes in place; a submitted exception gets a new revision (earlier reviews no
 * longer count); a decided (approved or suspended) one gets a pending revision with its own
 * review while the decided revision stays in force. Ended exceptions are not edited.
 */
export function revise(rec: ExceptionRecord, actor: string, content: ExceptionContent, submit: boolean, now: Date): ReviseResult {
  const at = iso(now);
  if (rec.status === 'draft' || rec.status === 'submitted') {
    if (actor !== rec.requester) throw new NotAllowedError('only the requester edits an undecided exception');
    if (rec.status === 'draft') {
      const status = submit ? 'submitted' : 'draft';
      return {
        record: {
          ...rec, content, status, requiredApprovals: requiredApprovalsFor(content.risk.rating), updatedAt: at,
          ...(submit ? { submittedAt: at } : {}),
        },
        revision: { revision: rec.revision, content, createdBy: actor, createdAt: at, outcome: submit ? 'pending' : 'draft', reviews: [] },
        action: 'draft-edited',
      };
    }
    const next = rec.revision + 1;
    return {
      record: { ...rec, content, revision: next, round: 1, reviews: [], requiredApprovals: requiredApprovalsFor(content.risk.rating), updatedAt: at },
      revision: { revision: next, content, createdBy: actor, createdAt: at, outcome: 'pending', reviews: [] },
      superseded: rec.revision,
      action: 'revised',
    };
  }
  if (isLive(rec, now)) {
    if (actor !== rec.requester && actor !== rec.content.owner) {
      throw new NotAllowedError('only the requester or the owner proposes a revision');
    }
    const next = Math.max(rec.revision, rec.pendingRevision?.revision ?? 0) + 1;
    return {
      record: { ...rec, pendingRevision: { revision: next, content, createdBy: actor, createdAt: at }, updatedAt: at },
      revision: { revision: next, content, createdBy: actor, createdAt: at, outcome: 'pending', reviews: [] },
      superseded: rec.pendingRevision?.revision,
      action: 'revision-proposed',
    };
  }
  throw new ConflictError(`exception is ${effectiveStatus({ status: rec.status, startsAt: rec.content.startsAt, endsAt: rec.content.endsAt }, now)}; file a new exception instead`);
}

/** What a review decides: a first decision, a re-approval after suspension, or a pending revision. */
export interface ReviewTarget {
  kind: 'initial' | 'reapproval' | 'revision';
  revision: number;
  round: number;
  content: ExceptionContent;
  requiredApprovals: number;
}

export function reviewTarget(rec: ExceptionRecord, now: Date): ReviewTarget {
  if (rec.status === 'submitted') {
    return { kind: 'initial', revision: rec.revision, round: rec.round, content: rec.content, requiredApprovals: rec.requiredApprovals };
  }
  if (isLive(rec, now) && rec.pendingRevision) {
    const p = rec.pendingRevision;
    return { kind: 'revision', revision: p.revision, round: 1, content: p.content, requiredApprovals: requiredApprovalsFor(p.content.risk.rating) };
  }
  if (rec.status === 'suspended' && isLive(rec, now)) {
    return { kind: 'reapproval', revision: rec.revision, round: rec.round, content: rec.content, requiredApprovals: rec.requiredApprovals };
  }
  throw new ConflictError(
    `exception is ${effectiveStatus({ status: rec.status, startsAt: rec.content.startsAt, endsAt: rec.content.endsAt }, now)}; there is nothing to review`,
  );
}

/**
 * Who may decide: a CURRENT member of the security reviewers group (resolved from the catalog
 * by the caller), never the requester, never the owner (of the revision in force or proposed),
 * never the author of the proposed revision.
 */
export function checkReviewer(rec: ExceptionRecord, target: ReviewTarget, reviewer: string, eligible: boolean, reviewerGroup: string): void {
  if (!eligible) throw new NotAllowedError(`only current members of ${reviewerGroup} review exceptions`);
  if (reviewer === rec.requester) throw new NotAllowedError('no self-approval: you requested this exception');
  if (reviewer === rec.content.owner || reviewer === target.content.owner) {
    throw new NotAllowedError('the owner of an exception cannot review it');
  }
  if (target.kind === 'revision' && rec.pendingRevision?.createdBy === reviewer) {
    throw new NotAllowedError('no self-approval: you proposed this revision');
  }
}

export type ReviewOutcome = 'pending' | 'approved' | 'rejected' | 'reapproved' | 'revoked' | 'revision-approved' | 'revision-rejected';

export function applyReview(
  rec: ExceptionRecord,
  existing: ExceptionReview[],
  input: { reviewer: string; decision: ReviewDecision; comment: string; eligible: boolean },
  now: Date,
  settings: ExceptionSettings,
): { record: ExceptionRecord; review: ExceptionReview; outcome: ReviewOutcome; target: ReviewTarget } {
  const target = reviewTarget(rec, now);
  checkReviewer(rec, target, input.reviewer, input.eligible, settings.reviewerGroup);
  const round = existing.filter(r => r.revision === target.revision && r.round === target.round);
  if (round.some(r => r.reviewer === input.reviewer)) throw new ConflictError('you have already reviewed this');
  if (input.decision === 'approve' && Date.parse(target.content.endsAt) <= now.getTime()) {
    throw new ConflictError('the requested end has passed; it can no longer be approved');
  }
  const at = iso(now);
  const review: ExceptionReview = {
    reviewer: input.reviewer, decision: input.decision, comment: input.comment, revision: target.revision, round: target.round, createdAt: at,
  };
  const reviews = [...rec.reviews, review];
  if (input.decision === 'reject') {
    if (target.kind === 'initial') return { record: { ...rec, status: 'rejected', reviews, updatedAt: at }, review, outcome: 'rejected', target };
    if (target.kind === 'revision') {
      return { record: { ...rec, pendingRevision: undefined, reviews, updatedAt: at }, review, outcome: 'revision-rejected', target };
    }
    return {
      record: { ...rec, status: 'revoked', revokedReason: input.comment, reviews, updatedAt: at },
      review, outcome: 'revoked', target,
    };
  }
  const approvers = [...new Set([...round.filter(r => r.decision === 'approve').map(r => r.reviewer), input.reviewer])];
  if (approvers.length < target.requiredApprovals) return { record: { ...rec, reviews, updatedAt: at }, review, outcome: 'pending', target };
  const cadence = settings.reviewCadenceDays[target.content.risk.rating] * DAY;
  const nextReview = now.getTime() + cadence;
  const decided: ExceptionRecord = {
    ...rec,
    status: 'approved',
    content: target.content,
    revision: target.revision,
    round: target.kind === 'revision' ? 1 : rec.round,
    requiredApprovals: target.requiredApprovals,
    pendingRevision: undefined,
    suspension: undefined,
    approvedAt: at,
    approvedBy: approvers,
    lastReviewedAt: at,
    nextReviewAt: nextReview < Date.parse(target.content.endsAt) ? iso(nextReview) : undefined,
    reviews,
    updatedAt: at,
    expiryNotifiedAt: target.kind === 'revision' ? undefined : rec.expiryNotifiedAt,
    reviewDueNotifiedAt: undefined,
  };
  const outcomes: Record<ReviewTarget['kind'], ReviewOutcome> = { initial: 'approved', reapproval: 'reapproved', revision: 'revision-approved' };
  const outcome = outcomes[target.kind];
  return { record: decided, review, outcome, target };
}

/** The requester withdraws an undecided exception, or the pending revision of a decided one. */
export function withdraw(rec: ExceptionRecord, actor: string, now: Date): { record: ExceptionRecord; revision: number; what: 'exception' | 'revision' } {
  const at = iso(now);
  if (rec.status === 'draft' || rec.status === 'submitted') {
    if (actor !== rec.requester) throw new NotAllowedError('only the requester withdraws an exception');
    return { record: { ...rec, status: 'withdrawn', updatedAt: at }, revision: rec.revision, what: 'exception' };
  }
  if (rec.pendingRevision && isLive(rec, now)) {
    if (actor !== rec.requester && actor !== rec.pendingRevision.createdBy) {
      throw new NotAllowedError('only the requester or the author withdraws a proposed revision');
    }
    return { record: { ...rec, pendingRevision: undefined, updatedAt: at }, revision: rec.pendingRevision.revision, what: 'revision' };
  }
  throw new ConflictError(`exception is ${rec.status}; nothing to withdraw (a decided exception is revoked by a reviewer)`);
}

export function revoke(rec: ExceptionRecord, actor: string, eligible: boolean, reason: string, now: Date, reviewerGroup: string): ExceptionRecord {
  if (!eligible) throw new NotAllowedError(`only current members of ${reviewerGroup} revoke exceptions`);
  if (!isLive(rec, now)) throw new ConflictError(`exception is ${effectiveStatus({ status: rec.status, startsAt: rec.content.startsAt, endsAt: rec.content.endsAt }, now)}; only an approved or suspended exception can be revoked`);
  void actor;
  return { ...rec, status: 'revoked', revokedReason: reason, pendingRevision: undefined, updatedAt: iso(now) };
}

/**
 * A compensating control failed or the scope drifted: the exception stops covering at once and
 * waits for a re-approval (a new review round). Returns undefined when there is nothing to suspend.
 */
export function suspend(rec: ExceptionRecord, cause: SuspensionCause, detail: string, now: Date): ExceptionRecord | undefined {
  if (rec.status !== 'approved' || !isLive(rec, now)) return undefined;
  const at = iso(now);
  return { ...rec, status: 'suspended', round: rec.round + 1, suspension: { cause, detail, at }, updatedAt: at };
}

/** A reviewer's periodic look at an approved exception: resets the cadence. */
export function reReview(rec: ExceptionRecord, actor: string, eligible: boolean, now: Date, settings: ExceptionSettings): ExceptionRecord {
  if (rec.status !== 'approved' || !isLive(rec, now)) throw new ConflictError('only an approved exception that has not ended is re-reviewed');
  checkReviewer(rec, { kind: 'initial', revision: rec.revision, round: rec.round, content: rec.content, requiredApprovals: 1 }, actor, eligible, settings.reviewerGroup);
  const at = iso(now);
  const next = now.getTime() + settings.reviewCadenceDays[rec.content.risk.rating] * DAY;
  return {
    ...rec, lastReviewedAt: at, nextReviewAt: next < Date.parse(rec.content.endsAt) ? iso(next) : undefined, reviewDueNotifiedAt: undefined, updatedAt: at,
  };
}

/** Whether a re-review is due at `now`. */
export function reviewDue(rec: ExceptionRecord, now: Date): boolean {
  return rec.status === 'approved' && isLive(rec, now) && !!rec.nextReviewAt && Date.parse(rec.nextReviewAt) <= now.getTime();
}

/** The coverage view of a stored exception (its revision in force). */
export function toCoverage(rec: Pick<ExceptionRecord, 'id' | 'controlId' | 'status' | 'content' | 'approvedBy'>): CoverageRecord {
  return {
    id: rec.id,
    controlId: rec.controlId,
    status: rec.status,
    scope: rec.content.scope,
    startsAt: rec.content.startsAt,
    endsAt: rec.content.endsAt,
    owner: rec.content.owner,
    approvedBy: rec.approvedBy ?? [],
  };
}
