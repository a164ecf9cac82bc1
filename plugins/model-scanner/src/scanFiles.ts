/**
 * Several files of one model scanned together (a folder, a hub repository, a registry version):
 * files a parsed sibling names as raw tensor data are classified with that hint.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { FileScanResult, Finding } from './types';
import { scanFile } from './scanFile';
import type { ScanOptions } from './scanFile';
import { severityRank, verdictOf } from './verdict';

/** One file of a multi-file scan. */
export interface ScanFilesEntry {
  path: string;
  /** Name to report instead of the path (e.g. `hf://org/repo@rev/model.onnx`). */
  displayName?: string;
}

export interface ScanFilesOptions
  extends Omit<ScanOptions, 'displayName' | 'referencedBy'> {
  /** Called before each file is scanned; may return that file's progress callback. */
  onFile?: (
    entry: ScanFilesEntry,
    index: number,
    total: number,
  ) => ((bytesDone: number, bytesTotal: number) => void) | void;
}

/**
 * What the first reading (without the hint) keeps: everything it found when that reading parsed
 * cleanly (the file really is that format), else only critical findings and ClamAV matches (content
 * that merely resembled a format, such as fp16 data starting 0x80 0x02, is decided by the hint).
 */
function keptFromFirstReading(first: FileScanResult): Finding[] {
  if (!first.errors.some(e => !e.startsWith('clamd:')))
    return first.findings.filter(f => f.ruleId !== 'UNKNOWN_FORMAT');
  return first.findings.filter(
    f => f.ruleId === 'CLAMAV_FOUND' || f.severity === 'critical',
  );
}

/**
 * Scans the files of one model (a folder, a hub repository, a registry version) together. Model files
 * are parsed first; a file that a parsed sibling names as its raw tensor data (ONNX external data, the
 * data shards of a TensorFlow checkpoint index) is then classified with that hint (`tensor-data`:
 * hashed, checked for executables, archives and pickles, otherwise safe) instead of UNKNOWN_FORMAT.
 * References are resolved relative to the referring file's folder and only to files in `entries`.
 * The hint never drops a critical finding or a ClamAV match of the first reading, nor anything a
 * first reading that parsed cleanly found.
 * Results are in the order of `entries`.
 */
export async function scanFiles(
  entries: Array<string | ScanFilesEntry>,
  options: ScanFilesOptions = {},
): Promise<FileScanResult[]> {
  const list = entries.map(e => (typeof e === 'string' ? { path: e } : e));
  const { onFile, ...base } = options;
  const results: FileScanResult[] = [];
  for (const [i, e] of list.entries()) {
    const onProgress = onFile?.(e, i, list.length) ?? base.onProgress;
    results.push(
      await scanFile(e.path, {
        ...base,
        onProgress: onProgress || undefined,
        displayName: e.displayName ?? e.path,
      }),
    );
  }
  const index = new Map<string, number>();
  list.forEach((e, i) => index.set(path.resolve(e.path), i));
  const referrers = new Map<number, string[]>();
  list.forEach((e, i) => {
    for (const rel of results[i].references ?? []) {
      const target = index.get(path.resolve(path.dirname(e.path), rel));
      if (target === undefined || target === i) continue;
      const names = referrers.get(target) ?? [];
      names.push(results[i].path);
      referrers.set(target, names);
    }
  });
  for (const [i, referencedBy] of referrers) {
    const first = results[i];
    if (options.signal?.aborted) break;
    const second = await scanFile(list[i].path, {
      ...base,
      hash: false,
      clamd: undefined,
      onProgress: undefined,
      displayName: first.path,
      referencedBy,
    });
    const seen = new Set<string>();
    const findings = [...second.findings, ...keptFromFirstReading(first)]
      .filter(f => {
        const key = `${f.ruleId}|${f.message}|${JSON.stringify(
          f.location ?? {},
        )}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
    const errors = [
      ...first.errors.filter(m => m.startsWith('clamd:')),
      ...second.errors,
    ];
    results[i] = {
      ...second,
      sha256: first.sha256,
      findings,
      errors,
      durationMs: (first.durationMs ?? 0) + (second.durationMs ?? 0),
      ...verdictOf(findings, errors),
    };
  }
  return results;
}

/** Every regular file under a folder (sorted, symbolic links not followed). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await fsp.readdir(d, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/** Scans every file under a folder as one model (see `scanFiles`). */
export async function scanDirectory(
  dir: string,
  options: ScanFilesOptions = {},
): Promise<FileScanResult[]> {
  return scanFiles(await listFiles(dir), options);
}
