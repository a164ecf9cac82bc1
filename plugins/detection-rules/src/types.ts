/** Where an event came from, recognised from its content. */
export type SourceId =
  | 'entra_signin'
  | 'entra_risk'
  | 'storage_blob'
  | 'k8s_audit'
  | 'azure_firewall'
  | 'hubble'
  | 'portal_audit';

export const SOURCE_IDS: SourceId[] = [
  'entra_signin',
  'entra_risk',
  'storage_blob',
  'k8s_audit',
  'azure_firewall',
  'hubble',
  'portal_audit',
];

/** OCSF classes used (class_uid = category_uid * 1000 + uid). */
export const OCSF_CLASSES = {
  authentication: { uid: 3002, name: 'Authentication', category: 3 },
  api_activity: { uid: 6003, name: 'API Activity', category: 6 },
  network_activity: { uid: 4001, name: 'Network Activity', category: 4 },
  detection_finding: { uid: 2004, name: 'Detection Finding', category: 2 },
} as const;
export type OcsfClassKey = keyof typeof OCSF_CLASSES;

export type Outcome = 'success' | 'failure' | 'unknown';
export type ActorType = 'user' | 'service' | 'anonymous' | 'unknown';
export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

export interface Actor {
  /** Display / login name: UPN, e-mail, k8s username, portal user ref. */
  name?: string;
  /** Directory object id (Entra) or uid. */
  uid?: string;
  upn?: string;
  type: ActorType;
  appId?: string;
  appName?: string;
  groups?: string[];
}

export interface Endpoint {
  ip?: string;
  port?: number;
  host?: string;
  country?: string;
  city?: string;
  /** Autonomous system number of the address (Entra sign-ins). */
  asn?: number;
  lat?: number;
  lon?: number;
  namespace?: string;
  pod?: string;
}

/** The one normalized model (OCSF-style). `raw` is the original record. */
export interface DetectionEvent {
  /** Id from the source when it has one (signIn id, auditID, correlationId…), else a content hash. */
  id: string;
  /** Content hash of the original record: the idempotency key for ingest. */
  key: string;
  source: SourceId;
  classUid: number;
  className: string;
  /** e.g. logon, GetBlob, ListBlobs, create, deny, risk, break-glass */
  activity: string;
  /** epoch milliseconds */
  time: number;
  outcome: Outcome;
  statusCode?: string;
  statusDetail?: string;
  actor: Actor;
  src?: Endpoint;
  dst?: Endpoint;
  /** What was acted on. For blobs: account/container; k8s: namespace/resource/name. */
  resource?: {
    type: string;
    name: string;
    /** Azure resource id (scope) when known. */
    azureId?: string;
    account?: string;
    container?: string;
    objectKey?: string;
    namespace?: string;
    subresource?: string;
  };
  /** Entra sign-in / risk specifics. */
  auth?: {
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
    userAgent?: string;
  };
  /** Bytes transferred (blob responseBodySize, flow bytes). */
  bytes?: number;
  /** Sigma view: source-specific flat record with the column names rules use. */
  view: Record<string, unknown>;
  raw: unknown;
}

export interface Detection {
  rule: string;
  title: string;
  severity: Severity;
  principal: string;
  resource: string;
  time: number;
  /** Earliest event time behind this detection when before `time` (windowed rules). */
  start?: number;
  eventIds: string[];
  /** Number of events behind this detection (may exceed eventIds). */
  eventCount?: number;
  details?: Record<string, unknown>;
}

export interface Alert {
  rule: string;
  title: string;
  severity: Severity;
  principal: string;
  resource: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  events: string[];
  details?: Record<string, unknown>;
}

/** One grant of the access-requests grant export (GET /api/access-requests/grants/export). */
export interface ExportedGrant {
  id: string;
  user: { ref: string; email?: string; upn?: string; objectId?: string; displayName?: string };
  resource: { ref: string; title?: string; azureScope?: string };
  role?: string;
  status?: string;
  start: string;
  end: string;
  revokedAt?: string | null;
  breakGlass?: boolean;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
