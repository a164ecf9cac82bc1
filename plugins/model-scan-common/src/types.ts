/**
 * Types of the model-scan REST API. They mirror the engine's types (`@internal/model-scanner`)
 * without importing it: this package is used by the frontend, which must not bundle the engine.
 */

/** Ordered from harmless to worst. */
export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

/** The verdict of one file (or the worst verdict of a scan). */
export type Verdict = 'safe' | 'suspicious' | 'malicious' | 'error';

export const SEVERITIES: readonly Severity[] = [
  'none',
  'low',
  'medium',
  'high',
  'critical',
];

/** Ordered from best to worst: findings outrank errors. */
export const VERDICTS: readonly Verdict[] = [
  'safe',
  'error',
  'suspicious',
  'malicious',
];

export type ScanTrigger =
  | 'manual'
  | 'upload'
  | 'download'
  | 'webhook'
  | 'periodic';

export type ScanStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface FindingLocation {
  offset?: number;
  opcode?: string;
  member?: string;
  path?: string;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  location?: FindingLocation;
  cwe?: string[];
  atlas: string[];
  details?: Record<string, unknown>;
}

/** The result of scanning one file, as the engine reports it. */
export interface FileScanResult {
  path: string;
  sha256: string;
  size: number;
  format: string;
  verdict: Verdict;
  severity: Severity;
  findings: Finding[];
  errors: string[];
  durationMs?: number;
}

/** One file of a scan, with the portal's view of it. */
export interface ScanFileResult extends FileScanResult {
  /** Set when a valid acceptance of this (suspicious) file's hash exists: its expiry (ISO). */
  acceptedUntil?: string;
  /** True when the result was reused from an earlier scan of the same bytes by the same scanner. */
  cached?: boolean;
  scannerVersion?: string;
  rulesetVersion?: string;
}

/** Alias kept for readers of the contract ("ScanFile"). */
export type ScanFile = ScanFileResult;

export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface Scan {
  id: string;
  /**
   * The target in its canonical spelling (the backend stores it so): e.g. a registry model
   * name percent-encoded, `mlflow://fraud%20model/7`, whichever way it was requested.
   */
  target: string;
  entityRef?: string;
  trigger: ScanTrigger;
  status: ScanStatus;
  requestedBy: string;
  createdAt: string;
  startedAt?: string;
  completedAt?: string;
  verdict?: Verdict;
  severity?: Severity;
  progress?: ScanProgress;
  error?: string;
  scannerVersion?: string;
  rulesetVersion?: string;
  files?: ScanFileResult[];
  /** Set once the person who requested a suspicious or malicious scan asked the security reviewers to look at it. */
  reviewRequest?: ReviewRequest;
}

/** "Please review this scan": who asked, when, and their note to the reviewers. */
export interface ReviewRequest {
  requestedBy: string;
  requestedAt: string;
  note: string;
}

export interface ScanList {
  items: Scan[];
  total: number;
}

/** A security reviewer's acceptance of a suspicious verdict for one exact file hash. */
export interface Acceptance {
  id: string;
  sha256: string;
  justification: string;
  acceptedBy: string;
  createdAt: string;
  expiresAt: string;
  /** The scanner version whose suspicious verdict was accepted. */
  scannerVersion: string;
  rulesetVersion: string;
}

/**
 * The answer to filing an acceptance: the FG-MODEL-SCAN exception request (policy-exceptions;
 * only the fields this family reads) that another reviewer approves, or a direct acceptance where
 * no exception service is used.
 */
export interface CreateAcceptanceResponse {
  acceptance?: Acceptance;
  exception?: { id: string; status: string };
}

export interface Stats {
  filesScanned: number;
  byVerdict: Record<Verdict, number>;
  bySeverity: Record<Severity, number>;
  byDay: Array<{
    day: string;
    safe: number;
    suspicious: number;
    malicious: number;
    error: number;
  }>;
  byAtlas: Array<{ technique: string; count: number }>;
  topRules: Array<{ ruleId: string; count: number }>;
}

export interface GateFile {
  path: string;
  sha256: string;
  verdict: Verdict;
  acceptedUntil?: string;
}

export interface GateDecision {
  allowed: boolean;
  target: string;
  reasons: string[];
  files: GateFile[];
  /** The scan the decision is based on, when there is one. */
  scanId?: string;
}
