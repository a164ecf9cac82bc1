/**
 * The normalized input model every adapter produces (Kubernetes YAML, ARM/Bicep JSON, Terraform
 * plan JSON, live Azure, live Kubernetes) and the findings the checks return.
 */

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export type CheckStatus = 'pass' | 'fail' | 'not-applicable';

/** Where an object came from: a file (and line, 1-based) and the JSON path of the object in it. */
export interface SourceLocation {
  file: string;
  line?: number;
  /** JSON path of the object inside the file, e.g. `resources[3]` or `planned_values.root_module.resources[0]`. */
  pointer?: string;
}

/** Marker for a value that could not be resolved statically (an ARM `reference()`, an unknown plan value). */
export const UNKNOWN: unique symbol = Symbol.for('posture-checks.unknown');
export type Unknown = typeof UNKNOWN;

/**
 * One property of a store as the input stated it: the value in the platform's own terms (ARM
 * semantics: `'Enabled'`/`'Disabled'`, booleans, `'TLS1_2'`), the exact path it was read from
 * (relative to the object), and whether it was present at all (absent = the platform default).
 */
export interface Evidence<T> {
  value: T | Unknown | undefined;
  path: string;
  present: boolean;
  /** The value exactly as written, when it differs from `value` (e.g. Terraform `false`). */
  raw?: unknown;
  /** Where the deciding object is, when not the account itself (e.g. the blob service resource). */
  location?: SourceLocation;
}

export interface ContainerModel {
  name: string;
  /** `None`, `Blob` or `Container` (ARM); absent means `None`. */
  publicAccess: Evidence<string>;
  location?: SourceLocation;
}

export interface PrivateEndpointConnectionModel {
  name: string;
  /** `Approved`, `Pending`, `Rejected`, `Disconnected`. */
  status: string | Unknown | undefined;
  path: string;
  location?: SourceLocation;
}

export interface DiagnosticSettingModel {
  name: string;
  /** Which resource the setting is on. `unknown` when the target id is only known at deploy time. */
  target: 'blob' | 'account' | 'other' | 'unknown';
  logs: { category?: string; categoryGroup?: string; enabled: boolean }[];
  path: string;
  location?: SourceLocation;
}

export interface StorageAccountModel {
  /** ARM resource id where known, otherwise a stable address (Terraform address, template name). */
  id: string;
  name: string;
  subscriptionId?: string;
  resourceGroup?: string;
  tags: Record<string, string>;
  location?: SourceLocation;
  publicNetworkAccess: Evidence<string>;
  allowBlobPublicAccess: Evidence<boolean>;
  allowSharedKeyAccess: Evidence<boolean>;
  minimumTlsVersion: Evidence<string>;
  networkDefaultAction: Evidence<string>;
  keySource: Evidence<string>;
  blobSoftDelete: Evidence<boolean>;
  containerSoftDelete: Evidence<boolean>;
  containers: ContainerModel[];
  privateEndpointConnections: PrivateEndpointConnectionModel[];
  diagnosticSettings: DiagnosticSettingModel[];
}

/** A Kubernetes object as read (any kind), with where it came from. */
export interface KubeObject {
  apiVersion?: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export interface KubeItem {
  object: KubeObject;
  location?: SourceLocation;
}

/** One project: every store and every Kubernetes object of one run (or one live refresh). */
export interface PostureProject {
  storageAccounts: StorageAccountModel[];
  kubernetes: KubeItem[];
  /** Name of the cluster the Kubernetes objects belong to (live discovery); undefined for IaC. */
  cluster?: string;
}

export type SubjectType =
  | 'storage-account'
  | 'storage-container'
  | 'namespace'
  | 'workload'
  | 'network-policy'
  | 'runtime-class'
  | 'role'
  | 'role-binding';

export interface Subject {
  type: SubjectType;
  /** Stable key, e.g. `storage-account/weights01` or `k8s/research/Deployment/trainer`. */
  key: string;
  name: string;
  namespace?: string;
  kind?: string;
  /** The storage account a container belongs to. */
  account?: string;
}

export interface CheckResult {
  status: CheckStatus;
  subject: Subject;
  /** Exact property path (relative to the object) that decided the result. */
  path: string;
  message: string;
  location?: SourceLocation;
}

export interface Finding extends CheckResult {
  checkId: string;
  controlId: string;
  severity: Severity;
  title: string;
  rationale: string;
  remediation: string;
  /** `<controlId>:<subject.key>`, the key exceptions and drift tracking use. */
  findingKey: string;
}
