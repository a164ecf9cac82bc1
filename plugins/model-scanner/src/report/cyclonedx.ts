/**
 * CycloneDX 1.6 ML-BOM of a scanned model (a repository revision, a registry version, a folder):
 * one component per file (`machine-learning-model` for model formats, `data` for tokenizers,
 * configs and tensor data, `file` otherwise) with its SHA-256, size, detected format, verdict and
 * pickle imports as properties, and every finding as a vulnerability that affects that component,
 * with its rating, CWE ids, MITRE ATLAS techniques (as references and properties) and the rule's
 * explanation. Pure: the timestamp and serial number are inputs, so the same scan gives the same BOM.
 */
import type { FileScanResult, Severity } from '../types';
import { atlasTechniques } from '../rules';
import { SCANNER_NAME, SCANNER_VERSION } from '../version';
import { explainRule } from './index';

export interface MlBomSubject {
  /** What was scanned, e.g. "hf://org/repo", "mlflow://models/name", a folder. */
  name: string;
  /** The revision or version (commit sha, registry version), when there is one. */
  version?: string;
  /** A package URL for the model (pkg:huggingface/org/repo@sha, ...), when known. */
  purl?: string;
}

export interface MlBomOptions {
  subject: MlBomSubject;
  /** When the BOM is produced (injected: reports are reproducible). */
  timestamp: Date;
  /** urn:uuid:... identifying this BOM; derived from the content when absent. */
  serialNumber?: string;
  /** Display name per file path (e.g. the path inside the repository). */
  displayName?: (result: FileScanResult) => string;
}

const MODEL_FORMATS = new Set([
  'pickle',
  'pytorch-zip',
  'pytorch-legacy',
  'pytorch-tar',
  'torchscript',
  'joblib',
  'numpy',
  'numpy-npz',
  'keras-h5',
  'keras-v3',
  'tf-savedmodel',
  'onnx',
  'gguf',
  'safetensors',
  'msgpack',
  'openvino-ir',
]);
const DATA_FORMATS = new Set([
  'tokenizer-config',
  'sentencepiece',
  'tensor-data',
  'json',
  'text',
]);

const CDX_SEVERITY: Record<Severity, string> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  none: 'info',
};

/** A stable urn:uuid from a string (RFC 4122 variant, version 5-like layout over SHA-256 bytes). */
function uuidFrom(text: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const h = createHash('sha256').update(text).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(
    12,
    16,
  )}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const prop = (name: string, value: string) => ({ name, value });

/** The CycloneDX 1.6 JSON document (an ML-BOM) for the files of one scanned model. */
export function toCycloneDx(
  results: FileScanResult[],
  options: MlBomOptions,
): Record<string, unknown> {
  const { subject } = options;
  const rootRef = `model:${subject.name}${
    subject.version ? `@${subject.version}` : ''
  }`;
  const refOf = (r: FileScanResult, i: number) =>
    `file:${i}:${r.sha256 || r.path}`;
  const components = results.map((r, i) => {
    const name = options.displayName?.(r) ?? r.path;
    let type: 'machine-learning-model' | 'data' | 'file' = 'file';
    if (MODEL_FORMATS.has(r.format)) type = 'machine-learning-model';
    else if (DATA_FORMATS.has(r.format)) type = 'data';
    const properties = [
      prop('frontier-guard:format', r.format),
      prop('frontier-guard:verdict', r.verdict),
      prop('frontier-guard:severity', r.severity),
      prop('frontier-guard:size', String(r.size)),
      ...(r.errors.length
        ? [prop('frontier-guard:errors', r.errors.slice(0, 5).join(' | '))]
        : []),
      ...(r.pickleImports ?? [])
        .slice(0, 100)
        .map(g => prop('frontier-guard:pickle-import', g)),
    ];
    return {
      type,
      'bom-ref': refOf(r, i),
      name,
      ...(r.sha256 ? { hashes: [{ alg: 'SHA-256', content: r.sha256 }] } : {}),
      ...(type === 'data'
        ? {
            data: [
              {
                type: 'configuration' as const,
                name,
              },
            ],
          }
        : {}),
      properties,
    };
  });
  const vulnerabilities = results.flatMap((r, i) =>
    r.findings
      .filter(f => f.severity !== 'none')
      .map((f, k) => {
        const cwes = (f.cwe ?? [])
          .map(c => Number(/^CWE-(\d+)$/.exec(c)?.[1]))
          .filter(n => Number.isInteger(n) && n > 0);
        const location = [
          f.location?.member,
          f.location?.path,
          f.location?.offset !== undefined ? `offset ${f.location.offset}` : '',
        ]
          .filter(Boolean)
          .join(', ');
        return {
          'bom-ref': `finding:${i}:${k}`,
          id: f.ruleId,
          source: { name: SCANNER_NAME },
          ratings: [
            {
              source: { name: SCANNER_NAME },
              severity: CDX_SEVERITY[f.severity],
              method: 'other',
            },
          ],
          ...(cwes.length ? { cwes } : {}),
          description: f.message,
          detail: explainRule(f.ruleId),
          ...(f.atlas.length
            ? {
                references: f.atlas.map(t => ({
                  id: t,
                  source: {
                    name: 'MITRE ATLAS',
                    url:
                      atlasTechniques[t]?.url ??
                      `https://atlas.mitre.org/techniques/${t}`,
                  },
                })),
              }
            : {}),
          affects: [{ ref: refOf(r, i) }],
          properties: [
            ...f.atlas.map(t => prop('mitre-atlas:technique', t)),
            ...(location ? [prop('frontier-guard:location', location)] : []),
          ],
        };
      }),
  );
  const serialNumber =
    options.serialNumber ??
    uuidFrom(
      JSON.stringify([
        rootRef,
        options.timestamp.toISOString(),
        results.map(r => [r.path, r.sha256, r.verdict]),
      ]),
    );
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber,
    version: 1,
    metadata: {
      timestamp: options.timestamp.toISOString(),
      tools: {
        components: [
          {
            type: 'application',
            name: SCANNER_NAME,
            version: SCANNER_VERSION,
          },
        ],
      },
      component: {
        type: 'machine-learning-model',
        'bom-ref': rootRef,
        name: subject.name,
        ...(subject.version ? { version: subject.version } : {}),
        ...(subject.purl ? { purl: subject.purl } : {}),
      },
    },
    components,
    dependencies: [
      { ref: rootRef, dependsOn: components.map(c => c['bom-ref']) },
      ...components.map(c => ({ ref: c['bom-ref'] })),
    ],
    vulnerabilities,
  };
}
