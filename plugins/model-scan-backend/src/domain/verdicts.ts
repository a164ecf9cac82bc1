import {
  SEVERITIES,
  Severity,
  VERDICTS,
  Verdict,
} from '@internal/plugin-model-scan-common';

/** The worse of two verdicts (malicious > suspicious > error > safe: findings outrank errors). */
export function worseVerdict(a: Verdict, b: Verdict): Verdict {
  return VERDICTS.indexOf(a) >= VERDICTS.indexOf(b) ? a : b;
}

export function worseSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

/** The verdict and severity of a scan: the worst of its files ("safe"/"none" for no files). */
export function summarizeFiles(
  files: Array<{ verdict: Verdict; severity: Severity }>,
): { verdict: Verdict; severity: Severity } {
  let verdict: Verdict = 'safe';
  let severity: Severity = 'none';
  for (const file of files) {
    verdict = worseVerdict(verdict, file.verdict);
    severity = worseSeverity(severity, file.severity);
  }
  return { verdict, severity };
}
