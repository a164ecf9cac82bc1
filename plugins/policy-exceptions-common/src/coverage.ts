import {
  ExceptionScope,
  ExceptionStatus,
  ExceptionSubject,
  IsExceptedResult,
  RISK_LEVELS,
  RiskLevel,
  RiskRating,
  StoredExceptionStatus,
} from './types';

/**
 * Likelihood × impact → rating. The sum of the two levels (0–4) maps to
 * low, low, medium, high, critical: high × high is critical; high × medium is high.
 */
export function riskRating(likelihood: RiskLevel, impact: RiskLevel): RiskRating {
  const score = RISK_LEVELS.indexOf(likelihood) + RISK_LEVELS.indexOf(impact);
  return (['low', 'low', 'medium', 'high', 'critical'] as const)[score];
}

/** High and critical risk need two distinct security reviewers; the rest one. */
export function requiredApprovalsFor(rating: RiskRating): number {
  return rating === 'high' || rating === 'critical' ? 2 : 1;
}

/** The status of an exception at a time: `approved` inside its window is active, past it expired. */
export function effectiveStatus(
  e: { status: StoredExceptionStatus; startsAt: string; endsAt: string },
  at: Date,
): ExceptionStatus {
  const t = at.getTime();
  if (e.status === 'approved' || e.status === 'suspended') {
    if (t >= Date.parse(e.endsAt)) return 'expired';
    if (e.status === 'approved' && t >= Date.parse(e.startsAt)) return 'active';
  }
  return e.status;
}

/** Entity refs compare case-insensitively, as the catalog does. */
export function normalizeEntityRef(ref: string): string {
  return ref.trim().toLocaleLowerCase('en-US');
}

/** Whether a scope covers a subject: the entity is in scope, and the finding matches if narrowed. */
export function scopeCovers(scope: ExceptionScope, subject: ExceptionSubject): boolean {
  const ref = normalizeEntityRef(subject.entityRef);
  if (!scope.entityRefs.some(r => normalizeEntityRef(r) === ref)) return false;
  if (scope.findingKey === undefined) return true;
  return subject.findingKey !== undefined && subject.findingKey === scope.findingKey;
}

/** What coverage needs to know about a stored exception (its in-force revision). */
export interface CoverageRecord {
  id: string;
  controlId: string;
  status: StoredExceptionStatus;
  scope: ExceptionScope;
  startsAt: string;
  endsAt: string;
  owner: string;
  approvedBy?: string[];
}

/**
 * THE answer to "is this finding covered at this time?", shared by the backend's
 * `GET /is-excepted`, its exports and any reader of an export (the posture CLI): a function of
 * the stored exceptions and the time, nothing else. Only an `approved` exception whose window
 * contains `at` covers; suspended, revoked, expired and undecided ones never do. Among several
 * covering exceptions the one that lasts longest is named.
 */
export function isExceptedAmong(
  records: Iterable<CoverageRecord>,
  controlId: string,
  subject: ExceptionSubject,
  at: Date,
): IsExceptedResult {
  let best: CoverageRecord | undefined;
  for (const r of records) {
    if (r.controlId !== controlId) continue;
    if (effectiveStatus(r, at) !== 'active') continue;
    if (!scopeCovers(r.scope, subject)) continue;
    if (!best || Date.parse(r.endsAt) > Date.parse(best.endsAt)) best = r;
  }
  const base = { controlId, subject, at: at.toISOString() };
  if (!best) return { excepted: false, ...base };
  return {
    excepted: true,
    ...base,
    exceptionId: best.id,
    until: best.endsAt,
    approvedBy: best.approvedBy ?? [],
    owner: best.owner,
  };
}

/** "excepted until 14 Dec 2026, by Bob, Carol" — how a covered finding reads (never "passing"). */
export function describeCoverage(
  r: IsExceptedResult,
  displayName: (ref: string) => string = ref => ref.replace(/^[^:]+:(?:[^/]+\/)?/, ''),
): string {
  if (!r.excepted) return 'open';
  const by = (r.approvedBy ?? []).map(displayName).join(', ');
  return `excepted until ${r.until}${by ? `, by ${by}` : ''}`;
}

/**
 * isExcepted answered from a JSON export (`GET /export`), for readers without the API such as
 * the posture CLI. Same function as the backend's; items of an export are approved exceptions,
 * so an item covers only while `at` is inside its window.
 */
export function isExceptedFromExport(
  exported: { items: Array<{ id: string; controlId: string; scope: ExceptionScope; startsAt: string; endsAt: string; owner: string; approvedBy?: string[] }> },
  controlId: string,
  subject: ExceptionSubject,
  at: Date,
): IsExceptedResult {
  return isExceptedAmong(
    exported.items.map(i => ({ ...i, status: 'approved' as const })),
    controlId,
    subject,
    at,
  );
}
