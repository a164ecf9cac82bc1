import type { Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type {
  ByteSource,
  FileScanResult,
  Finding,
  FormatScanContext,
  ScanLimits,
  Severity,
  Verdict,
} from './types';
import {
  BufferByteSource,
  DecompressionLimitError,
  FileByteSource,
  InflateByteSource,
  SliceByteSource,
} from './byteSource';
import { finding } from './rules';
import { PickleMachine, PickleParseFailure } from './pickle/machine';
import { hasZipDirectory, scanZip, ZIP_LOCAL_MAGIC } from './containers/zip';
import { scanTar, looksLikeTar } from './containers/tar';
import { scanNpy } from './containers/npy';
import { formatScanners } from './formats';
import { clamdScanFile } from './clamd';
import {
  readHeaderLength as readSafetensorsHeaderLength,
  SAFETENSORS_MAX_HEADER,
} from './formats/safetensors';
import { isJsonObject, parseJson } from './formats/tokenizerConfig/boundedJson';
import { findHdf5Signature } from './formats/keras/hdf5';
import type { SevenZipKind } from './containers/sevenZip';
import { scanWith7z } from './containers/sevenZipScan';
import { mayHoldHydraTargets, scanHydraConfig } from './formats/hydra';
import {
  isTorchScriptSource,
  scanTorchScriptSource,
} from './formats/torchscript';

export const DEFAULT_LIMITS: ScanLimits = {
  maxOpcodes: 50_000_000,
  maxMemo: 300_000,
  maxDepth: 6,
  maxDecompressedBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 200,
  maxMembers: 100_000,
};

export interface ClamdOptions {
  socket?: string;
  host?: string;
  port?: number;
  timeoutMs?: number;
}

export interface ScanOptions {
  /** Compute the SHA-256 of the file (default true). */
  hash?: boolean;
  limits?: Partial<ScanLimits>;
  clamd?: ClamdOptions;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  signal?: AbortSignal;
  /** Name to report instead of the path (e.g. the original URL). */
  displayName?: string;
  /**
   * The file is named as raw tensor data by these model files (ONNX external data, checkpoint data
   * shards), as found by `scanFiles`/`scanDirectory`. Such a file is classified `tensor-data`: hashed,
   * checked for embedded executables, archives and pickles, otherwise safe. Without it, content that
   * matches no format stays UNKNOWN_FORMAT (suspicious).
   */
  referencedBy?: string[];
}

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

const SAFE_CLAIM_EXTENSIONS =
  /\.(safetensors|gguf|onnx|json|txt|md|npy|h5|hdf5|keras|csv|yaml|yml|model|tflite|msgpack)$/i;

/** Compressed streams and archives recognised by magic (decoded by Node's zlib, our LZ4 decoder or 7-Zip). */
const COMPRESSED_CONTAINERS: Array<[SevenZipKind | 'zstd' | 'lz4', Buffer]> = [
  ['7z', Buffer.from('377abcaf271c', 'hex')],
  ['rar5', Buffer.from('526172211a070100', 'hex')],
  ['rar', Buffer.from('526172211a0700', 'hex')],
  ['xz', Buffer.from('fd377a585a00', 'hex')],
  ['bzip2', Buffer.from('425a68', 'hex')],
  ['zstd', Buffer.from('28b52ffd', 'hex')],
  ['lz4', Buffer.from('04224d18', 'hex')],
  ['lz4', Buffer.from('02214c18', 'hex')],
];

/**
 * The "alone" .lzma header (joblib's `lzma` compressor, `xz --format=lzma`): properties byte, a
 * dictionary size liblzma accepts (2^n or 2^n + 2^(n-1)), and an unknown (-1) or sane size.
 */
export function looksLikeLzmaAlone(head: Buffer): boolean {
  if (head.length < 14 || head[0] >= 225) return false;
  const dict = head.readUInt32LE(1);
  let ok = false;
  for (let n = 12; n <= 30 && !ok; n++)
    ok = dict === 2 ** n || dict === 2 ** n + 2 ** (n - 1);
  if (!ok) return false;
  const lo = head.readUInt32LE(5);
  const hi = head.readUInt32LE(9);
  if (lo === 0xffffffff && hi === 0xffffffff) return true;
  // liblzma refuses declared sizes of 256 GiB and more; the first range-coder byte is always 0
  return hi < 64 && head[13] === 0;
}

/** "BZh" + block size 1-9 + the first block's magic (or the end-of-stream magic of an empty stream). */
function isBzip2Head(head: Buffer): boolean {
  if (head.length < 10 || head[3] < 0x31 || head[3] > 0x39) return false;
  const magic = head.subarray(4, 10).toString('hex');
  return magic === '314159265359' || magic === '177245385090';
}

function isPickleHead(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x80 && head[1] <= 5;
}

/** Opcodes a pickle can start with (anything that does not pop the empty stack). */
const PROTO0_START = new Set(
  Buffer.from(
    '(]})cNIJKLMFGSTUVXBCdltPi\x80\x82\x83\x84\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x94\x95\x96\x97',
    'latin1',
  ),
);
const IDENT_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const IMPORT_OR_CALL_RULES = new Set([
  'PICKLE_DANGEROUS_GLOBAL',
  'PICKLE_DANGEROUS_CALL',
  'PICKLE_NON_ALLOWLISTED_GLOBAL',
  'PICKLE_NESTED_PICKLE',
  'PICKLE_CALL_OF_RESULT',
]);

/**
 * Whether a finding of an alternative (shadow) pickle reading names a well-formed import or call,
 * as opposed to garbage that merely decoded as opcodes.
 */
function namesRealImportOrCall(f: Finding): boolean {
  const g = f.details?.global ?? f.details?.callee;
  return (
    IMPORT_OR_CALL_RULES.has(f.ruleId) &&
    typeof g === 'string' &&
    IDENT_PATH.test(g.replace(/\(…\)$/, ''))
  );
}

function looksLikeText(head: Buffer): boolean {
  if (!head.length) return true;
  let printable = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  }
  if (printable / head.length < 0.95) return false;
  try {
    // stream mode: a multi-byte character cut by the 4 KiB window is not an error
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Largest safetensors header the engine reads whole to validate a PROTO-looking length field. */
const SAFETENSORS_VALIDATE_MAX = 32 * 1024 * 1024;

/**
 * A safetensors file whose 8-byte header length starts with 0x80 0x00..0x05 looks like a pickle PROTO
 * opcode. It is a safetensors file when the whole header parses as a JSON object and every tensor's
 * data_offsets lie inside the data section: structural evidence that outranks a two-byte sniff.
 */
export async function isStructurallySafetensors(
  source: ByteSource,
  head: Buffer,
): Promise<boolean> {
  const n = readSafetensorsHeaderLength(head);
  if (n === undefined || n < 2 || n > SAFETENSORS_MAX_HEADER) return false;
  if (n > SAFETENSORS_VALIDATE_MAX || n + 8 > source.size) return false;
  if (head.length < 9 || head[8] !== 0x7b) return false;
  const header =
    8 + n <= head.length ? head.subarray(8, 8 + n) : await source.read(8, n);
  if (header.length !== n) return false;
  let value: unknown;
  try {
    value = parseJson(header.toString('utf8').replace(/[ ]+$/, '')).value;
  } catch {
    return false;
  }
  if (!isJsonObject(value)) return false;
  const dataSize = source.size - 8 - n;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === '__metadata__') continue;
    if (!isJsonObject(v)) return false;
    const offs = (v as Record<string, unknown>).data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every(o => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offs[0] as number) > (offs[1] as number) ||
      (offs[1] as number) > dataSize
    )
      return false;
  }
  return true;
}

/** Magic numbers of native executables and scripts (never the start of raw tensor data). */
const EXECUTABLE_MAGIC: Array<[string, (h: Buffer) => boolean]> = [
  [
    'an ELF executable',
    h =>
      h.length >= 7 &&
      h.subarray(0, 4).toString('latin1') === '\x7fELF' &&
      (h[4] === 1 || h[4] === 2) &&
      (h[5] === 1 || h[5] === 2) &&
      h[6] === 1,
  ],
  [
    'a Windows PE executable',
    h => {
      if (h.length < 64 || h[0] !== 0x4d || h[1] !== 0x5a) return false;
      const pe = h.readUInt32LE(0x3c);
      return (
        pe + 4 <= h.length &&
        h.subarray(pe, pe + 4).toString('latin1') === 'PE\0\0'
      );
    },
  ],
  [
    'a Mach-O executable',
    h =>
      h.length >= 8 &&
      [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(
        h.readUInt32BE(0),
      ),
  ],
  [
    'a script (#!)',
    h =>
      /^#! ?\/[\x21-\x7e]+( [\x20-\x7e]*)?\r?\n/.test(
        h.subarray(0, 512).toString('latin1'),
      ),
  ],
];

class Aggregator {
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

/** One file's scan: collects findings, errors and the detected format across nested objects. */
export class FileScan {
  readonly findings = new Aggregator();
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
      const zipped = await this.dispatch(source, head, baseName, ctx);
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

  private masquerade(ctx: FormatScanContext, baseName: string, actual: string) {
    if (SAFE_CLAIM_EXTENSIONS.test(baseName)) {
      ctx.report(
        finding(
          'MASQUERADING_EXTENSION',
          `${baseName} is named like a ${path.extname(
            baseName,
          )} file but its content is a ${actual}.`,
          undefined,
          { actualFormat: actual },
        ),
      );
    }
  }

  private async dispatch(
    source: ByteSource,
    head: Buffer,
    baseName: string,
    ctx: FormatScanContext & { scan: FileScan },
  ): Promise<string> {
    const hint = { name: baseName, size: source.size };
    // raw tensor data named by a sibling model: only embedded programs and archives are findings
    const tensorData = ctx.depth === 0 && this.referencedBy.length > 0;
    const referrers = this.referencedBy.slice(0, 3).join(', ');
    if (tensorData) {
      const exe = EXECUTABLE_MAGIC.find(([, test]) => test(head));
      if (exe) {
        ctx.setFormat('tensor-data');
        ctx.report(
          finding(
            'TENSOR_DATA_EMBEDDED_CODE',
            `${baseName} is named as raw tensor data by ${referrers} but is ${exe[0]}.`,
            { offset: 0 },
            { kind: exe[0], referencedBy: this.referencedBy.slice(0, 10) },
          ),
        );
        return 'other';
      }
    }
    // TorchScript source (code/**.py of a torch.jit archive): compiled and run by torch.jit.load
    if (
      ctx.depth > 0 &&
      isTorchScriptSource(source.name, this.torchScriptRoots) &&
      looksLikeText(head)
    ) {
      await scanTorchScriptSource(ctx);
      return 'other';
    }
    if (
      head.length >= 4 &&
      (head.readUInt32LE(0) === ZIP_LOCAL_MAGIC ||
        head.readUInt32LE(0) === 0x06054b50)
    ) {
      if (tensorData)
        ctx.report(
          finding(
            'TENSOR_DATA_ARCHIVE',
            `${baseName} is named as raw tensor data by ${referrers} but is a zip archive; its members were scanned.`,
            { offset: 0 },
          ),
        );
      if (
        /\.(zip|npz|pt|pth|bin|ckpt|keras|pkl|tar|mar)$/i.test(baseName) ===
          false &&
        SAFE_CLAIM_EXTENSIONS.test(baseName)
      ) {
        this.masquerade(ctx, baseName, 'zip archive');
      }
      await scanZip(ctx);
      return 'zip';
    }
    if (
      head.length >= 6 &&
      head.subarray(0, 6).toString('latin1') === '\x93NUMPY'
    ) {
      ctx.setFormat('numpy');
      await scanNpy(ctx);
      return 'other';
    }
    if (
      head.length >= 3 &&
      head[0] === 0x1f &&
      head[1] === 0x8b &&
      (!tensorData || head[2] === 8)
    ) {
      ctx.setFormat('gzip');
      await this.scanCompressed(source, 'gzip', ctx);
      return 'other';
    }
    if (looksLikeTar(head)) {
      await scanTar(ctx);
      return 'other';
    }
    const container = COMPRESSED_CONTAINERS.find(([, magic]) =>
      head.subarray(0, magic.length).equals(magic),
    );
    if (container && !(container[0] === 'bzip2' && !isBzip2Head(head))) {
      const kind = container[0];
      if (kind === 'zstd' || kind === 'lz4') {
        ctx.setFormat(kind);
        await this.scanCompressed(source, kind, ctx);
      } else await scanWith7z(ctx, kind);
      return 'other';
    }
    if (isPickleHead(head) && !tensorData) {
      // structure beats a two-byte sniff: a safetensors header length such as 640 starts 0x80 0x02
      const structural = await this.structuralFormat(source, head, hint);
      if (structural) {
        ctx.setFormat(structural.id);
        await structural.scan(ctx);
        await this.pickleReading(source, ctx, structural.id, baseName);
        return 'other';
      }
    }
    if (isPickleHead(head)) {
      if (tensorData) {
        // fp16/bf16 data starts with 0x80 0x0N often: only a real pickle program is reported
        await this.scanPickle(source, ctx, false);
        this.tensorDataResult(ctx, baseName, referrers);
        return 'other';
      }
      if (
        !/\.(pkl|pickle|pt|pth|bin|ckpt|joblib|dill|dat|data|p|sav|model|z)$/i.test(
          baseName,
        )
      )
        this.masquerade(ctx, baseName, 'pickle');
      // a tensor storage whose first bytes happen to look like PROTO is weak evidence
      await this.scanPickle(
        source,
        ctx,
        !(ctx.depth > 0 && this.isTensorPayload(source)),
      );
      return 'other';
    }
    // other engineers' format modules (content detection, name as a hint)
    let best: { s: (typeof formatScanners)[number]; c: number } | undefined;
    for (const s of formatScanners) {
      let c = 0;
      try {
        c = s.detect(head, hint);
      } catch {
        c = 0;
      }
      if (c > 0 && (!best || c > best.c)) best = { s, c };
    }
    // a weak name-and-shape guess never reclassifies raw tensor data
    if (tensorData && best && best.c < 80) best = undefined;
    if (best && best.c >= 50) {
      ctx.setFormat(best.s.id);
      await best.s.scan(ctx);
      return 'other';
    }
    // HDF5 after a userblock larger than the detection window (Keras .h5 with a userblock)
    // (not in raw storages, and not through inflating streams where a far read inflates everything)
    if (
      source.size > head.length &&
      !(source instanceof InflateByteSource) &&
      (ctx.depth === 0 || !this.isTensorPayload(source)) &&
      (await findHdf5Signature(source, 4096)) >= 0
    ) {
      const h5 = formatScanners.find(s => s.id === 'keras-h5');
      if (h5) {
        ctx.setFormat(h5.id);
        await h5.scan(ctx);
        return 'other';
      }
    }
    if (!tensorData && looksLikeLzmaAlone(head)) {
      await scanWith7z(ctx, 'lzma');
      return 'other';
    }
    if (
      !tensorData &&
      head.length >= 2 &&
      head[0] === 0x78 &&
      ((head[0] << 8) | head[1]) % 31 === 0
    ) {
      ctx.setFormat('zlib');
      await this.scanCompressed(source, 'zlib', ctx);
      return 'other';
    }
    if (
      head.length &&
      PROTO0_START.has(head[0]) &&
      (await this.probePickle(source))
    ) {
      if (
        !/\.(pkl|pickle|pt|pth|bin|ckpt|joblib|dill|dat|data|p|sav)$/i.test(
          baseName,
        )
      )
        this.masquerade(ctx, baseName, 'pickle');
      await this.scanPickle(source, ctx, false);
      if (tensorData) this.tensorDataResult(ctx, baseName, referrers);
      return 'other';
    }
    if (best) {
      ctx.setFormat(best.s.id);
      await best.s.scan(ctx);
      return 'other';
    }
    // raw tensor data (even bytes that happen to be printable): scripts were refused above
    if (tensorData) {
      this.tensorDataResult(ctx, baseName, referrers);
      return 'other';
    }
    if (looksLikeText(head)) {
      const text = head.toString('utf8');
      const first = text.trimStart()[0];
      ctx.setFormat(first === '{' || first === '[' ? 'json' : 'text');
      // Hydra/NeMo configs: hydra.utils.instantiate imports and calls every _target_
      if (mayHoldHydraTargets(text, baseName)) await scanHydraConfig(ctx);
      // OpenVINO IR: model.xml (<net ...>) keeps its weights as raw bytes in model.bin next to it
      if (
        ctx.depth === 0 &&
        /\.xml$/i.test(baseName) &&
        /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<net[\s>]/.test(text)
      ) {
        ctx.setFormat('openvino-ir');
        ctx.addReference?.(`${baseName.slice(0, -4)}.bin`);
      }
      return 'other';
    }
    ctx.setFormat('unknown');
    if (ctx.depth === 0 || !this.isTensorPayload(source)) {
      ctx.report(
        finding(
          'UNKNOWN_FORMAT',
          `The content of ${baseName} matches no known model or data format, so it could not be checked.`,
        ),
      );
    }
    return 'other';
  }

  /** Closes the classification of a referenced raw tensor data file. */
  private tensorDataResult(
    ctx: FormatScanContext,
    baseName: string,
    referrers: string,
  ) {
    ctx.setFormat('tensor-data');
    ctx.report(
      finding(
        'TENSOR_DATA',
        `${baseName} holds raw tensor data named by ${referrers}; it was hashed and checked for embedded executable content.`,
        undefined,
        { referencedBy: this.referencedBy.slice(0, 10) },
      ),
    );
  }

  /** A format module whose structural validation outranks the weak 0x80 PROTO sniff. */
  private async structuralFormat(
    source: ByteSource,
    head: Buffer,
    hint: { name: string; size: number },
  ): Promise<(typeof formatScanners)[number] | undefined> {
    if (await isStructurallySafetensors(source, head))
      return formatScanners.find(s => s.id === 'safetensors');
    for (const s of formatScanners) {
      if (s.id === 'safetensors') continue;
      let c = 0;
      try {
        c = s.detect(head, hint);
      } catch {
        c = 0;
      }
      // magic-validated formats (GGUF, HDF5, ONNX/SavedModel protobuf heads)
      if (c >= 80) return s;
    }
    return undefined;
  }

  /**
   * The same bytes read as a pickle (a file that validated as another format but starts like one).
   * A complete pickle program is a polyglot and is scanned in full; otherwise only what the partial
   * reading really imports or calls is reported.
   */
  private async pickleReading(
    source: ByteSource,
    ctx: FormatScanContext & { scan: FileScan },
    format: string,
    baseName: string,
  ) {
    const seen: Finding[] = [];
    const m = new PickleMachine(source, {
      limits: this.limits,
      report: f => {
        if (seen.length < 200) seen.push(f);
      },
      scanNestedRange: async () => {},
      scanNestedBuffer: async () => {},
      shadow: true,
    });
    const out = await m.runStream();
    if (out.ok && out.opcodes >= 2) {
      ctx.report(
        finding(
          'PICKLE_POLYGLOT',
          `${baseName} is a valid ${format} file and also a complete pickle (${out.opcodes} opcodes); the pickle reading was scanned.`,
          { offset: 0 },
          { format },
        ),
      );
      await this.scanPickle(source, ctx, true);
      ctx.setFormat(format);
      return;
    }
    for (const f of seen) {
      if (namesRealImportOrCall(f))
        ctx.report({
          ...f,
          message: `${f.message} (seen when the ${format} file is read as a pickle)`,
        });
    }
  }

  /** Raw tensor payloads inside model archives (PyTorch data/N, joblib, ...) are hashed, not parsed. */
  private isTensorPayload(source: ByteSource): boolean {
    const m = this.memberOf(source) ?? '';
    return (
      /(^|\/)(data|storages|tensors)(\/|$)|\/\d+$|^\d+$|(^|\/)(byteorder|version|\.data\/serialization_id|constants\.pkl|\.format_version|\.storage_alignment)$/.test(
        m,
      ) || /\.(bin|dat|data|raw|storage)$/i.test(m)
    );
  }

  /** Protocol 0/1 pickles are text-like: accept when the machine parses the head cleanly. */
  private async probePickle(source: ByteSource): Promise<boolean> {
    const head = await source.read(0, 64 * 1024);
    let saw = false;
    const m = new PickleMachine(new BufferByteSource(head, source.name), {
      limits: this.limits,
      report: f => {
        // only a well-formed import counts: text that happens to start with "c" is not a pickle
        const g = f.details?.global;
        if (typeof g === 'string' && IDENT_PATH.test(g)) saw = true;
        if (f.ruleId === 'PICKLE_UNKNOWN_EXTENSION') saw = true;
      },
      scanNestedRange: async () => {},
      scanNestedBuffer: async () => {},
      shadow: true,
    });
    const out = await m.runStream();
    if (out.ok) return out.opcodes >= 2;
    if (saw) return true;
    // truncated by the probe window, not by an error
    return (
      out.opcodes >= 8 &&
      out.end >= head.length - 16 &&
      head.length < source.size
    );
  }

  async scanPickle(
    source: ByteSource,
    ctx: FormatScanContext & { scan: FileScan },
    strong: boolean,
    start = 0,
    end = source.size,
    torchTarRecords?: 'storages' | 'tensors',
  ) {
    ctx.setFormat('pickle');
    const torchScript = [...this.torchScriptRoots].some(p =>
      source.name.startsWith(p),
    );
    const machine = new PickleMachine(
      source,
      {
        torchScript,
        weak: !strong,
        limits: this.limits,
        report: f => ctx.report(f),
        scanNestedRange: async (off, len) => {
          await this.scanSource(
            new SliceByteSource(source, off, len, `${source.name}!/@${off}`),
            ctx.depth + 1,
          );
        },
        scanNestedBuffer: async (data, why) => {
          await this.scanSource(
            new BufferByteSource(data, `${source.name}!/<${why} argument>`),
            ctx.depth + 1,
          );
        },
        shadowScan: async off => {
          const shadow = new PickleMachine(
            source,
            {
              limits: this.limits,
              report: f => {
                // only what an alternative reading really imports or calls; garbage is not a finding
                if (namesRealImportOrCall(f))
                  ctx.report({
                    ...f,
                    message: `${f.message} (seen when the bytes around a broken frame are read the way another unpickler reads them)`,
                  });
              },
              scanNestedRange: async () => {},
              scanNestedBuffer: async () => {},
              shadow: true,
            },
            off,
            end,
          );
          await shadow.runStream();
        },
      },
      start,
      end,
    );
    try {
      if (torchTarRecords) {
        await machine.scanTorchTarRecords(torchTarRecords);
        return;
      }
      const summary = await machine.scanAll();
      for (const g of summary.globals) {
        if (this.pickleImports.size >= 500) break;
        this.pickleImports.add(`${g.module}.${g.name}`);
      }
      if (summary.legacyTorch) ctx.setFormat('pytorch-legacy');
      else if (summary.joblib) ctx.setFormat('joblib');
    } catch (e) {
      if (e instanceof PickleParseFailure) {
        const o = e.outcome;
        // a weakly detected member of an archive that is not really a pickle is just data
        if (!strong && o.worst === 'safe') return;
        ctx.error(`invalid pickle: ${e.message}`);
        return;
      }
      throw e;
    }
  }

  private async scanCompressed(
    source: ByteSource,
    kind: 'gzip' | 'zlib' | 'zstd' | 'lz4',
    ctx: FormatScanContext & { scan: FileScan },
  ) {
    // a stream may expand to 64 MiB, beyond that only by the ratio limit: decoding stops there
    const remaining = Math.min(
      Math.max(0, this.limits.maxDecompressedBytes - this.decompressed),
      Math.max(64 << 20, this.limits.maxCompressionRatio * source.size),
    );
    const unpacked = {
      gzip: 'gunzip',
      zlib: 'inflate',
      zstd: 'unzstd',
      lz4: 'unlz4',
    };
    const inflated = new InflateByteSource(
      source,
      kind,
      Number.MAX_SAFE_INTEGER,
      `${source.name}!/${unpacked[kind]}`,
      remaining,
    );
    // find the real size by streaming once (bounded), then scan the content
    let size = 0;
    try {
      for (;;) {
        const b = await inflated.read(size, 1 << 20);
        if (!b.length) break;
        size += b.length;
      }
    } catch (e) {
      if (e instanceof DecompressionLimitError) {
        ctx.report(
          finding(
            'ARCHIVE_BOMB',
            `The ${kind} stream decompresses beyond the limit of ${remaining} bytes.`,
          ),
        );
        return;
      }
      ctx.error(`${kind} stream is corrupt: ${(e as Error).message}`);
      // what decoded before the error is what a loader reads before failing: scan it
      size = Math.max(size, inflated.bytesProduced);
      if (size === 0) return;
    }
    this.decompressed += size;
    if (
      source.size > 0 &&
      size / source.size > this.limits.maxCompressionRatio &&
      size > 64 << 20
    ) {
      ctx.report(
        finding(
          'ARCHIVE_BOMB',
          `The ${kind} stream expands ${Math.round(
            size / source.size,
          )}x (${size} bytes).`,
        ),
      );
    }
    const sized = new InflateByteSource(
      source,
      kind,
      size,
      inflated.name,
      remaining,
      true,
    );
    try {
      await this.scanSource(sized, ctx.depth + 1);
    } finally {
      sized.close();
      inflated.close();
    }
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

/** node:crypto loaded on first use: a --no-hash CLI run never pays for initialising OpenSSL. */
function createHash(algorithm: 'sha256'): Hash {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:crypto') as typeof import('node:crypto')).createHash(
    algorithm,
  );
}

function mergeLimits(l?: Partial<ScanLimits>): ScanLimits {
  return { ...DEFAULT_LIMITS, ...(l ?? {}) };
}

/** SHA-256 of a file with one sequential pass and large reads. */
export async function sha256File(
  filePath: string,
  onProgress?: (done: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const h = createHash('sha256');
  const fh = await fsp.open(filePath, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    let pos = 0;
    for (;;) {
      if (signal?.aborted) throw new Error('scan aborted');
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (!bytesRead) break;
      h.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      pos += bytesRead;
      onProgress?.(pos);
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
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

/** Scans one file on disk. Never loads it whole; hashing runs alongside as one sequential read. */
export async function scanFile(
  filePath: string,
  options: ScanOptions = {},
): Promise<FileScanResult> {
  const started = Date.now();
  const limits = mergeLimits(options.limits);
  const name = options.displayName ?? filePath;
  let source: FileByteSource;
  try {
    source = await FileByteSource.open(filePath, name);
  } catch (e) {
    return {
      ...unreadableResult(
        name,
        `cannot read the file: ${(e as Error).message}`,
      ),
      durationMs: Date.now() - started,
    };
  }
  const scan = new FileScan(name, limits, options.signal);
  scan.referencedBy = options.referencedBy ?? [];
  const size = source.size;
  try {
    const hashing =
      options.hash === false
        ? Promise.resolve('')
        : sha256File(
            filePath,
            done => options.onProgress?.(done, size),
            options.signal,
          );
    const clam = options.clamd
      ? clamdScanFile(filePath, options.clamd).then(
          r => {
            if (r.found) {
              scan
                .context(source, 0)
                .report(
                  finding(
                    'CLAMAV_FOUND',
                    `ClamAV reports ${r.signature}.`,
                    undefined,
                    { signature: r.signature },
                  ),
                );
            }
          },
          e => scan.errors.push(`clamd: ${(e as Error).message}`),
        )
      : Promise.resolve();
    const scanning = scan.scanSource(source, 0).catch(e => {
      scan.errors.push((e as Error).message);
    });
    const [sha] = await Promise.all([hashing, scanning, clam]);
    if (options.hash === false) options.onProgress?.(size, size);
    return scan.result(name, size, sha, started);
  } catch (e) {
    scan.errors.push((e as Error).message);
    return scan.result(name, size, '', started);
  } finally {
    await source.close();
  }
}

/** Scans an in-memory object (small inputs, tests). */
export async function scanBuffer(
  name: string,
  data: Buffer,
  options: ScanOptions = {},
): Promise<FileScanResult> {
  const started = Date.now();
  const scan = new FileScan(name, mergeLimits(options.limits), options.signal);
  scan.referencedBy = options.referencedBy ?? [];
  try {
    await scan.scanSource(new BufferByteSource(data, name), 0);
  } catch (e) {
    scan.errors.push((e as Error).message);
  }
  const sha =
    options.hash === false
      ? ''
      : createHash('sha256').update(data).digest('hex');
  return scan.result(name, data.length, sha, started);
}

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
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
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
