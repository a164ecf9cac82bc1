/**
 * Verdicts and result assembly: severity order, the verdict of a set of findings, the per-file
 * finding set (one entry per rule/member/subject, repeats counted) and the record of a target that
 * could not be read.
 */
import type { FileScanResult, Finding, Severity, Verdict } from './types';

const SEVERITY_RANK: Record<Severity, number> = {
  none: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};
export const severityRank = (s: Severity) => SEVERITY_RANK[s];

/** Verdict from findings: critical → malicious; high/medium → suspicious; else safe, unless errors. */
export function verdictOf(
  findings: Finding[],
  errors: string[],
): { verdict: Verdict; severity: Severity } {
  let sev: Severity = 'none';
  for (const f of findings)
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[sev]) sev = f.severity;
  if (sev === 'critical') return { verdict: 'malicious', severity: sev };
  if (sev === 'high' || sev === 'medium')
    return { verdict: 'suspicious', severity: sev };
  if (errors.length) return { verdict: 'error', severity: sev };
  return { verdict: 'safe', severity: sev };
}

/** A file's findings, one per rule, member and subject (repeats are counted, at most 2,000 kept). */
export class FindingSet {
  private readonly map = new Map<string, Finding>();
  add(f: Finding) {
    const key = `${f.ruleId}|${f.location?.member ?? ''}|${String(
      f.details?.global ?? f.details?.callee ?? f.message,
    )}`;
    const prev = this.map.get(key);
    if (prev) {
      const n = Number(prev.details?.count ?? 1) + 1;
      prev.details = { ...(prev.details ?? {}), count: n };
      if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[prev.severity])
        prev.severity = f.severity;
      return;
    }
    if (this.map.size >= 2000) return;
    this.map.set(key, f);
  }
  list(): Finding[] {
    return [...this.map.values()].sort(
      (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
    );
  }
}

/** The result for a target that could not be read at all: no bytes, one error, verdict `error`. */
export function unreadableResult(
  displayPath: string,
  error: string,
): FileScanResult {
  return {
    path: displayPath,
    sha256: '',
    size: 0,
    format: 'unknown',
    findings: [],
    errors: [error],
    ...verdictOf([], [error]),
  };
}
