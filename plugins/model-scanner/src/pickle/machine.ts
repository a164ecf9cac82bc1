/**
 * A symbolic pickle machine that follows CPython's C unpickler (Modules/_pickle.c): the same
 * opcodes, the same stack with mark fences, the same memo, reading bytes linearly the way the C
 * unpickler does (FRAME only guarantees that the frame's bytes are available). It never imports or
 * calls anything: it records every global that find_class would resolve and every call the
 * unpickler would make, with byte offsets, and tracks values symbolically so that names built
 * through the memo reach STACK_GLOBAL resolved.
 *
 * Large byte strings are not copied: their length is checked against the remaining bytes and the
 * reader seeks past them (they stay addressable as ranges of the source for nested scans).
 */
import type { ByteSource, Finding, ScanLimits, Severity } from '../types';
import { finding as ruleFinding } from '../rules';
import {
  Classification,
  canonicalGlobal,
  classifyGlobal,
  isGetattrLike,
} from './policy';

/** Symbolic values on the pickle stack. */
export type PValue =
  | { t: 'str'; v: string; truncated?: boolean }
  | { t: 'bytes'; off: number; len: number; head: Buffer }
  | { t: 'int'; v: number | bigint }
  | { t: 'float' }
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | {
      t: 'tuple' | 'list' | 'set' | 'frozenset' | 'dict';
      items: PValue[];
      n: number;
    }
  | {
      t: 'global';
      module: string;
      name: string;
      cls: Classification;
      off: number;
    }
  | {
      t: 'call';
      fn: PValue;
      args: PValue;
      off: number;
      op: string;
      level: Level;
      getattrLike: boolean;
    }
  | { t: 'persid'; pid: PValue }
  | { t: 'buffer' }
  | { t: 'unknown' };

type Level = 'safe' | 'unknown' | 'dangerous';

const CONTAINER_CAP = 64;
const CHUNK = 1 << 20;
/** Strings longer than this are kept as their first 256 characters. */
const MAX_STRING = 1 << 16;
/** Total string bytes kept per machine before every long string is truncated. */
const STRING_BUDGET = 32 << 20;
const MAX_LINE = 1 << 20;

export const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

export const TORCH_LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

class PickleError extends Error {}

const resolvedCache = new Map<
  string,
  { cls: Classification; canonical: [string, string] }
>();
function resolveGlobal(module: string, name: string) {
  const key = `${module}\n${name}`;
  let r = resolvedCache.get(key);
  if (!r) {
    r = {
      cls: classifyGlobal(module, name),
      canonical: canonicalGlobal(module, name),
    };
    if (resolvedCache.size < 10_000) resolvedCache.set(key, r);
  }
  return r;
}
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
class LimitStop extends Error {}

/** Buffered forward reader over a ByteSource; refills only when the lookahead runs out. */
class Reader {
  buf: Buffer = Buffer.alloc(0);
  bufStart = 0;
  pos: number;
  constructor(readonly src: ByteSource, start: number, readonly end: number) {
    this.pos = start;
    this.bufStart = start;
  }
  get bufEnd() {
    return this.bufStart + this.buf.length;
  }
  get remaining() {
    return this.end - this.pos;
  }
  /** Makes [pos, pos+n) available; false if the input ends first. */
  async ensure(n: number): Promise<boolean> {
    if (this.pos >= this.bufStart && this.pos + n <= this.bufEnd) return true;
    if (this.pos + n > this.end) {
      // load what there is, so callers can inspect it
      await this.load(this.end - this.pos);
      return false;
    }
    await this.load(n);
    return true;
  }
  /** Read size grows while reading sequentially and shrinks after a skip. */
  private chunk = 4096;
  skip(n: number) {
    this.pos += n;
    if (this.pos > this.bufEnd) this.chunk = 4096;
  }
  private async load(n: number) {
    const want = Math.min(Math.max(n, this.chunk), this.end - this.pos);
    this.chunk = Math.min(this.chunk * 2, CHUNK);
    if (want <= 0) {
      this.buf = Buffer.alloc(0);
      this.bufStart = this.pos;
      return;
    }
    if (this.pos >= this.bufStart && this.pos < this.bufEnd) {
      const keep = this.buf.subarray(this.pos - this.bufStart);
      const more = await this.src.read(this.bufEnd, want - keep.length);
      this.buf = Buffer.concat([keep, more]);
    } else {
      this.buf = await this.src.read(this.pos, want);
    }
    this.bufStart = this.pos;
  }
  u8(): number {
    return this.buf[this.pos++ - this.bufStart];
  }
  take(n: number): Buffer {
    const s = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(s, s + n);
  }
  peekAt(rel: number, n: number): Buffer {
    const s = this.pos - this.bufStart + rel;
    return this.buf.subarray(s, s + n);
  }
  /** Reads a \n-terminated line (without the \n). */
  async line(): Promise<Buffer> {
    for (let want = 256; ; want *= 4) {
      const avail = await this.ensure(Math.min(want, MAX_LINE));
      const start = this.pos - this.bufStart;
      const idx = this.buf.indexOf(0x0a, start);
      if (idx >= 0 && idx - start < MAX_LINE) {
        const out = this.buf.subarray(start, idx);
        this.pos += idx - start + 1;
        return out;
      }
      if (!avail || want >= MAX_LINE) {
        throw new PickleError(
          avail
            ? 'line too long'
            : 'pickle data was truncated (missing newline)',
        );
      }
    }
  }
}

export interface PickleHooks {
  limits: ScanLimits;
  /** Emits a finding (location offsets are relative to the scanned source). */
  report(f: Finding): void;
  /** Scans a byte range of the same source as nested content (pickle bytes handed to a loader). */
  scanNestedRange(offset: number, length: number, why: string): Promise<void>;
  /** Scans nested content already in memory. */
  scanNestedBuffer(data: Buffer, why: string): Promise<void>;
  /** Re-reads the source from `offset` as an alternative interpretation (frame divergence). */
  shadowScan?(offset: number): Promise<void>;
  /** Set when this machine itself runs as a shadow scan. */
  shadow?: boolean;
  /**
   * The pickle belongs to a TorchScript archive: torch.jit's C++ unpickler resolves `__torch__.*`
   * against the archive's compiled TorchScript classes and knows the `torch.jit._pickle` helpers;
   * Python never imports them.
   */
  torchScript?: boolean;
  /**
   * Weak evidence that this is a pickle (raw tensor bytes that start like one): malformed import
   * names end the parse as "not a pickle" instead of being findings.
   */
  weak?: boolean;
}

export interface StreamOutcome {
  ok: boolean;
  /** Stopped at a resource limit (already reported as a finding). */
  limited?: boolean;
  error?: string;
  opcodes: number;
  start: number;
  end: number;
  top?: PValue;
  worst: Level;
  sawGlobal: boolean;
}

export interface PickleScanSummary {
  streams: StreamOutcome[];
  legacyTorch: boolean;
  joblib: boolean;
  torchRebuild: boolean;
  globals: Array<{ module: string; name: string; level: Level }>;
}

const rank = { safe: 0, unknown: 1, dangerous: 2 } as const;
const worse = (a: Level, b: Level): Level => (rank[a] >= rank[b] ? a : b);

function finding(
  ruleId: string,
  message: string,
  offset: number,
  opcode: string | undefined,
  details?: Record<string, unknown>,
  severity?: Severity,
): Finding {
  return ruleFinding(ruleId, message, { offset, opcode }, details, severity);
}

function decodeStringEscape(b: Buffer): string {
  // Python 2 repr-style string: 'abc\x00' or "abc"
  let s = b.toString('latin1');
  if (
    s.length < 2 ||
    (s[0] !== "'" && s[0] !== '"') ||
    s[s.length - 1] !== s[0]
  ) {
    throw new PickleError('the STRING opcode argument must be quoted');
  }
  s = s.slice(1, -1);
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/gs, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    const map: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      '\\': '\\',
      "'": "'",
      '"': '"',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '\n': '',
    };
    return map[e] ?? `\\${e}`;
  });
}

function decodeRawUnicodeEscape(b: Buffer): string {
  return b
    .toString('latin1')
    .replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4, u8) =>
      String.fromCodePoint(parseInt(u4 ?? u8, 16)),
    );
}

const SMALL_INTS: PValue[] = [];
const NONE: PValue = { t: 'none' };
const FLOAT: PValue = { t: 'float' };
const TRUE: PValue = { t: 'bool', v: true };
const FALSE: PValue = { t: 'bool', v: false };
function smallInt(v: number): PValue {
  return SMALL_INTS[v] ?? (SMALL_INTS[v] = { t: 'int', v });
}

function decodeLongLE(b: Buffer): bigint {
  if (b.length === 0) return 0n;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v;
}

export function describeValue(v: PValue | undefined): string {
  if (!v) return '?';
  switch (v.t) {
    case 'str':
      return JSON.stringify(v.v.length > 60 ? `${v.v.slice(0, 60)}…` : v.v);
    case 'global':
      return `${v.module}.${v.name}`;
    case 'call':
      return `${describeValue(v.fn)}(…)`;
    case 'int':
      return String(v.v);
    default:
      return v.t;
  }
}

export class PickleParseFailure extends Error {
  constructor(message: string, readonly outcome: StreamOutcome) {
    super(message);
  }
}

/** One pickle machine over a source range; runs back-to-back streams. */
export class PickleMachine {
  private readonly r: Reader;
  private stack: PValue[] = [];
  private marks: number[] = [];
  private memo = new Map<number, PValue>();
  private proto = 0;
  private worst: Level = 'safe';
  private sawGlobal = false;
  private frameEnd = -1;
  private frameViolationReported = false;
  private readonly summary: PickleScanSummary = {
    streams: [],
    legacyTorch: false,
    joblib: false,
    torchRebuild: false,
    globals: [],
  };
  private opcodeCount = 0;
  private maxStack: number;

  constructor(
    src: ByteSource,
    private readonly hooks: PickleHooks,
    start = 0,
    end = src.size,
  ) {
    this.r = new Reader(src, start, end);
    this.maxStack = Math.max(1000, Math.min(hooks.limits.maxMemo, 250_000));
  }

  /**
   * Scans every pickle stream back to back from the start. Streams after the first that are not
   * pickles end the scan quietly (a low finding for trailing data); a legacy PyTorch file stops after
   * its five pickles (the rest is raw storage data).
   */
  async scanAll(maxStreams = 1_000_000): Promise<PickleScanSummary> {
    let count = 0;
    while (this.r.pos < this.r.end && count < maxStreams) {
      if (this.opcodeCount > this.hooks.limits.maxOpcodes) {
        this.hooks.report(
          finding(
            'PICKLE_RESOURCE_LIMIT',
            `The file holds more than ${this.hooks.limits.maxOpcodes} pickle opcodes in ${count} streams; the rest was not inspected.`,
            this.r.pos,
            undefined,
          ),
        );
        break;
      }
      const out = await this.runStream();
      count++;
      if (this.summary.streams.length < 100) this.summary.streams.push(out);
      if (
        count === 1 &&
        out.ok &&
        out.top?.t === 'int' &&
        out.top.v === TORCH_LEGACY_MAGIC
      ) {
        this.summary.legacyTorch = true;
      }
      if (!out.ok && out.limited) break;
      if (!out.ok) {
        const first = count === 1;
        if (out.worst !== 'safe') {
          this.hooks.report(
            finding(
              'PICKLE_PAYLOAD_BEFORE_ERROR',
              `The pickle ${
                out.worst === 'dangerous'
                  ? 'reaches a code-execution primitive'
                  : 'imports non-allowlisted code'
              } and then fails to parse (${
                out.error
              }); Python executes everything before the error.`,
              out.end,
              undefined,
              { error: out.error, stream: count },
              out.worst === 'dangerous' ? 'critical' : 'high',
            ),
          );
        } else if (!first && !(this.summary.legacyTorch && count > 5)) {
          this.hooks.report(
            finding(
              'PICKLE_TRAILING_DATA',
              `Data after pickle stream ${count - 1} is not a valid pickle (${
                out.error
              }).`,
              out.start,
              undefined,
            ),
          );
        } else if (first) {
          throw new PickleParseFailure(out.error ?? 'invalid pickle', out);
        }
        break;
      }
      if (this.summary.legacyTorch && count >= 5) break;
    }
    return this.summary;
  }

  private reportGlobal(g: Extract<PValue, { t: 'global' }>, opcode: string) {
    this.sawGlobal = true;
    if (this.summary.globals.length < 10_000) {
      this.summary.globals.push({
        module: g.module,
        name: g.name,
        level: g.cls.level === 'allowed' ? 'safe' : g.cls.level,
      });
    }
    if (g.cls.level === 'allowed') {
      if (g.module === 'torch._utils') this.summary.torchRebuild = true;
      if (/NumpyArrayWrapper|NDArrayWrapper/.test(g.name))
        this.summary.joblib = true;
      return;
    }
    const full = `${g.module}.${g.name}`;
    if (g.cls.level === 'dangerous') {
      this.worst = 'dangerous';
      this.hooks.report(
        finding(
          'PICKLE_DANGEROUS_GLOBAL',
          `The pickle imports ${full} (${g.cls.reason}).`,
          g.off,
          opcode,
          { global: full },
        ),
      );
    } else {
      this.worst = worse(this.worst, 'unknown');
      this.hooks.report(
        finding(
          'PICKLE_NON_ALLOWLISTED_GLOBAL',
          `The pickle imports ${full}, which is outside the allowlists (${g.cls.reason}).`,
          g.off,
          opcode,
          {
            global: full,
          },
        ),
      );
    }
  }

  private makeGlobal(
    module: string,
    name: string,
    off: number,
    opcode: string,
  ): PValue {
    if (this.hooks.weak && !(IDENT.test(module) && IDENT.test(name))) {
      throw new PickleError('not a pickle (malformed import name in raw data)');
    }
    const resolved = resolveGlobal(module, name);
    let cls = resolved.cls;
    if (
      this.hooks.torchScript &&
      ((/^__torch__(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(module) &&
        /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) ||
        (module === 'torch.jit._pickle' &&
          /^(build_[a-z]+list|build_tensor_from_id|restore_type_tag)$/.test(
            name,
          )))
    ) {
      cls = {
        level: 'allowed',
        reason: 'TorchScript class or helper',
        framework: 'torchscript',
      };
    }
    const [m, n] = resolved.canonical;
    const g = { t: 'global' as const, module: m, name: n, cls, off };
    this.reportGlobal(g, opcode);
    return g;
  }

  private async doCall(
    fn: PValue,
    args: PValue,
    off: number,
    op: string,
  ): Promise<PValue> {
    let level: Level = 'safe';
    let getattrLike = false;
    if (fn.t === 'global') {
      level = fn.cls.level === 'allowed' ? 'safe' : fn.cls.level;
      getattrLike = isGetattrLike(fn.module, fn.name);
      const full = `${fn.module}.${fn.name}`;
      if (fn.cls.level === 'dangerous') {
        this.hooks.report(
          finding(
            'PICKLE_DANGEROUS_CALL',
            `The pickle calls ${full}(${this.describeArgs(args)}) via ${op}.`,
            off,
            op,
            {
              global: full,
              args: this.describeArgs(args),
            },
          ),
        );
      }
      if (fn.cls.loader) await this.scanNestedArgs(args, full, off, true);
      else if (level !== 'safe')
        await this.scanNestedArgs(args, full, off, false);
    } else if (fn.t === 'call' || fn.t === 'persid' || fn.t === 'unknown') {
      const danger =
        fn.t === 'call' && (fn.getattrLike || fn.level === 'dangerous');
      level = danger ? 'dangerous' : 'unknown';
      this.hooks.report(
        finding(
          'PICKLE_CALL_OF_RESULT',
          `The pickle calls the result of ${describeValue(fn)} via ${op}${
            danger
              ? '; that result comes from an attribute lookup or a dangerous call'
              : ''
          }.`,
          off,
          op,
          { callee: describeValue(fn) },
          danger ? 'critical' : 'high',
        ),
      );
      await this.scanNestedArgs(args, describeValue(fn), off, false);
    }
    this.worst = worse(this.worst, level);
    return { t: 'call', fn, args, off, op, level, getattrLike };
  }

  private describeArgs(args: PValue): string {
    if (args.t === 'tuple' || args.t === 'list')
      return args.items.slice(0, 4).map(describeValue).join(', ');
    return describeValue(args);
  }

  /** Bytes handed to a loader (or any non-allowlisted call) are scanned as nested content. */
  private async scanNestedArgs(
    args: PValue,
    callee: string,
    off: number,
    loader: boolean,
    depth = 0,
  ): Promise<void> {
    if (depth > 4) return;
    let items: PValue[] = [args];
    if (
      args.t === 'tuple' ||
      args.t === 'list' ||
      args.t === 'dict' ||
      args.t === 'set' ||
      args.t === 'frozenset'
    )
      items = args.items;
    else if (args.t === 'call') items = [args.args];
    for (const v of items) {
      if (v.t === 'bytes') {
        const looksSerialized =
          (v.head[0] === 0x80 && v.head[1] <= 5) ||
          v.head.subarray(0, 2).toString('latin1') === 'PK' ||
          v.head[0] === 0x93;
        if (loader || looksSerialized) {
          if (loader) {
            this.hooks.report(
              finding(
                'PICKLE_NESTED_PICKLE',
                `Bytes at offset ${v.off} are passed to ${callee}; they were scanned as a nested object.`,
                off,
                undefined,
                {
                  callee,
                  nestedOffset: v.off,
                  nestedLength: v.len,
                },
              ),
            );
          }
          await this.hooks.scanNestedRange(v.off, v.len, callee);
        }
      } else if (v.t === 'str' && loader && !v.truncated && v.v.length > 1) {
        await this.hooks.scanNestedBuffer(Buffer.from(v.v, 'latin1'), callee);
      } else if (
        v.t === 'call' ||
        v.t === 'tuple' ||
        v.t === 'list' ||
        v.t === 'dict'
      ) {
        await this.scanNestedArgs(v, callee, off, loader, depth + 1);
      }
    }
  }

  private fence() {
    return this.marks.length ? this.marks[this.marks.length - 1] : 0;
  }
  private pop(): PValue {
    if (this.stack.length <= this.fence())
      throw new PickleError('unpickling stack underflow');
    return this.stack.pop()!;
  }
  private top(): PValue {
    if (this.stack.length <= this.fence())
      throw new PickleError('unpickling stack underflow');
    return this.stack[this.stack.length - 1];
  }
  private push(v: PValue) {
    if (this.stack.length >= this.maxStack) {
      this.limitFinding(
        `The pickle stack grows beyond ${this.maxStack} entries.`,
      );
    }
    this.stack.push(v);
  }
  private popMark(): PValue[] {
    if (!this.marks.length) throw new PickleError('could not find MARK');
    const m = this.marks.pop()!;
    const items = this.stack.splice(m);
    return items;
  }
  private limitFinding(msg: string): never {
    this.hooks.report(
      finding('PICKLE_RESOURCE_LIMIT', msg, this.r.pos, undefined),
    );
    throw new LimitStop(msg);
  }
  private container(
    t: 'tuple' | 'list' | 'set' | 'frozenset' | 'dict',
    items: PValue[],
  ): PValue {
    return {
      t,
      items:
        items.length > CONTAINER_CAP ? items.slice(0, CONTAINER_CAP) : items,
      n: items.length,
    };
  }
  private addItems(target: PValue, items: PValue[]) {
    if (target.t === 'list' || target.t === 'set' || target.t === 'dict') {
      const room = CONTAINER_CAP - target.items.length;
      if (room > 0) target.items.push(...items.slice(0, room));
      target.n += items.length;
    }
  }
  private memoPut(idx: number, v: PValue) {
    if (!this.memo.has(idx) && this.memo.size >= this.hooks.limits.maxMemo) {
      this.limitFinding(
        `The pickle memo grows beyond ${this.hooks.limits.maxMemo} entries.`,
      );
    }
    this.memo.set(idx, v);
  }
  private memoGet(idx: number): PValue {
    const v = this.memo.get(idx);
    if (!v) throw new PickleError(`Memo value not found at index ${idx}`);
    return v;
  }

  private lengthCheck(len: number | bigint, off: number, op: string) {
    if (typeof len === 'bigint' || len > this.r.remaining) {
      this.hooks.report(
        finding(
          'PICKLE_LENGTH_OUT_OF_BOUNDS',
          `${op} at offset ${off} declares ${len} bytes but only ${this.r.remaining} remain.`,
          off,
          op,
          {
            declared: String(len),
          },
        ),
      );
      throw new PickleError(
        `${op} length ${len} exceeds the remaining ${this.r.remaining} bytes`,
      );
    }
  }

  private async readBytesValue(
    len: number,
    off: number,
    op: string,
  ): Promise<PValue> {
    this.lengthCheck(len, off, op);
    this.lastReadLen = len;
    const dataOff = this.r.pos;
    const headLen = Math.min(len, 16);
    await this.r.ensure(headLen);
    const head = Buffer.from(this.r.peekAt(0, headLen));
    // never copied: the value is a range of the source (hashed by the caller, scanned on demand)
    this.r.skip(len);
    return { t: 'bytes', off: dataOff, len, head };
  }

  private async readStringValue(
    len: number,
    off: number,
    op: string,
    encoding: 'utf8' | 'latin1',
  ): Promise<PValue> {
    this.lengthCheck(len, off, op);
    this.lastReadLen = len;
    if (
      len > MAX_STRING ||
      (len > 256 && this.retainedStringBytes > STRING_BUDGET)
    ) {
      const head = (await this.r.ensure(256))
        ? this.r.peekAt(0, 256)
        : Buffer.alloc(0);
      this.r.skip(len);
      return { t: 'str', v: head.toString(encoding), truncated: true };
    }
    await this.r.ensure(len);
    this.retainedStringBytes += len;
    return { t: 'str', v: this.r.take(len).toString(encoding) };
  }

  /** Fixed-size argument (<= 8 bytes): the loop keeps 16 bytes of lookahead, so no await is needed. */
  private fx(n: number, op: string): Buffer {
    if (this.r.pos + n > this.r.bufEnd)
      throw new PickleError(`pickle data was truncated in ${op}`);
    this.lastReadLen = n;
    return this.r.take(n);
  }
  /** Index in the reader buffer of a fixed-size argument (no Buffer allocation). */
  private fi(n: number, op: string): number {
    const r = this.r;
    if (r.pos + n > r.bufStart + r.buf.length)
      throw new PickleError(`pickle data was truncated in ${op}`);
    const i = r.pos - r.bufStart;
    r.pos += n;
    this.lastReadLen = n;
    return i;
  }

  private async fixed(n: number, op: string): Promise<Buffer> {
    if (!(await this.r.ensure(n)))
      throw new PickleError(`pickle data was truncated in ${op}`);
    return this.r.take(n);
  }

  private checkFrameCrossing(opStart: number, op: string) {
    if (this.frameEnd >= 0 && this.r.pos > this.frameEnd) {
      if (!this.frameViolationReported) {
        this.frameViolationReported = true;
        this.hooks.report(
          finding(
            'PICKLE_FRAME_VIOLATION',
            `${op} at offset ${opStart} runs past the end of its FRAME (frame ends at ${this.frameEnd}); Python's readers disagree about the following bytes.`,
            opStart,
            op,
            { frameEnd: this.frameEnd },
          ),
        );
        // Two other readings: a reader that restarts at the frame end, and CPython's C unpickler
        // reading from a file (pickle.load / torch.load), which drops the rest of the frame buffer
        // and takes the crossing read's bytes from the file after the frame.
        this.pendingShadow.push(
          this.frameEnd,
          this.frameEnd + this.lastReadLen,
        );
      }
      this.frameEnd = -1;
    }
  }
  private pendingShadow: number[] = [];
  /** Length of the last argument read (for the file-mode frame reading). */
  private lastReadLen = 0;
  private retainedStringBytes = 0;

  /** Runs one pickle stream from the current position to STOP. */
  async runStream(): Promise<StreamOutcome> {
    const r = this.r;
    const start = r.pos;
    this.stack = [];
    this.marks = [];
    this.memo = new Map();
    this.proto = 0;
    this.worst = 'safe';
    this.sawGlobal = false;
    this.frameEnd = -1;
    this.frameViolationReported = false;
    let ops = 0;
    const maxOps = this.hooks.limits.maxOpcodes;
    let opName = '';
    try {
      for (;;) {
        if (r.pos + 16 > r.bufEnd || r.pos < r.bufStart) {
          if (!(await r.ensure(1)))
            throw new PickleError('pickle data was truncated (no STOP opcode)');
          if (r.bufEnd - r.pos < 16)
            await r.ensure(Math.min(16, r.end - r.pos));
        }
        if (this.frameEnd >= 0 && r.pos >= this.frameEnd) this.frameEnd = -1;
        if (ops < maxOps) {
          const done = this.fastOps(maxOps - ops);
          if (done > 0) {
            ops += done;
            continue;
          }
        }
        const off = r.pos;
        if (++ops > maxOps) {
          this.limitFinding(`The pickle has more than ${maxOps} opcodes.`);
        }
        this.opcodeCount++;
        const op = r.u8();
        opName = OPCODE_NAMES[op] ?? `0x${op.toString(16)}`;
        switch (op) {
          case 0x80: {
            // PROTO
            const v = r.buf[this.fi(1, 'PROTO')];
            if (ops > 1 || r.pos - 2 !== start) {
              this.hooks.report(
                finding(
                  'PICKLE_MISPLACED_PROTO',
                  `PROTO ${v} at offset ${off} is not the first opcode.`,
                  off,
                  'PROTO',
                ),
              );
            }
            if (v > 5)
              throw new PickleError(`unsupported pickle protocol: ${v}`);
            this.proto = v;
            break;
          }
          case 0x95: {
            // FRAME: the C unpickler only requires the frame's bytes to exist, then reads linearly
            const b = this.fx(8, 'FRAME');
            const len = b.readBigUInt64LE(0);
            if (
              this.frameEnd >= 0 &&
              off < this.frameEnd &&
              !this.frameViolationReported
            ) {
              this.frameViolationReported = true;
              this.hooks.report(
                finding(
                  'PICKLE_FRAME_VIOLATION',
                  `A new FRAME starts at offset ${off} before the previous frame ends at ${this.frameEnd}.`,
                  off,
                  'FRAME',
                  {
                    frameEnd: this.frameEnd,
                  },
                ),
              );
            }
            if (len > BigInt(r.remaining)) {
              this.hooks.report(
                finding(
                  'PICKLE_FRAME_VIOLATION',
                  `FRAME at offset ${off} declares ${len} bytes but only ${r.remaining} remain.`,
                  off,
                  'FRAME',
                  {
                    declared: String(len),
                  },
                ),
              );
              throw new PickleError(
                'pickle data was truncated (FRAME longer than the data)',
              );
            }
            this.frameEnd = r.pos + Number(len);
            break;
          }
          case 0x2e: {
            // STOP
            const top = this.pop();
            const out: StreamOutcome = {
              ok: true,
              opcodes: ops,
              start,
              end: r.pos,
              top,
              worst: this.worst,
              sawGlobal: this.sawGlobal,
            };
            await this.flushShadow();
            return out;
          }
          case 0x28:
            this.marks.push(this.stack.length);
            if (this.marks.length > this.maxStack)
              this.limitFinding('Too many MARKs.');
            break;
          case 0x30: {
            // POP: pops a mark when the top of the stack is the mark position
            if (
              this.marks.length &&
              this.marks[this.marks.length - 1] === this.stack.length
            )
              this.marks.pop();
            else this.pop();
            break;
          }
          case 0x31:
            this.popMark();
            break;
          case 0x32:
            this.push(this.top());
            break;
          case 0x4e:
            this.push({ t: 'none' });
            break;
          case 0x88:
          case 0x89:
            this.push({ t: 'bool', v: op === 0x88 });
            break;
          case 0x49: {
            // INT (text)
            const s = (await r.line()).toString('latin1').trim();
            if (s === '00' || s === '01')
              this.push({ t: 'bool', v: s === '01' });
            else if (/^[+-]?\d+$/.test(s))
              this.push({ t: 'int', v: s.length > 15 ? BigInt(s) : Number(s) });
            else
              throw new PickleError(
                `invalid literal for int(): ${JSON.stringify(s.slice(0, 40))}`,
              );
            break;
          }
          case 0x4c: {
            let s = (await r.line()).toString('latin1').trim();
            if (s.endsWith('L')) s = s.slice(0, -1);
            if (!/^[+-]?\d+$/.test(s))
              throw new PickleError('invalid literal for LONG');
            this.push({ t: 'int', v: BigInt(s) });
            break;
          }
          case 0x4a:
            this.push({ t: 'int', v: r.buf.readInt32LE(this.fi(4, 'BININT')) });
            break;
          case 0x4b:
            this.push(smallInt(r.buf[this.fi(1, 'BININT1')]));
            break;
          case 0x4d:
            this.push(smallInt(r.buf.readUInt16LE(this.fi(2, 'BININT2'))));
            break;
          case 0x8a: {
            const n = r.buf[this.fi(1, 'LONG1')];
            this.push({
              t: 'int',
              v: decodeLongLE(await this.fixed(n, 'LONG1')),
            });
            break;
          }
          case 0x8b: {
            const n = r.buf.readInt32LE(this.fi(4, 'LONG4'));
            if (n < 0)
              throw new PickleError('LONG pickle has negative byte count');
            this.lengthCheck(n, off, 'LONG4');
            if (n > 4096) {
              r.pos += n;
              this.push({ t: 'int', v: 0 });
            } else
              this.push({
                t: 'int',
                v: decodeLongLE(await this.fixed(n, 'LONG4')),
              });
            break;
          }
          case 0x46: {
            const s = (await r.line()).toString('latin1').trim();
            if (Number.isNaN(Number(s)) && !/^[+-]?(nan|inf)$/i.test(s))
              throw new PickleError('could not convert string to float');
            this.push({ t: 'float' });
            break;
          }
          case 0x47:
            this.fx(8, 'BINFLOAT');
            this.push({ t: 'float' });
            break;
          case 0x53: {
            this.push({ t: 'str', v: decodeStringEscape(await r.line()) });
            break;
          }
          case 0x54: {
            const n = r.buf.readInt32LE(this.fi(4, 'BINSTRING'));
            if (n < 0)
              throw new PickleError('BINSTRING pickle has negative byte count');
            this.push(
              await this.readStringValue(n, off, 'BINSTRING', 'latin1'),
            );
            break;
          }
          case 0x55: {
            const n = r.buf[this.fi(1, 'SHORT_BINSTRING')];
            this.push(
              await this.readStringValue(n, off, 'SHORT_BINSTRING', 'latin1'),
            );
            break;
          }
          case 0x56:
            this.push({ t: 'str', v: decodeRawUnicodeEscape(await r.line()) });
            break;
          case 0x58: {
            const n = r.buf.readUInt32LE(this.fi(4, 'BINUNICODE'));
            this.push(await this.readStringValue(n, off, 'BINUNICODE', 'utf8'));
            break;
          }
          case 0x8c: {
            const n = r.buf[this.fi(1, 'SHORT_BINUNICODE')];
            this.push(
              await this.readStringValue(n, off, 'SHORT_BINUNICODE', 'utf8'),
            );
            break;
          }
          case 0x8d: {
            const n = r.buf.readBigUInt64LE(this.fi(8, 'BINUNICODE8'));
            this.lengthCheck(
              n > BigInt(Number.MAX_SAFE_INTEGER) ? n : Number(n),
              off,
              'BINUNICODE8',
            );
            this.push(
              await this.readStringValue(Number(n), off, 'BINUNICODE8', 'utf8'),
            );
            break;
          }
          case 0x42: {
            const n = r.buf.readUInt32LE(this.fi(4, 'BINBYTES'));
            this.push(await this.readBytesValue(n, off, 'BINBYTES'));
            break;
          }
          case 0x43: {
            const n = r.buf[this.fi(1, 'SHORT_BINBYTES')];
            this.push(await this.readBytesValue(n, off, 'SHORT_BINBYTES'));
            break;
          }
          case 0x8e:
          case 0x96: {
            const name = op === 0x8e ? 'BINBYTES8' : 'BYTEARRAY8';
            const n = r.buf.readBigUInt64LE(this.fi(8, name));
            this.lengthCheck(
              n > BigInt(Number.MAX_SAFE_INTEGER) ? n : Number(n),
              off,
              name,
            );
            this.push(await this.readBytesValue(Number(n), off, name));
            break;
          }
          case 0x97:
            this.push({ t: 'buffer' });
            break;
          case 0x98:
            this.top();
            break;
          case 0x29:
            this.push(this.container('tuple', []));
            break;
          case 0x85:
          case 0x86:
          case 0x87: {
            const n = op - 0x84;
            const items: PValue[] = [];
            for (let i = 0; i < n; i++) items.unshift(this.pop());
            this.push(this.container('tuple', items));
            break;
          }
          case 0x74:
            this.push(this.container('tuple', this.popMark()));
            break;
          case 0x5d:
            this.push(this.container('list', []));
            break;
          case 0x6c:
            this.push(this.container('list', this.popMark()));
            break;
          case 0x7d:
            this.push(this.container('dict', []));
            break;
          case 0x64: {
            const items = this.popMark();
            if (items.length % 2)
              throw new PickleError('odd number of items for DICT');
            this.push(this.container('dict', items));
            break;
          }
          case 0x8f:
            this.push(this.container('set', []));
            break;
          case 0x91:
            this.push(this.container('frozenset', this.popMark()));
            break;
          case 0x61: {
            const v = this.pop();
            this.addItems(this.top(), [v]);
            break;
          }
          case 0x65:
          case 0x90: {
            const items = this.popMark();
            this.addItems(this.top(), items);
            break;
          }
          case 0x73: {
            const v = this.pop();
            const k = this.pop();
            this.addItems(this.top(), [k, v]);
            break;
          }
          case 0x75: {
            const items = this.popMark();
            if (items.length % 2)
              throw new PickleError('odd number of items for SETITEMS');
            this.addItems(this.top(), items);
            break;
          }
          case 0x67: {
            const s = (await r.line()).toString('latin1').trim();
            if (!/^-?\d+$/.test(s)) throw new PickleError('invalid GET index');
            this.push(this.memoGet(Number(s)));
            break;
          }
          case 0x68:
            this.push(this.memoGet(r.buf[this.fi(1, 'BINGET')]));
            break;
          case 0x6a:
            this.push(
              this.memoGet(r.buf.readUInt32LE(this.fi(4, 'LONG_BINGET'))),
            );
            break;
          case 0x70: {
            const s = (await r.line()).toString('latin1').trim();
            if (!/^-?\d+$/.test(s)) throw new PickleError('invalid PUT index');
            const idx = Number(s);
            if (idx < 0) throw new PickleError('negative PUT argument');
            this.memoPut(idx, this.top());
            break;
          }
          case 0x71:
            this.memoPut(r.buf[this.fi(1, 'BINPUT')], this.top());
            break;
          case 0x72: {
            const idx = r.buf.readInt32LE(this.fi(4, 'LONG_BINPUT'));
            if (idx < 0) throw new PickleError('negative LONG_BINPUT argument');
            this.memoPut(idx, this.top());
            break;
          }
          case 0x94:
            this.memoPut(this.memo.size, this.top());
            break;
          case 0x63: {
            // GLOBAL module\nname\n  (dotted names resolved when proto >= 4, flagged always)
            const module = (await r.line()).toString('utf8');
            const name = (await r.line()).toString('utf8');
            this.push(this.makeGlobal(module, name, off, 'GLOBAL'));
            break;
          }
          case 0x93: {
            const name = this.pop();
            const module = this.pop();
            if (
              module.t !== 'str' ||
              name.t !== 'str' ||
              module.truncated ||
              name.truncated
            ) {
              this.worst = 'dangerous';
              this.hooks.report(
                finding(
                  'PICKLE_NON_STRING_GLOBAL',
                  `STACK_GLOBAL at offset ${off} takes a module/name that is not a plain string (${describeValue(
                    module,
                  )}, ${describeValue(name)}).`,
                  off,
                  'STACK_GLOBAL',
                  { module: describeValue(module), name: describeValue(name) },
                ),
              );
              this.push({ t: 'unknown' });
            } else {
              this.push(this.makeGlobal(module.v, name.v, off, 'STACK_GLOBAL'));
            }
            break;
          }
          case 0x82:
          case 0x83:
          case 0x84: {
            const n = { 0x82: 1, 0x83: 2, 0x84: 4 }[op as 0x82 | 0x83 | 0x84];
            const b = this.fx(n, opName);
            let code: number;
            if (n === 1) code = b[0];
            else if (n === 2) code = b.readUInt16LE(0);
            else code = b.readInt32LE(0);
            if (code <= 0) throw new PickleError('EXT specifies code <= 0');
            this.worst = worse(this.worst, 'unknown');
            this.sawGlobal = true;
            this.hooks.report(
              finding(
                'PICKLE_UNKNOWN_EXTENSION',
                `${opName} imports extension code ${code}; no standard registry defines it, so what it loads depends on the loading environment.`,
                off,
                opName,
                { code },
              ),
            );
            this.push({
              t: 'global',
              module: '<copyreg extension>',
              name: String(code),
              cls: { level: 'unknown', reason: 'extension code' },
              off,
            });
            break;
          }
          case 0x52: {
            const args = this.pop();
            const fn = this.pop();
            this.push(await this.doCall(fn, args, off, 'REDUCE'));
            break;
          }
          case 0x81: {
            const args = this.pop();
            const cls = this.pop();
            this.push(await this.doCall(cls, args, off, 'NEWOBJ'));
            break;
          }
          case 0x92: {
            const kwargs = this.pop();
            const args = this.pop();
            const cls = this.pop();
            this.push(
              await this.doCall(
                cls,
                this.container('tuple', [args, kwargs]),
                off,
                'NEWOBJ_EX',
              ),
            );
            break;
          }
          case 0x6f: {
            const items = this.popMark();
            if (!items.length) throw new PickleError('OBJ without a class');
            this.push(
              await this.doCall(
                items[0],
                this.container('tuple', items.slice(1)),
                off,
                'OBJ',
              ),
            );
            break;
          }
          case 0x69: {
            const module = (await r.line()).toString('utf8');
            const name = (await r.line()).toString('utf8');
            const items = this.popMark();
            const cls = this.makeGlobal(module, name, off, 'INST');
            this.push(
              await this.doCall(
                cls,
                this.container('tuple', items),
                off,
                'INST',
              ),
            );
            break;
          }
          case 0x62: {
            const state = this.pop();
            const inst = this.top();
            await this.build(inst, state, off);
            break;
          }
          case 0x50: {
            const pid = (await r.line()).toString('latin1');
            this.push({ t: 'persid', pid: { t: 'str', v: pid } });
            break;
          }
          case 0x51:
            this.push({ t: 'persid', pid: this.pop() });
            break;
          default:
            throw new PickleError(
              `invalid load key, '${
                op < 0x20 || op > 0x7e
                  ? `\\x${op.toString(16).padStart(2, '0')}`
                  : String.fromCharCode(op)
              }'`,
            );
        }
        this.checkFrameCrossing(off, opName);
      }
    } catch (e) {
      if (!(e instanceof PickleError) && !(e instanceof LimitStop)) {
        if (e instanceof RangeError || e instanceof TypeError) {
          // defensive: treat internal decoding failures as a parse error of the file
        } else throw e;
      }
      await this.flushShadow();
      return {
        ok: false,
        error: `${(e as Error).message} (at offset ${r.pos}, ${opName})`,
        opcodes: ops,
        start,
        end: r.pos,
        worst: this.worst,
        limited: e instanceof LimitStop,
        sawGlobal: this.sawGlobal,
      };
    }
  }

  /**
   * Synchronous fast path for the data opcodes that dominate large pickles (ints, floats,
   * containers, memo): runs while 16 bytes of lookahead are buffered and no frame boundary is near,
   * and stops at the first opcode that needs the general (async) path. Same semantics as the switch.
   */
  private fastOps(budget: number): number {
    const r = this.r;
    const buf = r.buf;
    const base = r.bufStart;
    const limit = base + buf.length - 16;
    let n = 0;
    while (
      n < budget &&
      r.pos <= limit &&
      (this.frameEnd < 0 || r.pos + 16 <= this.frameEnd)
    ) {
      const i = r.pos - base;
      const op = buf[i];
      switch (op) {
        case 0x4b: // BININT1
          this.push(smallInt(buf[i + 1]));
          r.pos += 2;
          break;
        case 0x4d: // BININT2
          this.push(smallInt(buf.readUInt16LE(i + 1)));
          r.pos += 3;
          break;
        case 0x4a: // BININT
          this.push({ t: 'int', v: buf.readInt32LE(i + 1) });
          r.pos += 5;
          break;
        case 0x47: // BINFLOAT
          this.push(FLOAT);
          r.pos += 9;
          break;
        case 0x4e:
          this.push(NONE);
          r.pos += 1;
          break;
        case 0x88:
        case 0x89:
          this.push(op === 0x88 ? TRUE : FALSE);
          r.pos += 1;
          break;
        case 0x28: // MARK
          if (this.marks.length >= this.maxStack) return n; // the general path reports the limit
          this.marks.push(this.stack.length);
          r.pos += 1;
          break;
        case 0x65: // APPENDS
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          this.addItems(this.top(), items);
          r.pos += 1;
          break;
        }
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.addItems(this.top(), [v]);
          r.pos += 1;
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.addItems(this.top(), [k, v]);
          r.pos += 1;
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          if (items.length % 2)
            throw new PickleError('odd number of items for SETITEMS');
          this.addItems(this.top(), items);
          r.pos += 1;
          break;
        }
        case 0x5d:
          this.push(this.container('list', []));
          r.pos += 1;
          break;
        case 0x7d:
          this.push(this.container('dict', []));
          r.pos += 1;
          break;
        case 0x29:
          this.push(this.container('tuple', []));
          r.pos += 1;
          break;
        case 0x68: // BINGET
          this.push(this.memoGet(buf[i + 1]));
          r.pos += 2;
          break;
        case 0x71: // BINPUT
          this.memoPut(buf[i + 1], this.top());
          r.pos += 2;
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memo.size, this.top());
          r.pos += 1;
          break;
        default:
          return n;
      }
      n++;
      this.opcodeCount++;
    }
    return n;
  }

  private async flushShadow() {
    const list = this.pendingShadow;
    this.pendingShadow = [];
    if (!this.hooks.shadow && this.hooks.shadowScan)
      for (const o of new Set(list))
        if (o < this.r.end) await this.hooks.shadowScan(o);
  }

  private async build(inst: PValue, state: PValue, off: number) {
    if (inst.t === 'global') {
      const full = `${inst.module}.${inst.name}`;
      const dangerous = inst.cls.level === 'dangerous';
      this.worst = worse(this.worst, dangerous ? 'dangerous' : 'unknown');
      this.hooks.report(
        finding(
          'PICKLE_BUILD_ON_GLOBAL',
          `BUILD at offset ${off} sets attributes on the imported object ${full} instead of a new instance (a gadget technique).`,
          off,
          'BUILD',
          { global: full },
          dangerous || inst.cls.level === 'allowed' ? 'critical' : 'high',
        ),
      );
      return;
    }
    if (
      inst.t === 'call' &&
      inst.fn.t === 'global' &&
      /^(joblib|sklearn\.externals\.joblib)\.numpy_pickle$/.test(
        inst.fn.module,
      ) &&
      inst.fn.name === 'NumpyArrayWrapper'
    ) {
      await this.skipJoblibArray(state, off);
    }
  }

  private dictGet(d: PValue, key: string): PValue | undefined {
    if (d.t !== 'dict') return undefined;
    for (let i = 0; i + 1 < d.items.length; i += 2) {
      const k = d.items[i];
      if (k.t === 'str' && k.v === key) return d.items[i + 1];
    }
    return undefined;
  }

  /** joblib writes each array's raw bytes right after the wrapper's BUILD; skip (or scan) them. */
  private async skipJoblibArray(state: PValue, off: number) {
    const r = this.r;
    const dtype = this.dictGet(state, 'dtype');
    const shape = this.dictGet(state, 'shape');
    const align = this.dictGet(state, 'numpy_array_alignment_bytes');
    let descr: string | undefined;
    if (
      dtype?.t === 'call' &&
      dtype.args.t === 'tuple' &&
      dtype.args.items[0]?.t === 'str'
    )
      descr = (dtype.args.items[0] as { v: string }).v;
    if (!descr)
      throw new PickleError('cannot determine the dtype of a joblib array');
    this.frameEnd = -1;
    if (/^[|<>=]?O/.test(descr)) {
      // object arrays are written with pickle.dump(protocol=2) inline: scan that stream in place
      const saved = {
        stack: this.stack,
        marks: this.marks,
        memo: this.memo,
        proto: this.proto,
        worst: this.worst,
        g: this.sawGlobal,
      };
      const out = await this.runStream();
      const innerWorst = out.worst;
      this.stack = saved.stack;
      this.marks = saved.marks;
      this.memo = saved.memo;
      this.proto = saved.proto;
      this.worst = worse(saved.worst, innerWorst);
      this.sawGlobal = saved.g || out.sawGlobal;
      if (!out.ok)
        throw new PickleError(
          `object array inside the joblib file is invalid: ${out.error}`,
        );
      return;
    }
    let count = 1;
    if (shape?.t === 'tuple') {
      for (const d of shape.items) {
        if (d.t !== 'int')
          throw new PickleError('joblib array shape is not integral');
        count *= Number(d.v);
      }
      if (shape.n !== shape.items.length)
        throw new PickleError('joblib array shape too long');
    } else if (shape)
      throw new PickleError('joblib array shape is not a tuple');
    const m = /^[|<>=]?([a-zA-Z?])(\d*)/.exec(descr);
    if (!m) throw new PickleError(`unsupported joblib dtype ${descr}`);
    let itemsize = NaN;
    if (m[2]) itemsize = Number(m[2]);
    else if (m[1] === '?' || m[1] === 'b' || m[1] === 'B') itemsize = 1;
    if (m[1] === 'U') itemsize *= 4;
    if (!Number.isFinite(itemsize))
      throw new PickleError(`unsupported joblib dtype ${descr}`);
    if (align && align.t === 'int') {
      if (!(await r.ensure(1)))
        throw new PickleError('joblib array padding truncated');
      const pad = r.u8();
      this.lengthCheck(pad, off, 'BUILD');
      r.pos += pad;
    }
    const bytes = count * itemsize;
    this.lengthCheck(bytes, off, 'BUILD');
    r.pos += bytes;
  }

  /**
   * Legacy PyTorch tar members "storages" and "tensors": a count pickle, then per record a pickle
   * followed by raw bytes whose length the record defines. Every record pickle is scanned and the
   * raw bytes are skipped the way torch's legacy loader reads them.
   */
  async scanTorchTarRecords(kind: 'storages' | 'tensors'): Promise<void> {
    const r = this.r;
    const fail = (out: StreamOutcome) => {
      if (out.worst !== 'safe') {
        this.hooks.report(
          finding(
            'PICKLE_PAYLOAD_BEFORE_ERROR',
            `A legacy PyTorch ${kind} record reaches ${
              out.worst === 'dangerous'
                ? 'a code-execution primitive'
                : 'non-allowlisted code'
            } and then fails to parse (${out.error}).`,
            out.end,
            undefined,
            { error: out.error },
            out.worst === 'dangerous' ? 'critical' : 'high',
          ),
        );
        return;
      }
      throw new PickleParseFailure(out.error ?? 'invalid pickle', out);
    };
    const first = await this.runStream();
    if (!first.ok) return fail(first);
    const count = first.top?.t === 'int' ? Number(first.top.v) : 0;
    const sizes: Record<string, number> = {
      Double: 8,
      Float: 4,
      Half: 2,
      BFloat16: 2,
      Long: 8,
      Int: 4,
      Short: 2,
      Char: 1,
      Byte: 1,
      Bool: 1,
      ComplexFloat: 8,
      ComplexDouble: 16,
      QUInt8: 1,
      QInt8: 1,
      QInt32: 4,
    };
    for (let i = 0; i < count && r.pos < r.end; i++) {
      if (this.opcodeCount > this.hooks.limits.maxOpcodes) break;
      const out = await this.runStream();
      if (!out.ok) return fail(out);
      const rec = out.top;
      const items = rec && rec.t === 'tuple' ? rec.items : [];
      if (kind === 'storages') {
        const type = items[2];
        const m =
          type && type.t === 'global'
            ? /^(\w+?)Storage$/.exec(type.name)
            : null;
        const elem = m ? sizes[m[1]] : undefined;
        if (!elem)
          throw new PickleError(
            'legacy storage record without a known storage type',
          );
        if (!(await r.ensure(8)))
          throw new PickleError('legacy storage size truncated');
        const numel = Number(r.take(8).readBigInt64LE(0));
        this.lengthCheck(numel * elem, out.end, 'storage data');
        r.skip(numel * elem);
      } else {
        if (!(await r.ensure(8)))
          throw new PickleError('legacy tensor header truncated');
        const ndim = r.take(8).readInt32LE(0);
        if (ndim < 0 || ndim > 64)
          throw new PickleError(`legacy tensor with ${ndim} dimensions`);
        this.lengthCheck(16 * ndim + 8, out.end, 'tensor header');
        r.skip(16 * ndim + 8);
      }
    }
    return undefined;
  }

  get totalOpcodes() {
    return this.opcodeCount;
  }
}
