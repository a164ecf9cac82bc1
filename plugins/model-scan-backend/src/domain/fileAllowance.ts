import { Verdict } from '@internal/plugin-model-scan-common';

/** The scanner whose results count as current. */
export interface ScannerIdentity {
  scannerVersion: string;
  rulesetVersion: string;
}

/** What the allowance rule needs to know about one scanned file. */
export interface FileVerdictFacts {
  sha256: string;
  verdict: Verdict;
  scannerVersion: string;
  rulesetVersion: string;
}

/** What the allowance rule needs to know about an acceptance. */
export interface AcceptanceFacts {
  sha256: string;
  expiresAt: Date;
  scannerVersion: string;
  rulesetVersion: string;
}

export interface FileAllowance {
  allowed: boolean;
  /** Why the file is not allowed (or, when allowed through an acceptance, that it was accepted). */
  reason?: string;
  /** Expiry of the acceptance that lets the file through. */
  acceptedUntil?: Date;
}

/** True when the acceptance covers this exact file content and has not expired. */
export function isAcceptanceValid(
  acceptance: AcceptanceFacts,
  sha256: string,
  now: Date,
): boolean {
  return (
    acceptance.sha256 === sha256 &&
    acceptance.expiresAt.getTime() > now.getTime()
  );
}

/**
 * The one answer to "may this file be used?", shared by the promotion gate, the download proxy
 * and the portal's display:
 * - the verdict must come from the current scanner and ruleset (otherwise a rescan is due);
 * - safe → allowed;
 * - suspicious → allowed only with a valid (unexpired) acceptance of that exact sha256;
 * - malicious → never; error → never (the file could not be checked).
 */
export function isFileAllowed(
  file: FileVerdictFacts,
  acceptances: AcceptanceFacts[],
  now: Date,
  current: ScannerIdentity,
): FileAllowance {
  if (
    file.scannerVersion !== current.scannerVersion ||
    file.rulesetVersion !== current.rulesetVersion
  ) {
    return {
      allowed: false,
      reason: `verdict is from scanner ${file.scannerVersion} / ruleset ${file.rulesetVersion}, current is ${current.scannerVersion} / ${current.rulesetVersion}: a rescan is due`,
    };
  }
  switch (file.verdict) {
    case 'safe':
      return { allowed: true };
    case 'malicious':
      return {
        allowed: false,
        reason: 'verdict is malicious; a malicious file can never be accepted',
      };
    case 'error':
      return {
        allowed: false,
        reason: 'the file could not be scanned (verdict error)',
      };
    case 'suspicious': {
      const valid = acceptances
        .filter(a => isAcceptanceValid(a, file.sha256, now))
        .sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime());
      if (valid.length > 0) {
        return {
          allowed: true,
          reason: 'suspicious verdict accepted by a security reviewer',
          acceptedUntil: valid[0].expiresAt,
        };
      }
      return {
        allowed: false,
        reason:
          'verdict is suspicious and no valid acceptance exists for this sha256',
      };
    }
    default:
      return { allowed: false, reason: `unknown verdict ${file.verdict}` };
  }
}
