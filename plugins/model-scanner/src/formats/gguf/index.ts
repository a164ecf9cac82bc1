/**
 * GGUF (llama.cpp) header scanner, versions 1-3, little- and big-endian. Every count and
 * length is checked against what is left in the file before anything is read or allocated;
 * string values are skipped without decoding except the few we analyse; tensor data is
 * never read. `tokenizer.chat_template` (and `tokenizer.chat_template.<name>`) is parsed as
 * Jinja and analysed for template injection.
 */
import type { Finding, FormatScanContext, FormatScanner } from '../../types';
import { analyzeChatTemplate } from '../chatTemplate/analyze';
import { prefixedChatTemplateRules } from '../chatTemplate';
import { CachedReader } from '../onnx/cachedReader';

export const ggufRules: Record<string, string> = {
  ...prefixedChatTemplateRules('GGUF'),
  GGUF_CHAT_TEMPLATE_SSTI: 'The chat template stored in the GGUF file reaches Python internals; llama-cpp-python < 0.2.72 renders it unsandboxed and runs code (CVE-2024-34359).',
  GGUF_LENGTH_OUT_OF_BOUNDS: 'A count or length in the GGUF header points past the end of the file; loaders that trust it crash or over-allocate.',
  GGUF_TENSOR_OUT_OF_BOUNDS: 'A tensor described in the GGUF header lies (partly) outside the file.',
  GGUF_TENSOR_OVERLAP: 'Two tensors share bytes of the data section.',
  GGUF_BAD_HEADER: 'The GGUF header is malformed (unknown value type, bad version, too many dimensions...).',
  GGUF_DUPLICATE_KEY: 'A metadata key appears twice; loaders keep different values.',
};

const TYPE_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const T_STRING = 8;
const T_ARRAY = 9;

/** ggml type → [elements per block, bytes per block] */
const GGML_TYPES: Record<number, [number, number]> = {
  0: [1, 4], 1: [1, 2], 2: [32, 18], 3: [32, 20], 6: [32, 22], 7: [32, 24], 8: [32, 34], 9: [32, 36],
  10: [256, 84], 11: [256, 110], 12: [256, 144], 13: [256, 176], 14: [256, 210], 15: [256, 292],
  16: [256, 66], 17: [256, 74], 18: [256, 98], 19: [256, 50], 20: [32, 18], 21: [256, 110], 22: [256, 82],
  23: [256, 136], 24: [1, 1], 25: [1, 2], 26: [1, 4], 27: [1, 8], 28: [1, 8], 29: [256, 56], 30: [1, 2],
  34: [256, 54], 35: [256, 66], 39: [32, 17],
  // repacked Q4_0 / IQ4_NL variants (removed from ggml in 2024, still found in published files)
  31: [32, 18], 32: [32, 18], 33: [32, 18], 36: [32, 18], 37: [32, 18], 38: [32, 18],
};

const MAX_TEMPLATE = 1 << 20;
const MAX_KEY = 1 << 16;

class Bounds extends Error {}

class GgufReader {
  pos = 0;
  constructor(readonly r: CachedReader, readonly le: boolean, readonly v1: boolean) {}
  get left() {
    return this.r.size - this.pos;
  }
  async need(n: number | bigint, what: string) {
    if (BigInt(n) > BigInt(this.left)) throw new Bounds(`${what}: needs ${n} bytes at offset ${this.pos}, only ${this.left} left`);
  }
  async u32(what = 'u32') {
    await this.need(4, what);
    const b = await this.r.bytes(this.pos, 4);
    this.pos += 4;
    return this.le ? b.readUInt32LE(0) : b.readUInt32BE(0);
  }
  async u64(what = 'u64'): Promise<bigint> {
    await this.need(8, what);
    const b = await this.r.bytes(this.pos, 8);
    this.pos += 8;
    return this.le ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0);
  }
  /** a count / length field: u32 in v1, u64 later */
  async len(what: string): Promise<bigint> {
    return this.v1 ? BigInt(await this.u32(what)) : this.u64(what);
  }
  async str(what: string, max: number): Promise<{ value?: string; length: bigint; offset: number }> {
    const length = await this.len(`${what} length`);
    await this.need(length, what);
    const offset = this.pos;
    let value: string | undefined;
    if (length <= BigInt(max)) value = (await this.r.bytes(this.pos, Number(length))).toString('utf8');
    this.pos += Number(length);
    return { value, length, offset };
  }
  async skipStr(what: string) {
    const length = await this.len(`${what} length`);
    await this.need(length, what);
    this.pos += Number(length);
  }
}

function detect(head: Buffer): number {
  if (head.length < 8 || head.toString('latin1', 0, 4) !== 'GGUF') return 0;
  const le = head.readUInt32LE(4);
  const be = head.readUInt32BE(4);
  return (le >= 1 && le <= 3) || (be >= 1 && be <= 3) ? 95 : 40;
}

async function scan(ctx: FormatScanContext): Promise<void> {
  const reader = new CachedReader(ctx.source);
  const report = (f: Omit<Finding, 'atlas'> & { atlas?: string[] }) => ctx.report({ atlas: ['AML.T0010.003'], ...f });
  const head = await reader.bytes(0, 8);
  if (head.length < 8 || head.toString('latin1', 0, 4) !== 'GGUF') {
    ctx.error('not a GGUF file');
    return;
  }
  ctx.setFormat('gguf');
  let le = true;
  let version = head.readUInt32LE(4);
  if (version < 1 || version > 3) {
    const bev = head.readUInt32BE(4);
    if (bev >= 1 && bev <= 3) {
      le = false;
      version = bev;
    } else {
      report({ ruleId: 'GGUF_BAD_HEADER', severity: 'medium', message: `Unknown GGUF version ${version}.`, location: { offset: 4 } });
      return;
    }
  }
  const g = new GgufReader(reader, le, version === 1);
  g.pos = 8;
  const templates: Array<{ key: string; value: string; offset: number }> = [];
  let alignment = 32;
  let tensorCount = 0n;
  try {
    tensorCount = await g.len('tensor count');
    const kvCount = await g.len('metadata count');
    // each KV needs at least a key length, a type and a one-byte value
    const minKv = version === 1 ? 9n : 13n;
    if (kvCount * minKv > BigInt(g.left) || tensorCount * (version === 1 ? 20n : 32n) > BigInt(g.left)) {
      report({
        ruleId: 'GGUF_LENGTH_OUT_OF_BOUNDS',
        severity: 'high',
        message: `The header declares ${kvCount} metadata entries and ${tensorCount} tensors, more than the ${g.left} remaining bytes can hold.`,
        location: { offset: 8 },
        cwe: ['CWE-789', 'CWE-130'],
        atlas: ['AML.T0010.003', 'AML.T0029'],
        details: { kvCount: kvCount.toString(), tensorCount: tensorCount.toString() },
      });
      return;
    }
    const keys = new Set<string>();
    for (let k = 0n; k < kvCount; k++) {
      const keyStr = await g.str('metadata key', MAX_KEY);
      const key = keyStr.value ?? `<key of ${keyStr.length} bytes>`;
      if (keys.has(key)) {
        report({ ruleId: 'GGUF_DUPLICATE_KEY', severity: 'medium', message: `Metadata key "${key}" appears more than once.`, location: { offset: keyStr.offset, path: key } });
      }
      keys.add(key);
      const type = await g.u32(`type of ${key}`);
      if (type === T_STRING) {
        const wantTemplate = key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template.');
        const s = await g.str(`value of ${key}`, wantTemplate ? MAX_TEMPLATE : 0);
        if (wantTemplate) {
          if (s.value !== undefined) templates.push({ key, value: s.value, offset: s.offset });
          else {
            report({
              ruleId: 'GGUF_CHAT_TEMPLATE_SSTI',
              severity: 'medium',
              message: `The chat template "${key}" is ${s.length} bytes long, too large to analyse; a real chat template is a few kilobytes.`,
              location: { offset: s.offset, path: key },
              cwe: ['CWE-1336'],
            });
          }
        }
      } else if (type === T_ARRAY) {
        await skipArray(g, key, 0);
      } else if (TYPE_SIZE[type] !== undefined) {
        const size = TYPE_SIZE[type];
        await g.need(size, `value of ${key}`);
        if (key === 'general.alignment' && (type === 4 || type === 5)) {
          const b = await reader.bytes(g.pos, 4);
          alignment = le ? b.readUInt32LE(0) : b.readUInt32BE(0);
        }
        g.pos += size;
      } else {
        report({ ruleId: 'GGUF_BAD_HEADER', severity: 'medium', message: `Metadata "${key}" has unknown value type ${type}; the rest of the header cannot be read.`, location: { offset: g.pos - 4, path: key } });
        return; // templates seen so far are analysed in finally
      }
    }
    // analyse templates before tensor infos, so a broken tensor table cannot hide them
    for (const t of templates) analyseTemplate(ctx, t);
    templates.length = 0;

    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
      report({ ruleId: 'GGUF_BAD_HEADER', severity: 'medium', message: `general.alignment ${alignment} is not a power of two.`, location: { path: 'general.alignment' } });
      alignment = 32;
    }
    const tensors: Array<{ name: string; offset: bigint; size?: bigint }> = [];
    for (let k = 0n; k < tensorCount; k++) {
      const name = (await g.str('tensor name', MAX_KEY)).value ?? '<long name>';
      const nDims = await g.u32(`dimension count of ${name}`);
      if (nDims > 8) {
        report({ ruleId: 'GGUF_BAD_HEADER', severity: 'high', message: `Tensor "${name}" declares ${nDims} dimensions (ggml supports 4); no GGUF writer produces this.`, location: { offset: g.pos - 4, path: name }, cwe: ['CWE-130'], atlas: ['AML.T0010.003', 'AML.T0076'] });
        return;
      }
      let elements = 1n;
      for (let d = 0; d < nDims; d++) elements *= await g.len(`dimension of ${name}`);
      const ggmlType = await g.u32(`type of ${name}`);
      const offset = await g.u64(`offset of ${name}`);
      const bt = GGML_TYPES[ggmlType];
      tensors.push({ name, offset, size: bt ? (elements / BigInt(bt[0])) * BigInt(bt[1]) : undefined });
    }
    const dataStart = BigInt(Math.ceil(g.pos / alignment) * alignment);
    const fileSize = BigInt(reader.size);
    let oob = 0;
    for (const t of tensors) {
      const end = dataStart + t.offset + (t.size ?? 0n);
      if (dataStart + t.offset > fileSize || end > fileSize) {
        if (oob++ < 10) {
          report({
            ruleId: 'GGUF_TENSOR_OUT_OF_BOUNDS',
            severity: 'high',
            message: `Tensor "${t.name}" (offset ${t.offset}, ${t.size ?? '?'} bytes) extends past the end of the file (${fileSize} bytes).`,
            location: { path: t.name, offset: Number(dataStart + t.offset) },
            cwe: ['CWE-125'],
          });
        }
      }
    }
    const sorted = tensors.filter(t => t.size !== undefined && t.size > 0n).sort((a, b) => Number(a.offset - b.offset));
    let overlaps = 0;
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1];
      if (prev.offset + prev.size! > sorted[k].offset && overlaps++ < 10) {
        report({
          ruleId: 'GGUF_TENSOR_OVERLAP',
          // llama.cpp's writers lay tensors out one after another: sharing bytes is crafted
          severity: 'high',
          message: `Tensors "${prev.name}" and "${sorted[k].name}" overlap in the data section.`,
          location: { path: sorted[k].name, offset: Number(dataStart + sorted[k].offset) },
        });
      }
    }
  } catch (e) {
    if (e instanceof Bounds) {
      report({
        ruleId: 'GGUF_LENGTH_OUT_OF_BOUNDS',
        severity: 'high',
        message: `A length in the GGUF header points past the end of the file (${e.message}).`,
        location: { offset: g.pos },
        cwe: ['CWE-130'],
        atlas: ['AML.T0010.003', 'AML.T0076'],
      });
    } else throw e;
  } finally {
    for (const t of templates) analyseTemplate(ctx, t);
  }
}

async function skipArray(g: GgufReader, key: string, depth: number): Promise<void> {
  if (depth > 8) throw new Bounds(`arrays nested too deeply in ${key}`);
  const elemType = await g.u32(`array type of ${key}`);
  const count = await g.len(`array count of ${key}`);
  if (elemType === T_STRING) {
    await g.need(count * (g.v1 ? 4n : 8n), `array of ${count} strings in ${key}`);
    for (let k = 0n; k < count; k++) await g.skipStr(`string ${k} of ${key}`);
  } else if (elemType === T_ARRAY) {
    await g.need(count * 12n, `array of ${count} arrays in ${key}`);
    for (let k = 0n; k < count; k++) await skipArray(g, key, depth + 1);
  } else {
    const size = TYPE_SIZE[elemType];
    if (size === undefined) throw new Bounds(`unknown array element type ${elemType} in ${key}`);
    const bytes = count * BigInt(size);
    await g.need(bytes, `array of ${count} values in ${key}`);
    g.pos += Number(bytes);
  }
}

function analyseTemplate(ctx: FormatScanContext, t: { key: string; value: string; offset: number }) {
  for (const f of analyzeChatTemplate(t.value, { rulePrefix: 'GGUF', where: t.key, offset: t.offset })) ctx.report(f);
}

export const ggufScanner: FormatScanner = { id: 'gguf', detect, scan };
