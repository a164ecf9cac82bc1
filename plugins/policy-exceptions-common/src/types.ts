/**
 * Types of the policy-exceptions REST API: an exception to one control of the controls catalog
 * (`@internal/plugin-security-controls-common`) for an exact scope, with compensating controls,
 * a risk rating, reviewers and an end date.
 */

/** Likelihood and impact of the risk the exception leaves open. */
export type RiskLevel = 'low' | 'medium' | 'high';
export const RISK_LEVELS: readonly RiskLevel[] = ['low', 'medium', 'high'];

/** The resulting rating (likelihood × impact, see riskRating). */
export type RiskRating = 'low' | 'medium' | 'high' | 'critical';
export const RISK_RATINGS: readonly RiskRating[] = ['low', 'medium', 'high', 'critical'];

export interface Risk {
  likelihood: RiskLevel;
  impact: RiskLevel;
  /** Always derived from likelihood and impact (riskRating); never chosen freely. */
  rating: RiskRating;
}

/** Why the exception is asked for (research/access.md §4 reason taxonomy). */
export type ReasonCategory =
  | 'operational-requirement'
  | 'false-positive'
  | 'risk-accepted'
  | 'vendor-dependency';
export const REASON_CATEGORIES: readonly ReasonCategory[] = [
  'operational-requirement',
  'false-positive',
  'risk-accepted',
  'vendor-dependency',
];

/**
 * The exact subject of an exception: one or more catalog entities, optionally narrowed to one
 * finding of the control on them (e.g. `egress:data.example.org` or `sha256:<hex>`).
 * Without a finding key the exception covers every finding of the control on those entities.
 */
export interface ExceptionScope {
  entityRefs: string[];
  findingKey?: string;
}

/** Another control of the catalog whose check must keep passing on the same scope. */
export interface CatalogCompensatingControl {
  kind: 'catalog';
  controlId: string;
}

/**
 * A measure described in the words of the PCI DSS compensating-controls worksheet
 * (PCI DSS v4 Appendix C), with an owner and evidence.
 */
export interface DescribedCompensatingControl {
  kind: 'described';
  /** The compensating control itself (worksheet: "definition of compensating controls"). */
  measure: string;
  owner: string;
  evidence: string;
  /** Worksheet 1: the legitimate technical or business constraints. */
  constraint: string;
  /** Worksheet 3: the objective of the original control, and how this one meets it. */
  objective: string;
  /** Worksheet 4: the risk posed by the lack of the original control. */
  identifiedRisk: string;
  /** Worksheet 5: how the compensating control was validated and tested. */
  validation: string;
  /** Worksheet 6: the process in place to maintain it. */
  maintenance: string;
}

export type CompensatingControl = CatalogCompensatingControl | DescribedCompensatingControl;

/** What a requester writes; every revision carries a complete copy. */
export interface ExceptionContent {
  scope: ExceptionScope;
  justification: string;
  reasonCategory: ReasonCategory;
  risk: Risk;
  compensatingControls: CompensatingControl[];
  /** The person (user entity ref) accountable for the exception and its compensating controls. */
  owner: string;
  /** ISO timestamps; the end is mandatory and capped by the rating's longest duration. */
  startsAt: string;
  endsAt: string;
  ticket?: string;
}

/**
 * Stored states. `active` and `expired` are never stored: they are `approved` seen at a time
 * inside or past [startsAt, endsAt) (see effectiveStatus), so no batch job is needed for an
 * exception to end.
 */
export type StoredExceptionStatus =
  | 'draft'
  | 'submitted'
  | 'approved'
  | 'rejected'
  | 'withdrawn'
  | 'revoked'
  | 'suspended';

export type ExceptionStatus = StoredExceptionStatus | 'active' | 'expired';
export const EXCEPTION_STATUSES: readonly ExceptionStatus[] = [
  'draft',
  'submitted',
  'approved',
  'active',
  'expired',
  'rejected',
  'withdrawn',
  'revoked',
  'suspended',
];

export type ReviewDecision = 'approve' | 'reject';

export interface ExceptionReview {
  reviewer: string;
  decision: ReviewDecision;
  comment: string;
  /** The revision and round the review belongs to; a new round starts after each suspension. */
  revision: number;
  round: number;
  createdAt: string;
}

export type RevisionOutcome = 'draft' | 'pending' | 'approved' | 'rejected' | 'withdrawn' | 'superseded';

/** One revision of an exception: its content, who proposed it and who decided it. */
export interface ExceptionRevision {
  revision: number;
  content: ExceptionContent;
  createdBy: string;
  createdAt: string;
  outcome: RevisionOutcome;
  decidedAt?: string;
  decidedBy?: string[];
  reviews: ExceptionReview[];
}

export type SuspensionCause = 'compensating-control-failing' | 'scope-drift';

export interface Suspension {
  cause: SuspensionCause;
  detail: string;
  at: string;
}

/** The state of one catalog compensating control as last checked. */
export interface CompensatingCheck {
  controlId: string;
  entityRef: string;
  status: 'passing' | 'failing' | 'unknown';
  detail?: string;
  checkedAt: string;
}

export interface PolicyException {
  id: string;
  controlId: string;
  requester: string;
  /** Stored status; see effectiveStatus for the status at a given time. */
  status: StoredExceptionStatus;
  /** Status at the time of the response (computed with the server clock). */
  effectiveStatus?: ExceptionStatus;
  /** The revision the status applies to (the one in force once approved). */
  revision: number;
  content: ExceptionContent;
  /** An edit of a decided exception under review; the decided revision stays in force meanwhile. */
  pendingRevision?: { revision: number; content: ExceptionContent; createdBy: string; createdAt: string };
  /** Approvals needed for the current decision (2 for high and critical risk). */
  requiredApprovals: number;
  /** Decision round of the current revision (1, then +1 after each suspension). */
  round: number;
  reviews: ExceptionReview[];
  approvedAt?: string;
  approvedBy?: string[];
  lastReviewedAt?: string;
  /** When a reviewer must look at it again (cadence by risk rating). */
  nextReviewAt?: string;
  suspension?: Suspension;
  revokedReason?: string;
  createdAt: string;
  updatedAt: string;
  submittedAt?: string;
}

/** One entry of an exception's own history (the audit trail shows the same actions). */
export interface ExceptionHistoryEntry {
  at: string;
  actor: string;
  action: string;
  revision: number;
  detail?: string;
}

export interface ExceptionDetails {
  exception: PolicyException;
  revisions: ExceptionRevision[];
  history: ExceptionHistoryEntry[];
  checks: CompensatingCheck[];
}

/** The subject a caller asks about: one entity, optionally one finding of the control on it. */
export interface ExceptionSubject {
  entityRef: string;
  findingKey?: string;
}

/** The one answer to "is this finding covered?". */
export interface IsExceptedResult {
  excepted: boolean;
  controlId: string;
  subject: ExceptionSubject;
  at: string;
  /** When excepted: the covering exception, its end and who approved it. */
  exceptionId?: string;
  until?: string;
  approvedBy?: string[];
  owner?: string;
}

/** An active exception as exports and the posture CLI read it. */
export interface ActiveExceptionExport {
  id: string;
  controlId: string;
  revision: number;
  scope: ExceptionScope;
  startsAt: string;
  endsAt: string;
  owner: string;
  requester: string;
  approvedBy: string[];
  approvedAt?: string;
  risk: Risk;
  reasonCategory: ReasonCategory;
  justification: string;
  compensatingControls: CompensatingControl[];
}

export interface ExceptionsExport {
  generatedAt: string;
  /** The time the export answers for: an exception is listed when it is active at this time. */
  at: string;
  items: ActiveExceptionExport[];
}
