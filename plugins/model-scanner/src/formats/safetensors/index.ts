/**
 * safetensors: 8-byte little-endian header length, a JSON header, then the data section.
 * We check what the official loader checks (and what it silently tolerates): header
 * bounds, dtype/shape/byte-length consistency, offsets inside the data section, overlaps,
 * gaps and trailing bytes, duplicate names, and `__metadata__` string values.
 * Tensor payloads are never read.
 */
import type { Finding, FormatScanContext, FormatScanner } from '../../types';
import { subSource } from '../onnx/cachedReader';
import { isJsonObject, JsonSyntaxError, parseJson, pathKey } from '../tokenizerConfig/boundedJson';

export const SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024;

/** Size in bits of one element of each dtype. */
const DTYPE_BITS: Record<string, number> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32, C64: 64,
  F64: 64, I64: 64, U64: 64,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

export const safetensorsRules: Record<string, string> = {
  SAFETENSORS_HEADER_INVALID: 'The safetensors header is not valid JSON of the expected shape, so loaders will disagree about the file.',
  SAFETENSORS_HEADER_TOO_LARGE: 'The header length field is larger than the file or the 100 MB limit of the format.',
  SAFETENSORS_BAD_DTYPE: 'A tensor declares a dtype the format does not define.',
  SAFETENSORS_BAD_SHAPE: 'A tensor shape is not a list of non-negative integers.',
  SAFETENSORS_SIZE_MISMATCH: 'The byte range of a tensor does not match its dtype and shape.',
  SAFETENSORS_OFFSET_OUT_OF_BOUNDS: 'A tensor byte range points outside the data section of the file.',
  SAFETENSORS_OVERLAPPING_TENSORS: 'Two tensors share bytes; the official loader refuses this and other loaders read different data.',
  SAFETENSORS_UNACCOUNTED_BYTES: 'Bytes in the data section belong to no tensor: they can hide a payload that travels with the model.',
  SAFETENSORS_DUPLICATE_TENSOR: 'The header names the same tensor twice; loaders keep different copies.',
  SAFETENSORS_METADATA_NOT_STRING: '__metadata__ must map strings to strings; other values break loaders and can carry data.',
  SAFETENSORS_METADATA_SUSPICIOUS: 'A __metadata__ value looks like code or a script rather than a description.',
};

export function readHeaderLength(head: Buffer): number | undefined {
  if (head.length < 8) return undefined;
  const lo = head.readUInt32LE(0);
  const hi = head.readUInt32LE(4);
  if (hi !== 0) return undefined;
  return lo;
}

/**
 * An 8-byte length followed by the start of a JSON object whose first key is a string: the shape of a
 * safetensors header even when the length itself cannot be true (beyond the file or the format's
 * 100 MB bound). Such a file is scanned as safetensors so that the impossible length is reported.
 */
function impossibleHeaderLength(head: Buffer, size: number): boolean {
  if (head.length < 11 || head[8] !== 0x7b || head[9] !== 0x22) return false;
  const n = head.readBigUInt64LE(0);
  return n + 8n > BigInt(size) || n > BigInt(SAFETENSORS_MAX_HEADER);
}

function detect(head: Buffer, hint: { name: string; size: number }): number {
  const n = readHeaderLength(head);
  if (impossibleHeaderLength(head, hint.size)) return /\.safetensors$/i.test(hint.name) ? 70 : 55;
  if (n === undefined || n < 2 || n > SAFETENSORS_MAX_HEADER || n + 8 > hint.size) return 0;
  if (head.length < 9 || head[8] !== 0x7b /* { */) return 0;
  // the first key follows, optionally after spaces
  let i = 9;
  while (i < head.length && i < 8 + n && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (i < head.length && head[i] !== 0x22 && head[i] !== 0x7d) return 0;
  if (8 + n <= head.length) {
    // the whole header is in view: it must parse
    try {
      const text = head.subarray(8, 8 + n).toString('utf8');
      const { value } = parseJson(text.replace(/[ ]+$/, ''));
      if (!isJsonObject(value)) return 0;
    } catch {
      return 0;
    }
    return 90;
  }
  return /\.safetensors$/i.test(hint.name) ? 70 : 55;
}

const ATLAS = ['AML.T0010.003'];

function describeJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (v === null) return 'null';
  return typeof v;
}

async function scan(ctx: FormatScanContext): Promise<void> {
  const { source } = ctx;
  const size = source.size;
  const first = await source.read(0, 8);
  const report = (f: Omit<Finding, 'atlas'> & { atlas?: string[] }) => ctx.report({ atlas: ATLAS, ...f });
  const n = readHeaderLength(first);
  if (n === undefined || n + 8 > size || n > SAFETENSORS_MAX_HEADER) {
    report({
      ruleId: 'SAFETENSORS_HEADER_TOO_LARGE',
      severity: 'high',
      message: `The header length field (${first.length >= 8 ? first.readBigUInt64LE(0).toString() : '?'}) exceeds the file size (${size}) or the 100 MB format limit.`,
      location: { offset: 0 },
      cwe: ['CWE-20'],
    });
    return;
  }
  ctx.setFormat('safetensors');
  const headerBuf = await source.read(8, n);
  let text = headerBuf.toString('utf8');
  let parsed;
  try {
    parsed = parseJson(text.replace(/[ \t\r\n]+$/, ''));
  } catch (e) {
    report({
      ruleId: 'SAFETENSORS_HEADER_INVALID',
      severity: 'high',
      message: `The header is not valid JSON (${e instanceof JsonSyntaxError ? e.message : String(e)}).`,
      location: { offset: 8 },
      cwe: ['CWE-20'],
    });
    return;
  }
  text = '';
  const header = parsed.value;
  if (!isJsonObject(header)) {
    report({ ruleId: 'SAFETENSORS_HEADER_INVALID', severity: 'high', message: 'The header is not a JSON object.', location: { offset: 8 }, cwe: ['CWE-20'] });
    return;
  }
  for (const dup of parsed.duplicateKeys) {
    report({
      ruleId: 'SAFETENSORS_DUPLICATE_TENSOR',
      severity: 'high',
      message: `The header defines "${dup}" more than once; loaders disagree about which copy they use.`,
      location: { path: dup, offset: 8 },
      cwe: ['CWE-20'],
      atlas: ['AML.T0010.003', 'AML.T0076'],
    });
  }
  const dataStart = 8 + n;
  const dataSize = size - dataStart;
  const ranges: Array<{ name: string; begin: number; end: number }> = [];
  let badStructure = 0;
  const structural = (f: Omit<Finding, 'atlas'>) => {
    if (badStructure++ < 50) report(f);
  };

  for (const name of Object.keys(header)) {
    const entry = header[name];
    if (name === '__metadata__') {
      if (!isJsonObject(entry)) {
        report({ ruleId: 'SAFETENSORS_METADATA_NOT_STRING', severity: 'medium', message: '__metadata__ is not an object of strings.', location: { path: '__metadata__' } });
        continue;
      }
      for (const k of Object.keys(entry)) {
        const v = entry[k];
        if (typeof v !== 'string') {
          report({
            ruleId: 'SAFETENSORS_METADATA_NOT_STRING',
            severity: 'medium',
            message: `__metadata__ value "${k}" is a ${describeJsonType(v)}, not a string; the official loader refuses such files.`,
            location: { path: pathKey('__metadata__', k) },
          });
        } else if (/(?:\b__import__\s*\(|\bos\.system\s*\(|\bsubprocess\.|\beval\s*\(|\bexec\s*\(|<script\b|\{\{[^}]*__\w+__|\{%[^%]*__\w+__)/.test(v)) {
          report({
            ruleId: 'SAFETENSORS_METADATA_SUSPICIOUS',
            severity: 'medium',
            message: `__metadata__ value "${k}" contains code-like text that a consumer might evaluate or render.`,
            location: { path: pathKey('__metadata__', k) },
            cwe: ['CWE-94'],
            details: { excerpt: v.slice(0, 200) },
          });
        }
      }
      continue;
    }
    const loc = { path: name };
    if (!isJsonObject(entry)) {
      structural({ ruleId: 'SAFETENSORS_HEADER_INVALID', severity: 'high', message: `Tensor "${name}" is not described by an object.`, location: loc, cwe: ['CWE-20'] });
      continue;
    }
    const { dtype, shape, data_offsets: offs } = entry as Record<string, unknown>;
    const bits = typeof dtype === 'string' ? DTYPE_BITS[dtype] : undefined;
    if (bits === undefined) {
      structural({ ruleId: 'SAFETENSORS_BAD_DTYPE', severity: 'medium', message: `Tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}.`, location: loc, cwe: ['CWE-20'] });
    }
    let elements: bigint | undefined = 1n;
    if (!Array.isArray(shape) || !shape.every(d => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
      structural({ ruleId: 'SAFETENSORS_BAD_SHAPE', severity: 'medium', message: `Tensor "${name}" has an invalid shape ${JSON.stringify(shape)?.slice(0, 100)}.`, location: loc, cwe: ['CWE-20'] });
      elements = undefined;
    } else {
      for (const d of shape as number[]) elements *= BigInt(d);
    }
    if (
      !Array.isArray(offs) || offs.length !== 2 ||
      !offs.every(o => typeof o === 'number' && Number.isInteger(o) && o >= 0) ||
      (offs[0] as number) > (offs[1] as number)
    ) {
      structural({ ruleId: 'SAFETENSORS_HEADER_INVALID', severity: 'high', message: `Tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)?.slice(0, 100)}.`, location: loc, cwe: ['CWE-20'] });
      continue;
    }
    const [begin, end] = offs as number[];
    if (end > dataSize) {
      structural({
        ruleId: 'SAFETENSORS_OFFSET_OUT_OF_BOUNDS',
        severity: 'high',
        message: `Tensor "${name}" ends at byte ${end} of a data section of ${dataSize} bytes.`,
        location: { path: name, offset: dataStart + begin },
        cwe: ['CWE-125'],
      });
    }
    if (bits !== undefined && elements !== undefined) {
      const totalBits = elements * BigInt(bits);
      const expected = (totalBits + 7n) / 8n;
      if (totalBits % 8n !== 0n || expected !== BigInt(end - begin)) {
        structural({
          ruleId: 'SAFETENSORS_SIZE_MISMATCH',
          severity: 'high',
          message: `Tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${expected} bytes but its range holds ${end - begin}.`,
          location: { path: name, offset: dataStart + begin },
          cwe: ['CWE-20'],
        });
      }
    }
    ranges.push({ name, begin, end: Math.min(end, dataSize) });
  }

  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let overlaps = 0;
  let gapBytes = 0;
  let prev: { name: string; end: number } | undefined;
  for (const r of ranges) {
    if (r.end === r.begin) continue; // empty tensors take no bytes
    if (prev && r.begin < prev.end) {
      if (overlaps++ < 20) {
        report({
          ruleId: 'SAFETENSORS_OVERLAPPING_TENSORS',
          severity: 'high',
          message: `Tensors "${prev.name}" and "${r.name}" share bytes ${r.begin}..${Math.min(prev.end, r.end)} of the data section.`,
          location: { path: r.name, offset: dataStart + r.begin },
          cwe: ['CWE-20'],
          atlas: ['AML.T0010.003', 'AML.T0076'],
        });
      }
    } else if (r.begin > cursor) {
      gapBytes += r.begin - cursor;
    }
    if (!prev || r.end > prev.end) prev = { name: r.name, end: r.end };
    cursor = Math.max(cursor, r.end);
  }
  const trailing = dataSize - cursor;
  if (gapBytes > 0 || trailing > 0) {
    report({
      ruleId: 'SAFETENSORS_UNACCOUNTED_BYTES',
      severity: 'medium',
      message: `${gapBytes + Math.max(0, trailing)} byte(s) of the data section belong to no tensor (${gapBytes} in gaps, ${Math.max(0, trailing)} after the last tensor); the official loader refuses such files and the bytes can hide a payload.`,
      location: { offset: dataStart + cursor },
      cwe: ['CWE-20'],
      atlas: ['AML.T0010.003', 'AML.T0018.002'],
      details: { gapBytes, trailingBytes: Math.max(0, trailing) },
    });
    if (trailing > 0 && ctx.depth < ctx.limits.maxDepth) {
      // whatever hides after the tensors is scanned like any embedded object
      await ctx.scanNested(subSource(source, dataStart + cursor, trailing, `${source.name}!/<trailing bytes>`));
    }
  }
}

export const safetensorsScanner: FormatScanner = { id: 'safetensors', detect, scan };
