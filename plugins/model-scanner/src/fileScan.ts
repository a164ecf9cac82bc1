/**
 * One file's scan: the state shared by every nested object of the file (findings, errors, the
 * detected format, the decompressed-byte budget used so far, member count, pickle imports,
 * TorchScript roots, references) and the recursive entry point for each object (`scanSource`).
 */
import * as path from 'node:path';
import type {
  ByteSource,
  FileScanResult,
  Finding,
  FormatScanContext,
  ScanLimits,
} from './types';
import { DecompressionLimitError } from './byteSource';
import { finding } from './rules';
import { hasZipDirectory, scanZip } from './containers/zip';
import { isTensorPayloadMember } from './sniff';
import { dispatchContent } from './dispatch';
import { FindingSet, verdictOf } from './verdict';

/** One file's scan: collects findings, errors and the detected format across nested objects. */
export class FileScan {
  readonly findings = new FindingSet();
  readonly errors: string[] = [];
  format = 'unknown';
  decompressed = 0;
  members = 0;
  /** Every global imported by the file's pickles. */
  readonly pickleImports = new Set<string>();
  /** Source-name prefixes of TorchScript archives found so far ("x.pt!/archive/"). */
  readonly torchScriptRoots = new Set<string>();
  /** Sibling files the top-level model names as raw tensor data. */
  readonly references = new Set<string>();
  /** Model files that name this file as their raw tensor data. */
  referencedBy: string[] = [];
  constructor(
    readonly topName: string,
    readonly limits: ScanLimits,
    readonly signal?: AbortSignal,
  ) {}

  memberOf(source: ByteSource): string | undefined {
    const prefix = `${this.topName}!/`;
    return source.name.startsWith(prefix)
      ? source.name.slice(prefix.length)
      : undefined;
  }

  context(
    source: ByteSource,
    depth: number,
  ): FormatScanContext & { scan: FileScan } {
    const member = this.memberOf(source);
    return {
      scan: this,
      source,
      limits: this.limits,
      depth,
      report: (f: Finding) => {
        const loc = { ...(f.location ?? {}) };
        if (member && !loc.member) loc.member = member;
        this.findings.add({
          ...f,
          location: Object.keys(loc).length ? loc : undefined,
        });
      },
      error: (m: string) => {
        if (this.errors.length < 100)
          this.errors.push(member ? `${member}: ${m}` : m);
      },
      scanNested: (s: ByteSource) => this.scanSource(s, depth + 1),
      setFormat: (f: string) => {
        if (depth === 0) this.format = f;
      },
      addReference: (rel: string) => {
        if (depth === 0 && this.references.size < 10_000)
          this.references.add(rel);
      },
    };
  }

  /** Detects the content and dispatches to the right scanner. */
  async scanSource(source: ByteSource, depth: number): Promise<void> {
    if (this.signal?.aborted) throw new Error('scan aborted');
    const ctx = this.context(source, depth);
    if (depth > this.limits.maxDepth) {
      ctx.report(
        finding(
          'ARCHIVE_TOO_DEEP',
          `Nested content at depth ${depth} exceeds the limit of ${this.limits.maxDepth} and was not inspected.`,
        ),
      );
      return;
    }
    const head = await source.read(0, 4096);
    const baseName = path.basename(
      source.name.split('!/').pop() ?? source.name,
    );
    try {
      const zipped = await dispatchContent(this, source, head, baseName, ctx);
      if (zipped !== 'zip' && (await hasZipDirectory(source))) {
        ctx.report(
          finding(
            'POLYGLOT_ZIP',
            `${baseName} is also a zip archive (a zip directory follows the ${this.format} content); its members were scanned.`,
          ),
        );
        const format = this.format;
        await scanZip(ctx);
        if (depth === 0) this.format = format;
      }
    } catch (e) {
      if (e instanceof DecompressionLimitError) {
        ctx.report(
          finding(
            'ARCHIVE_BOMB',
            `${baseName} decompresses to more than its declared size or the decompression limit (${e.message}).`,
          ),
        );
      } else ctx.error(`${(e as Error).message}`);
    }
  }

  /** Raw tensor payloads inside model archives (PyTorch data/N, joblib, ...) are hashed, not parsed. */
  isTensorPayload(source: ByteSource): boolean {
    return isTensorPayloadMember(this.memberOf(source) ?? '');
  }

  result(
    filePath: string,
    size: number,
    sha256: string,
    started: number,
  ): FileScanResult {
    const findings = this.findings.list();
    const { verdict, severity } = verdictOf(findings, this.errors);
    return {
      path: filePath,
      sha256,
      size,
      format: this.format,
      verdict,
      severity,
      findings,
      errors: [...this.errors],
      durationMs: Date.now() - started,
      ...(this.pickleImports.size
        ? { pickleImports: [...this.pickleImports].sort() }
        : {}),
      ...(this.references.size
        ? { references: [...this.references].sort() }
        : {}),
    };
  }
}
