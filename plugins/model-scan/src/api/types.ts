/**
 * JSON shapes of the model-scan backend REST API (/api/model-scan), as in the
 * model-scan contract. Kept structural so the plugin does not depend on the
 * scanner engine package.
 */

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';
export type Verdict = 'safe' | 'suspicious' | 'malicious' | 'error';

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

export interface ScannedFile {
  path: string;
  sha256: string;
  size: number;
  format: string;
  verdict: Verdict;
  severity: Severity;
  findings: Finding[];
  errors: string[];
  durationMs?: number;
  acceptedUntil?: string;
  cached?: boolean;
}

export type ScanStatus = 'queued' | 'running' | 'completed' | 'failed';
export type ScanTrigger = 'manual' | 'upload' | 'download' | 'webhook' | 'periodic';

export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface Scan {
  id: string;
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
  files?: ScannedFile[];
}

export interface ScanList {
  items: Scan[];
  total: number;
}

export interface ScanStats {
  filesScanned: number;
  byVerdict: Partial<Record<Verdict, number>>;
  bySeverity: Partial<Record<Severity, number>>;
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

export interface Acceptance {
  id?: string;
  sha256: string;
  justification: string;
  expiresAt: string;
  acceptedBy?: string;
  createdAt?: string;
}

export interface GateDecision {
  allowed: boolean;
  target: string;
  reasons: string[];
  files: Array<{
    path: string;
    sha256: string;
    verdict: Verdict;
    acceptedUntil?: string;
  }>;
}

export interface ListScansQuery {
  limit?: number;
  offset?: number;
  verdict?: Verdict;
  entityRef?: string;
}
