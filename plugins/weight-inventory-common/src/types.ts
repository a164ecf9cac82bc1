/**
 * Types of the weight-inventory API (`/api/weight-inventory`): stores (storage accounts and
 * Kubernetes clusters), their posture findings with history, drift events, weight files and
 * refreshes.
 */

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type FindingStatus = 'pass' | 'fail' | 'not-applicable';
export type StoreKind = 'storage-account' | 'kubernetes-cluster';
/** `failing`: at least one check fails; `passing`: none fails; `unknown`: never evaluated or the last refresh failed for it. */
export type PostureState = 'passing' | 'failing' | 'unknown';
export type StoreSource = 'azure' | 'kubernetes' | 'demo';

/** Catalog entity types the entity provider emits (`kind: Resource`). */
export const WEIGHT_STORE_ENTITY_TYPE = 'weight-store';
export const KUBERNETES_CLUSTER_ENTITY_TYPE = 'kubernetes-cluster';

export interface WeightStore {
  /** Stable id; also the catalog entity name (e.g. `storage-fgweights01`, `cluster-training`). */
  id: string;
  kind: StoreKind;
  /** Storage account or cluster name as the platform knows it. */
  name: string;
  /** `resource:default/<id>`. */
  entityRef: string;
  source: StoreSource;
  /** Demo stores are fabricated by the demo source; the UI labels them. */
  demo: boolean;
  subscriptionId?: string;
  resourceGroup?: string;
  /** ARM resource id of a storage account. */
  resourceId?: string;
  /** Owner entity ref from the `owner` tag / label, when present. */
  owner?: string;
  tags: Record<string, string>;
  posture: PostureState;
  failing: Record<Severity, number>;
  passing: number;
  weights: { files: number; bytes: number; lastModified?: string };
  lastRefreshAt?: string;
  /** Why the last refresh could not evaluate this store, if it could not. */
  lastError?: string;
}

export interface PostureFinding {
  storeId: string;
  entityRef: string;
  /** `<controlId>:<subjectKey>`; the key exceptions and drift tracking use. */
  findingKey: string;
  controlId: string;
  checkId: string;
  title: string;
  severity: Severity;
  status: FindingStatus;
  subjectKey: string;
  subjectType: string;
  subjectName: string;
  /** Exact property path that decided the status. */
  path: string;
  message: string;
  rationale: string;
  remediation: string;
  /** When the status last changed (first seen counts as a change). */
  lastChangedAt: string;
  lastEvaluatedAt: string;
}

export interface FindingHistoryEntry {
  refreshId: string;
  at: string;
  findingKey: string;
  status: FindingStatus;
  message: string;
}

/** A check that went from pass to fail between two refreshes. */
export interface DriftEvent {
  id: string;
  storeId: string;
  entityRef: string;
  findingKey: string;
  controlId: string;
  subjectKey: string;
  severity: Severity;
  from: FindingStatus;
  to: FindingStatus;
  message: string;
  refreshId: string;
  occurredAt: string;
}

export interface WeightFile {
  storeId: string;
  container: string;
  path: string;
  bytes: number;
  lastModified?: string;
  /** e.g. `safetensors`, `gguf`, `pickle`, `onnx`. */
  format: string;
  detectedBy: 'extension' | 'magic';
}

export interface Refresh {
  id: string;
  trigger: 'schedule' | 'manual' | 'startup';
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'succeeded' | 'failed' | 'partial';
  stores: number;
  driftEvents: number;
  errors: string[];
  requestedBy?: string;
}

export interface PostureSummary {
  storageAccounts: Record<PostureState, number>;
  clusters: Record<PostureState, number>;
  failingBySeverity: Record<Severity, number>;
  lastRefreshAt?: string;
}

export interface StoreQuery {
  kind?: StoreKind;
  posture?: PostureState;
  subscriptionId?: string;
  cluster?: string;
  q?: string;
}

export interface FindingQuery {
  storeId?: string;
  entityRef?: string;
  controlId?: string;
  status?: FindingStatus;
}
