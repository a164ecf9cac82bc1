import { GateDecision } from '@internal/plugin-model-scan-common';
import {
  AcceptanceFacts,
  FileVerdictFacts,
  ScannerIdentity,
  isFileAllowed,
} from './fileAllowance';

/** What the gate knows about the latest completed scan of a target. */
export interface GateScanFacts {
  scanId: string;
  status: 'completed' | 'failed' | 'queued' | 'running';
  files: Array<FileVerdictFacts & { path: string }>;
}

/**
 * Decides whether a model version (an exact target) may be promoted: allowed only when its
 * latest completed scan exists, has at least one file, and every file is allowed by
 * `isFileAllowed`.
 */
export function decideGate(input: {
  target: string;
  scan: GateScanFacts | undefined;
  acceptances: AcceptanceFacts[];
  now: Date;
  current: ScannerIdentity;
}): GateDecision {
  const { target, scan, acceptances, now, current } = input;
  if (!scan) {
    return {
      allowed: false,
      target,
      reasons: ['no completed scan of this exact target'],
      files: [],
    };
  }
  const reasons: string[] = [];
  const files: GateDecision['files'] = [];
  for (const file of scan.files) {
    const allowance = isFileAllowed(file, acceptances, now, current);
    files.push({
      path: file.path,
      sha256: file.sha256,
      verdict: file.verdict,
      ...(allowance.acceptedUntil
        ? { acceptedUntil: allowance.acceptedUntil.toISOString() }
        : {}),
    });
    if (!allowance.allowed) {
      reasons.push(`${file.path}: ${allowance.reason}`);
    }
  }
  if (scan.files.length === 0) {
    reasons.push('the latest scan of this target found no files');
  }
  return {
    allowed: reasons.length === 0,
    target,
    reasons,
    files,
    scanId: scan.scanId,
  };
}
