/**
 * Runs every enabled check over a project. The live inventory, the CI gate and the tests all
 * call this one function.
 */
import { DEFAULT_CONFIG, PostureConfig } from './config';
import { CHECKS, CheckDefinition } from './checks/catalog';
import { buildKubeIndex } from './checks/kubeIndex';
import { isWeightStore } from './checks/storage';
import type { CheckResult, CheckStatus, Finding, PostureProject, Severity } from './types';
import { severityRank } from './types';

function toFinding(def: CheckDefinition, r: CheckResult): Finding {
  return {
    ...r,
    checkId: def.id,
    controlId: def.controlId,
    severity: def.severity,
    title: def.title,
    rationale: def.rationale,
    remediation: def.remediation,
    findingKey: `${def.controlId}:${r.subject.key}`,
  };
}

export function evaluateProject(project: PostureProject, cfg: PostureConfig = DEFAULT_CONFIG): Finding[] {
  const enabled = CHECKS.filter(c => !cfg.disabledChecks.includes(c.id) && !cfg.disabledChecks.includes(c.controlId));
  const findings: Finding[] = [];
  const accounts = project.storageAccounts.filter(a => isWeightStore(a, cfg));
  for (const def of enabled) {
    if (def.target !== 'storage') continue;
    for (const a of accounts) for (const r of def.evaluate(a, cfg)) findings.push(toFinding(def, r));
  }
  if (project.kubernetes.length > 0) {
    const index = buildKubeIndex(project.kubernetes, cfg);
    for (const def of enabled) {
      if (def.target !== 'kubernetes') continue;
      for (const r of def.evaluate(index, cfg)) findings.push(toFinding(def, r));
    }
  }
  return sortFindings(findings);
}

const STATUS_ORDER: Record<CheckStatus, number> = { fail: 0, pass: 1, 'not-applicable': 2 };

/** Failing first, then by severity (critical first), control and subject. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      severityRank(b.severity) - severityRank(a.severity) ||
      a.controlId.localeCompare(b.controlId) ||
      a.subject.key.localeCompare(b.subject.key) ||
      a.path.localeCompare(b.path),
  );
}

export interface PostureSummary {
  pass: number;
  fail: number;
  notApplicable: number;
  failBySeverity: Record<Severity, number>;
}

export function summarize(findings: Finding[]): PostureSummary {
  const s: PostureSummary = { pass: 0, fail: 0, notApplicable: 0, failBySeverity: { low: 0, medium: 0, high: 0, critical: 0 } };
  for (const f of findings) {
    if (f.status === 'pass') s.pass++;
    else if (f.status === 'not-applicable') s.notApplicable++;
    else {
      s.fail++;
      s.failBySeverity[f.severity]++;
    }
  }
  return s;
}

/**
 * One status per finding key (control + subject): fail when any result for the key fails, pass
 * when any passes, else not-applicable. Drift tracking and exceptions work on this.
 */
export function statusByKey(findings: Finding[]): Map<string, { status: CheckStatus; finding: Finding }> {
  const out = new Map<string, { status: CheckStatus; finding: Finding }>();
  for (const f of findings) {
    const cur = out.get(f.findingKey);
    if (!cur || STATUS_ORDER[f.status] < STATUS_ORDER[cur.status]) out.set(f.findingKey, { status: f.status, finding: f });
  }
  return out;
}
