import type { FileScanResult, Severity } from '../types';
import {
  atlasTechniques,
  explainRule as explainBuiltin,
  rules,
} from '../rules';
import { formatRuleExplanations } from '../formats';
import { SCANNER_NAME, SCANNER_VERSION } from '../version';

export function explainRule(ruleId: string): string {
  if (rules[ruleId]) return explainBuiltin(ruleId);
  return formatRuleExplanations[ruleId] ?? explainBuiltin(ruleId);
}

export function toJsonReport(results: FileScanResult[]) {
  return {
    scanner: { name: SCANNER_NAME, version: SCANNER_VERSION },
    files: results,
  };
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note' | 'none'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  none: 'none',
};
const SCORE: Record<Severity, string> = {
  critical: '9.5',
  high: '7.5',
  medium: '5.0',
  low: '2.0',
  none: '0.0',
};

/** SARIF 2.1.0 log for code-scanning tools. */
export function toSarif(results: FileScanResult[]): object {
  const ruleIds = [
    ...new Set(results.flatMap(r => r.findings.map(f => f.ruleId))),
  ].sort();
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const artifactIndex = new Map(results.map((r, i) => [r.path, i]));
  const uri = (p: string) =>
    /^[a-z]+:\/\//i.test(p)
      ? p
      : p.split('/').map(encodeURIComponent).join('/');
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: SCANNER_NAME,
            version: SCANNER_VERSION,
            informationUri: 'https://atlas.mitre.org/',
            rules: ruleIds.map(id => {
              const sample = results
                .flatMap(r => r.findings)
                .find(f => f.ruleId === id)!;
              return {
                id,
                name: id,
                shortDescription: { text: rules[id]?.title ?? id },
                fullDescription: { text: explainRule(id) },
                help: { text: explainRule(id) },
                defaultConfiguration: {
                  level:
                    LEVEL[sample.severity] === 'none'
                      ? 'note'
                      : LEVEL[sample.severity],
                },
                properties: {
                  tags: ['security', ...(sample.cwe ?? []), ...sample.atlas],
                  'security-severity': SCORE[sample.severity],
                  atlas: sample.atlas.map(t => atlasTechniques[t] ?? { id: t }),
                },
              };
            }),
          },
        },
        artifacts: results.map(r => ({
          location: { uri: uri(r.path) },
          length: r.size,
          ...(r.sha256 ? { hashes: { 'sha-256': r.sha256 } } : {}),
          properties: {
            format: r.format,
            verdict: r.verdict,
            severity: r.severity,
          },
        })),
        results: results.flatMap(r =>
          r.findings.map(f => ({
            ruleId: f.ruleId,
            ruleIndex: ruleIndex.get(f.ruleId),
            level: LEVEL[f.severity] === 'none' ? 'note' : LEVEL[f.severity],
            message: { text: f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: {
                    uri: uri(r.path),
                    index: artifactIndex.get(r.path),
                  },
                  ...(f.location?.offset !== undefined && !f.location?.member
                    ? { region: { byteOffset: f.location.offset } }
                    : {}),
                },
                ...(f.location?.member || f.location?.path || f.location?.opcode
                  ? {
                      logicalLocations: [
                        {
                          fullyQualifiedName: [
                            f.location?.member,
                            f.location?.path,
                            f.location?.opcode,
                          ]
                            .filter(Boolean)
                            .join(' '),
                          kind: 'member',
                        },
                      ],
                    }
                  : {}),
              },
            ],
            partialFingerprints: r.sha256
              ? { 'sha256/ruleId': `${r.sha256}/${f.ruleId}` }
              : undefined,
            properties: {
              severity: f.severity,
              verdict: r.verdict,
              atlas: f.atlas,
              cwe: f.cwe ?? [],
              location: f.location ?? {},
              details: f.details ?? {},
            },
          })),
        ),
        invocations: [
          {
            executionSuccessful: results.every(r => r.verdict !== 'error'),
            toolExecutionNotifications: results.flatMap(r =>
              r.errors.map(e => ({
                level: 'error',
                message: { text: `${r.path}: ${e}` },
              })),
            ),
          },
        ],
      },
    ],
  };
}

/** Human-readable table for terminals. */
export function toTable(results: FileScanResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      `${r.verdict.toUpperCase().padEnd(10)} ${r.path}  [${r.format}, ${
        r.size
      } bytes${r.sha256 ? `, sha256 ${r.sha256}` : ''}]`,
    );
    for (const f of r.findings) {
      const where = [
        f.location?.member,
        f.location?.offset !== undefined ? `@${f.location.offset}` : '',
        f.location?.opcode,
        f.location?.path,
      ]
        .filter(Boolean)
        .join(' ');
      lines.push(
        `  ${f.severity.padEnd(8)} ${f.ruleId}${where ? ` (${where})` : ''}: ${
          f.message
        }${f.atlas.length ? ` [${f.atlas.join(', ')}]` : ''}`,
      );
    }
    for (const e of r.errors) lines.push(`  error    ${e}`);
  }
  const count = (v: string) => results.filter(r => r.verdict === v).length;
  lines.push(
    `${results.length} file(s): ${count('safe')} safe, ${count(
      'suspicious',
    )} suspicious, ${count('malicious')} malicious, ${count('error')} error`,
  );
  return lines.join('\n');
}
