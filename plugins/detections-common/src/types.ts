/**
 * Types of the detections family (issue 10). Severity and SourceId mirror the ones of
 * `@internal/detection-rules` (a node library the frontend must not load); the backend checks at
 * compile time that both stay the same.
 */

export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** Where an event came from, recognised from its content. */
export type SourceId =
  | 'entra_signin'
  | 'entra_risk'
  | 'storage_blob'
  | 'k8s_audit'
  | 'azure_firewall'
  | 'hubble'
  | 'portal_audit';
export const SOURCE_IDS: readonly SourceId[] = [
  'entra_signin',
  'entra_risk',
  'storage_blob',
  'k8s_audit',
  'azure_firewall',
  'hubble',
  'portal_audit',
];

export type AlertStatus = 'new' | 'acknowledged' | 'closed';
export const ALERT_STATUSES: readonly AlertStatus[] = ['new', 'acknowledged', 'closed'];

export type CloseReason = 'true_positive' | 'benign_positive' | 'false_positive';
export const CLOSE_REASONS: readonly CloseReason[] = ['true_positive', 'benign_positive', 'false_positive'];

export type AlertAction =
  | 'opened'
  | 'updated'
  | 'acknowledged'
  | 'assigned'
  | 'noted'
  | 'closed'
  | 'reopened'
  | 'grants-revoked';

export interface AlertHistoryEntry {
  at: string;
  /** User entity ref, or `detections` for what the engine did. */
  actor: string;
  action: AlertAction;
  comment?: string;
}

export interface Alert {
  id: string;
  rule: string;
  title: string;
  severity: Severity;
  /** As seen in logs (UPN, k8s user, object id). */
  principal: string;
  /** User entity ref when resolved from the catalog. */
  principalRef?: string;
  /** As seen (account/container, namespace, host). */
  resource: string;
  /** Catalog entity ref (weight store, cluster, namespace) when known. */
  resourceRef?: string;
  status: AlertStatus;
  closeReason?: CloseReason;
  assignee?: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  details?: Record<string, unknown>;
  history: AlertHistoryEntry[];
  createdAt: string;
  updatedAt: string;
}

export type Outcome = 'success' | 'failure' | 'unknown';

export interface EventActor {
  name?: string;
  uid?: string;
  upn?: string;
  type: 'user' | 'service' | 'anonymous' | 'unknown';
  appId?: string;
  appName?: string;
  groups?: string[];
}

export interface EventEndpoint {
  ip?: string;
  port?: number;
  host?: string;
  country?: string;
  city?: string;
  lat?: number;
  lon?: number;
  namespace?: string;
  pod?: string;
}

export interface EventResource {
  type: string;
  name: string;
  azureId?: string;
  account?: string;
  container?: string;
  objectKey?: string;
  namespace?: string;
  subresource?: string;
}

export interface EventAuth {
  method?: string;
  mfa?: boolean;
  requirement?: string;
  riskLevel?: string;
  riskLevelAggregated?: string;
  riskState?: string;
  riskDetail?: string;
  riskEventTypes?: string[];
  errorCode?: number;
  interactive?: boolean;
  caStatus?: string;
  app?: string;
}

/** A normalised event as stored: the DetectionEvent of detection-rules minus `view`, time as ISO. */
export interface StoredEvent {
  /** Stored id (the portal's own, unique). */
  id: string;
  /** Content hash of the original record: the idempotency key of ingest. */
  key: string;
  /** The source's own id of the record (signIn id, auditID, …) when it has one. */
  sourceId?: string;
  source: SourceId;
  classUid: number;
  className: string;
  activity: string;
  time: string;
  outcome: Outcome;
  statusCode?: string;
  statusDetail?: string;
  actor: EventActor;
  src?: EventEndpoint;
  dst?: EventEndpoint;
  resource?: EventResource;
  auth?: EventAuth;
  bytes?: number;
  /** The original record (only in `GET /events/:id`). */
  raw?: unknown;
}

export interface IngestLineError {
  line: number;
  error: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: IngestLineError[];
  detections: number;
  alertsOpened: number;
  alertsUpdated: number;
}

export interface SeverityCounts {
  informational: number;
  low: number;
  medium: number;
  high: number;
  critical: number;
}

export interface DashboardSummary {
  from: string;
  to: string;
  totals: { events: number; alertsOpen: number; alertsBySeverity: Record<Severity, number> };
  alertsOverTime: Array<{ bucket: string } & SeverityCounts>;
  openAlertsByRule: Array<{ rule: string; title: string; count: number }>;
  topPrincipals: Array<{ principal: string; principalRef?: string; alerts: number }>;
  topResources: Array<{ resource: string; resourceRef?: string; alerts: number }>;
  signInsByCountry: Array<{ country: string; success: number; failure: number }>;
  egressDeniesByDestination: Array<{ destination: string; count: number }>;
  /** principalRef: the catalog user the principal (UPN, e-mail, object id) is, when known */
  weightReadsByPrincipal: Array<{ principal: string; principalRef?: string; bytes: number; reads: number }>;
}

export interface RuleSummary {
  id: string;
  title: string;
  severity: Severity;
  description?: string;
  sources: SourceId[];
  kind: 'sigma' | 'stateful';
  kql?: string;
  attribution?: string;
}

/** A grant an alert's revoke would end (from the access-requests grant export). */
export interface AlertGrant {
  grantId: string;
  userRef: string;
  resourceRef: string;
  role?: string;
  end: string;
}

export interface RevokedGrant {
  grantId: string;
  resourceRef: string;
  userRef: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface AlertPage extends Page<Alert> {
  totalCount: number;
}
