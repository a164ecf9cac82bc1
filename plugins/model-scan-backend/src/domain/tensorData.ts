import { posix } from 'node:path';
import { FileScanResult } from '@internal/plugin-model-scan-common';

/**
 * Cross-file rules: which files of one target a sibling model names as its raw tensor data
 * (ONNX external_data, TensorFlow checkpoint shards, OpenVINO .bin), and which of those the
 * backend rescans with that hint.
 */

/** The engine's result of one file, with the siblings a model names (`references`). */
export type ResultWithReferences = Pick<FileScanResult, 'findings'> & {
  references?: string[];
};

/**
 * For each file of a target, the names of the files of the same target that name it as raw
 * tensor data. References are relative to the referring file's folder; a reference that leaves
 * the target, names no file of it or names the referring file itself is ignored.
 */
export function referrersByFile(
  files: Array<{ name: string; result: ResultWithReferences }>,
): Map<number, string[]> {
  const index = new Map<string, number>();
  files.forEach((f, i) => index.set(normalizeName(f.name), i));
  const referrers = new Map<number, string[]>();
  files.forEach((f, i) => {
    for (const ref of f.result.references ?? []) {
      if (typeof ref !== 'string' || !ref || posix.isAbsolute(ref)) continue;
      const name = normalizeName(
        posix.join(posix.dirname(normalizeName(f.name)), ref),
      );
      if (name.startsWith('../')) continue;
      const target = index.get(name);
      if (target === undefined || target === i) continue;
      const names = referrers.get(target) ?? [];
      if (!names.includes(f.name)) names.push(f.name);
      referrers.set(target, names);
    }
  });
  return referrers;
}

/**
 * A referenced file is rescanned with the hint only when its standalone reading is
 * UNKNOWN_FORMAT and found nothing critical (the hint never hides a critical finding).
 */
export function needsTensorDataRescan(result: ResultWithReferences): boolean {
  return (
    result.findings.some(f => f.ruleId === 'UNKNOWN_FORMAT') &&
    !result.findings.some(f => f.severity === 'critical')
  );
}

function normalizeName(name: string): string {
  return posix.normalize(name.replace(/\\/g, '/')).replace(/^\.\//, '');
}
