/** Policy kinds: rigid = fixed approvers, no overrides; flexible = owner approvers, self-service roles allowed. */
export type PolicyKind = 'rigid' | 'flexible';

/**
 * One approval step: `count` DISTINCT people who are CURRENT members of `group` must approve.
 * `group: owner` in policy YAML is resolved to the resource's owner group when the policy is frozen.
 */
export interface ApprovalStep {
  group: string;
  count: number;
}

export interface RoleProvisionerSpec {
  type: string;
  [key: string]: unknown;
}

export interface AccessRole {
  id: string;
  title: string;
  description?: string;
  allows: string[];
  /** 1 = narrowest; higher = broader */
  privilege: number;
  provisioner?: RoleProvisionerSpec;
  /** ALL steps must be met, each by distinct people (one person never satisfies two steps). */
  approvals: ApprovalStep[];
  /** flexible policies only: the request is approved at creation (audited). */
  selfService?: boolean;
}

export interface AccessPolicy {
  name: string;
  kind: PolicyKind;
  title?: string;
  description?: string;
  maxDurationMinutes: number;
  requireJustification: boolean;
  requireTicket: boolean;
  /** Pattern a ticket reference must match (optional). */
  ticketPattern?: string;
  /** How long a request may stay pending before it expires (default 1440 = 24h). */
  decisionTimeoutMinutes?: number;
  /** flexible only: how many distinct eligible denials end the request (default 1; rigid is always 1). */
  denialsToReject?: number;
  /** Whether platform admins may use break-glass on resources under this policy (default true). */
  allowBreakGlass?: boolean;
  roles: AccessRole[];
}

/** The policy as it was when a request was created; later edits to the YAML never change it. */
export interface FrozenPolicy extends AccessPolicy {
  /** The requested role, with `owner` already resolved to a group ref. */
  roleId: string;
  frozenAt: string;
  /** Version marker of the policy file (sha256 of its content) */
  digest?: string;
}

/** What lists show about a resource's policy. */
export interface FrozenPolicySummary {
  name: string;
  kind: PolicyKind;
  title?: string;
  maxDurationMinutes: number;
  requireJustification: boolean;
  requireTicket: boolean;
  /** false when the policy forbids break-glass (absent: allowed) */
  allowBreakGlass?: boolean;
  /** How long a request may stay pending before it expires, in minutes */
  decisionTimeoutMinutes?: number;
  roles: Array<
    Pick<AccessRole, 'id' | 'title' | 'description' | 'allows' | 'privilege' | 'approvals' | 'selfService'>
  >;
}

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn';
export type ReviewDecision = 'approve' | 'deny';

export interface Review {
  reviewer: string;
  decision: ReviewDecision;
  comment: string;
  createdAt: string;
  /** The step group this approval was counted for (computed by remainingApprovals). */
  asGroup?: string;
  /** The step groups the reviewer was a CURRENT member of when reviewing. */
  eligibleGroups: string[];
}

export interface RemainingApproval {
  group: string;
  needed: number;
  have: number;
}

export interface ResourceSnapshot {
  entityRef: string;
  kind: string;
  type?: string;
  title?: string;
  annotations: Record<string, string>;
}

export interface AccessRequest {
  id: string;
  resourceRef: string;
  roleId: string;
  requester: string;
  justification: string;
  ticket?: string;
  durationMinutes: number;
  status: RequestStatus;
  createdAt: string;
  decidedAt?: string;
  /** decision deadline: a request still pending at this time expires */
  expiresAt: string;
  policy: FrozenPolicy;
  reviews: Review[];
  remaining: RemainingApproval[];
  grantId?: string;
  renewsGrantId?: string;
  selfService?: boolean;
}

export type GrantStatus = 'scheduled' | 'active' | 'expired' | 'revoked' | 'failed';
export type ProvisioningState = 'pending' | 'provisioned' | 'failed' | 'deprovisioned';

export interface GrantHistoryEntry {
  at: string;
  event: string;
  actor: string;
  details?: Record<string, unknown>;
}

export interface PostHocReview {
  reviewer: string;
  decision: 'confirm' | 'flag';
  comment: string;
  createdAt: string;
}

export interface Grant {
  id: string;
  requestId?: string;
  resourceRef: string;
  roleId: string;
  userRef: string;
  status: GrantStatus;
  startsAt: string;
  expiresAt: string;
  breakGlass: boolean;
  justification?: string;
  provisioning: { state: ProvisioningState; error?: string; externalId?: string };
  history: GrantHistoryEntry[];
  /** computed by isGrantActive at response time */
  active?: boolean;
  /** break-glass grants only */
  postHocReviews?: PostHocReview[];
  postHocReviewsNeeded?: number;
}

export interface SuggestionCandidate {
  resourceRef: string;
  resourceTitle: string;
  resourceDescription: string;
  roleId: string;
  roleTitle: string;
  roleDescription: string;
  allows: string[];
  privilege: number;
}

export interface RoleSuggestion {
  resourceRef: string;
  roleId: string;
  explanation: string;
  source: 'llm' | 'deterministic';
  rejectedLlmSuggestion?: { roleId: string; reason: string };
}

export interface ResourceListItem {
  entityRef: string;
  title: string;
  description: string;
  type?: string;
  policy: FrozenPolicySummary;
}

export interface ResourceDetails {
  entityRef: string;
  title?: string;
  policy: FrozenPolicySummary;
  activeGrants: Grant[];
  history: Grant[];
}

/**
 * GET /decision-times: the median time from asking to the decision of the most recent decided
 * (approved or denied, not self-service) requests the caller may read, on the resource — or,
 * when it has too few, on every resource of the same policy.
 */
export interface DecisionTimeSummary {
  basis: 'resource' | 'policy' | 'none';
  /** how many decided requests the median is taken over */
  decided: number;
  medianMinutes?: number;
}
