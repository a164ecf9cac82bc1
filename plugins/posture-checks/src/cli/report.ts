/** Output formats of the CI gate: table, JSON and SARIF 2.1.0. */
import { CHECKS } from '../checks/catalog';
import type { FileReport, LoadError } from '../adapters/load';
import type { PostureSummary } from '../engine';
import type { Finding, Severity } from '../types';
import type { PolicyException } from './exceptions';

export const TOOL_NAME = 'frontier-guard-posture';
export const TOOL_VERSION = '0.1.0';

export interface RunReport {
  findings: Finding[];
  excepted: { finding: Finding; exception: PolicyException }[];
  summary: PostureSummary;
  files: FileReport[];
  errors: LoadError[];
  failOn: Severity;
  exitCode: number;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };

function uri(file: string): string {
  return file.split('\\').join('/').split('/').map(encodeURIComponent).join('/');
}

export function toSarif(report: RunReport): object {
  const rules = CHECKS.map(c => ({
    id: c.id,
    name: c.id.replace(/^FG-/, '').toLowerCase().replace(/(^|-)([a-z])/g, (_m, _d, ch) => ch.toUpperCase()),
    shortDescription: { text: c.title },
    fullDescription: { text: c.rationale },
    help: { text: c.remediation, markdown: `**Remediation:** ${c.remediation}` },
    defaultConfiguration: { level: LEVEL[c.severity] },
    properties: { 'security-severity': SECURITY_SEVERITY[c.severity], tags: ['security', c.target], severity: c.severity },
  }));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const suppressed = new Map(report.excepted.map(e => [e.finding, e.exception]));
  const fails = report.findings.filter(f => f.status === 'fail');
  const results = fails.map(f => {
    const ex = suppressed.get(f);
    const loc = f.location;
    return {
      ruleId: f.controlId,
      ruleIndex: ruleIndex.get(f.checkId),
      level: LEVEL[f.severity],
      message: { text: `${f.message} [${f.subject.key}] — ${f.remediation}` },
      locations: loc
        ? [{
          physicalLocation: { artifactLocation: { uri: uri(loc.file) }, ...(loc.line ? { region: { startLine: loc.line } } : {}) },
          logicalLocations: [{ fullyQualifiedName: `${f.subject.key}:${f.path}`, kind: 'object' }],
        }]
        : [{ logicalLocations: [{ fullyQualifiedName: `${f.subject.key}:${f.path}`, kind: 'object' }] }],
      partialFingerprints: { findingKey: f.findingKey },
      properties: { severity: f.severity, subject: f.subject.key, path: f.path, objectPointer: loc?.pointer },
      ...(ex
        ? { suppressions: [{ kind: 'external', status: 'accepted', justification: ex.title ?? `Policy exception ${ex.id}`, properties: { exceptionId: ex.id, endsAt: ex.endsAt ?? null } }] }
        : {}),
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: TOOL_NAME, version: TOOL_VERSION, informationUri: 'https://backstage.io', rules } },
      results,
      invocations: [{
        executionSuccessful: report.errors.length === 0,
        toolExecutionNotifications: report.errors.map(e => ({
          level: 'error',
          message: { text: `${e.file}: ${e.message}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: uri(e.file) }, ...(e.line ? { region: { startLine: e.line } } : {}) } }],
        })),
      }],
    }],
  };
}

/**
 * The JSON report, written in pieces (one finding per line) so a large project does not build
 * one huge string. Per-check texts (title, rationale, remediation) are listed once under
 * `checks`; each finding carries its check id, status, subject, path, message and location.
 */
export function* toJsonChunks(report: RunReport): Generator<string> {
  const excepted = new Map(report.excepted.map(e => [e.finding, e.exception]));
  const checks = Object.fromEntries(CHECKS.map(c => [c.id, { controlId: c.controlId, title: c.title, severity: c.severity, rationale: c.rationale, remediation: c.remediation }]));
  yield `{\n"summary": ${JSON.stringify(report.summary)},\n"failOn": ${JSON.stringify(report.failOn)},\n"exitCode": ${report.exitCode},\n`;
  yield `"files": ${JSON.stringify(report.files)},\n"errors": ${JSON.stringify(report.errors)},\n"checks": ${JSON.stringify(checks)},\n"findings": [`;
  let first = true;
  let batch = '';
  for (const f of report.findings) {
    const ex = excepted.get(f);
    const item = {
      checkId: f.checkId, controlId: f.controlId, severity: f.severity, status: f.status, findingKey: f.findingKey,
      subject: f.subject, path: f.path, message: f.message, location: f.location,
      ...(ex ? { excepted: { exceptionId: ex.id, endsAt: ex.endsAt ?? null } } : {}),
    };
    batch += `${first ? '\n' : ',\n'}${JSON.stringify(item)}`;
    first = false;
    if (batch.length > 1 << 16) {
      yield batch;
      batch = '';
    }
  }
  yield `${batch}\n]\n}\n`;
}

export function toJson(report: RunReport): object {
  return JSON.parse([...toJsonChunks(report)].join(''));
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function toTable(report: RunReport): string {
  const lines: string[] = [];
  const exceptedSet = new Set(report.excepted.map(e => e.finding));
  const fails = report.findings.filter(f => f.status === 'fail' && !exceptedSet.has(f));
  if (fails.length > 0) {
    lines.push(`${pad('SEVERITY', 9)} ${pad('CONTROL', 32)} ${pad('SUBJECT', 44)} ${pad('LOCATION', 36)} DETAIL`);
    for (const f of fails) {
      const loc = f.location ? `${f.location.file}${f.location.line ? `:${f.location.line}` : ''}` : '-';
      lines.push(`${pad(f.severity, 9)} ${pad(f.controlId, 32)} ${pad(f.subject.key, 44)} ${pad(loc, 36)} ${f.path}: ${f.message}`);
      lines.push(`${' '.repeat(10)}fix: ${f.remediation}`);
    }
  }
  for (const { finding: f, exception: e } of report.excepted) {
    lines.push(`excepted  ${f.controlId} ${f.subject.key} by ${e.id}${e.endsAt ? ` until ${e.endsAt}` : ''}: ${f.message}`);
  }
  for (const e of report.errors) lines.push(`error     ${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  for (const f of report.files.filter(x => x.kind === 'skipped')) lines.push(`skipped   ${f.file}: ${f.reason}`);
  const s = report.summary;
  lines.push(
    `${s.fail - report.excepted.length} failing (${(['critical', 'high', 'medium', 'low'] as Severity[]).map(k => `${k} ${s.failBySeverity[k]}`).join(', ')}), ${report.excepted.length} excepted, ${s.pass} passing, ${report.files.filter(f => f.kind !== 'skipped').length} file(s), fail-on ${report.failOn} → exit ${report.exitCode}`,
  );
  return `${lines.join('\n')}\n`;
}
