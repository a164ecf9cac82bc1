/**
 * The CycloneDX 1.6 ML-BOM of one completed scan (a repository revision, a registry version, an
 * upload): the scanned files with their hashes, formats and verdicts, findings as vulnerabilities.
 * Plain function over the stored scan; the engine's `toCycloneDx` builds the document.
 */
import { toCycloneDx } from '@internal/model-scanner';
import type { Scan } from '@internal/plugin-model-scan-common';

/** A package URL for targets that have one (Hugging Face repositories at a revision). */
export function targetPurl(target: string): string | undefined {
  const m = /^hf:\/\/([^/@\s]+)\/([^/@\s]+)(?:@([^/\s]+))?$/.exec(target);
  if (!m) return undefined;
  const [, org, repo, rev] = m;
  return `pkg:huggingface/${encodeURIComponent(org)}/${encodeURIComponent(
    repo,
  )}${rev ? `@${encodeURIComponent(rev)}` : ''}`;
}

/** Whether the scan has finished with file results (a BOM describes what was scanned). */
export function hasBom(scan: Scan): boolean {
  return scan.status === 'completed' && Array.isArray(scan.files);
}

export function scanBom(scan: Scan): Record<string, unknown> {
  const at = scan.completedAt ?? scan.createdAt;
  return toCycloneDx(scan.files ?? [], {
    subject: { name: scan.target, purl: targetPurl(scan.target) },
    timestamp: new Date(at),
  });
}
