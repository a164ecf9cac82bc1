/**
 * Static analysis of a Jinja chat template for server-side template injection (SSTI,
 * CVE-2024-34359 class). We parse the template, constant-fold every string a template can
 * build (concatenation with ~ and +, |join, |format, %-formatting, .format(), |replace,
 * |reverse, slices such as [::-1], dict(...) keys, variables set with {% set %}, loop
 * variables over constant lists, namespace attributes accumulated in loops), and flag
 * access to attributes and objects that a chat template never needs.
 */
import type { Finding, Severity } from '../../types';
import { Expr, parseTemplate, Pos, Tag, Token } from './jinja';

type V = string | number | boolean | null | V[] | DictV;
class DictV {
  constructor(readonly entries: Array<[V, V]>) {}
}
type Vals = V[] | null;

const CAP = 256;
/** Longest template analysed (real ones are a few kilobytes; parsing is linear, about 4 s per MB). */
export const MAX_TEMPLATE_CHARS = 1024 * 1024;
/** Stands for one character of an object's text form that cannot be known statically. */
export const UNKNOWN_CHAR = String.fromCharCode(0);
const MAX_STR = 4096;

/** Dunder names used to climb from any object to Python internals. */
export const SSTI_DUNDERS = [
  '__class__', '__mro__', '__subclasses__', '__globals__', '__init__', '__builtins__', '__import__', '__base__',
  '__bases__', '__dict__', '__getattribute__', '__code__', '__func__', '__self__', '__module__', '__loader__',
  '__spec__', '__reduce__', '__reduce_ex__', '__getitem__', '__call__', '__closure__', '__new__', '__qualname__',
  '__name__', '__subclasshook__', '__init_subclass__', '__getattr__', '__setattr__', '__delattr__', '__enter__', '__exit__',
];
/** Attribute names (without underscores) that reach code execution or interpreter internals. */
const DANGEROUS_ATTRS = new Set([
  'os', 'popen', 'subprocess', 'import_module', 'builtins', 'f_globals', 'f_locals', 'f_back', 'f_builtins', 'func_globals',
  'func_code', 'gi_frame', 'gi_code', 'cr_frame', 'cr_code', 'ag_frame', 'tb_frame', 'tb_next', 'co_code', 'mro',
  'load_module', 'getoutput', 'getstatusoutput', 'check_output', 'check_call', 'spawnl', 'spawnv', 'execl', 'execv',
  'execve', 'execvp', 'environ', 'getenv', 'putenv', 'modules', 'eval', 'exec', 'compile', 'globals', 'locals',
  'getattr', 'setattr', 'delattr', 'system', 'Popen', 'run_path', 'run_module', 'loads', 'dlopen', 'CDLL',
]);
/** Attribute names that are only dangerous when called (they are also ordinary data keys). */
const DANGEROUS_WHEN_CALLED = new Set(['system', 'run', 'call', 'open', 'read', 'write', 'remove', 'unlink', 'rmdir', 'kill', 'fork']);
const CALL_ONLY = new Set(['system', 'loads', 'modules', 'environ', 'compile', 'globals', 'locals', 'eval', 'exec']);
/** Global names a chat template never needs and that reach Python objects or code. */
const DANGEROUS_GLOBALS = new Set([
  'os', 'sys', 'subprocess', 'eval', 'exec', 'compile', 'getattr', 'setattr', '__import__', '__builtins__',
  'builtins', 'globals', 'importlib', 'posix',
]);
/** Jinja / Flask globals that are classic SSTI entry points. */
const SSTI_ENTRY_GLOBALS = new Set(['self', 'cycler', 'joiner', 'lipsum', 'request', 'config', 'url_for', 'get_flashed_messages', 'session', 'environment']);
/** Harmless callables whose attributes (rather than calls) a template never needs. */
const CALL_ONLY_GLOBALS = new Set(['namespace', 'range', 'dict', 'raise_exception', 'strftime_now']);
/** Filters that take an attribute name (argument index or keyword "attribute"). */
const ATTRIBUTE_FILTERS: Record<string, number | undefined> = {
  selectattr: 0, rejectattr: 0, map: undefined, sort: undefined, groupby: 0, sum: undefined, unique: undefined,
  min: undefined, max: undefined, join: undefined, dictsort: undefined,
};

export interface TemplateAnalysisOptions {
  /** Rule id prefix, e.g. "GGUF" → "GGUF_CHAT_TEMPLATE_SSTI" */
  rulePrefix: string;
  /** Where the template came from, for locations: "tokenizer.chat_template" */
  where: string;
  member?: string;
  /** Byte offset of the template in the file, when known. */
  offset?: number;
}

const ATLAS_SSTI = ['AML.T0011.000', 'AML.T0010.003'];

function isDunder(s: string): boolean {
  return /^__[A-Za-z0-9_]+__$/.test(s);
}

function toStr(v: V): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null) return 'None';
  if (Array.isArray(v)) {
    const parts = v.map(x => (typeof x === 'string' ? `'${x}'` : toStr(x)));
    return parts.some(p => p === undefined) ? undefined : `[${parts.join(', ')}]`;
  }
  return undefined;
}

function product<A, B>(as: A[], bs: B[], f: (a: A, b: B) => V | undefined): Vals {
  const out: V[] = [];
  for (const a of as) {
    for (const b of bs) {
      const r = f(a, b);
      if (r === undefined) continue;
      out.push(r);
      if (out.length > CAP) return null;
    }
  }
  return dedupe(out);
}

function dedupe(vs: V[]): V[] {
  const seen = new Set<string>();
  const out: V[] = [];
  for (const v of vs) {
    let k: string;
    if (typeof v === 'string') k = `s${v}`;
    else if (v instanceof DictV) k = `d${Math.random()}`;
    else k = `j${JSON.stringify(v)}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

function union(a: Vals, b: Vals): Vals {
  if (!a) return b;
  if (!b) return a;
  const u = dedupe([...a, ...b]);
  return u.length > CAP ? null : u;
}

function pySliceIndices(len: number, start: number | null, stop: number | null, step: number | null): number[] {
  const st = step ?? 1;
  if (st === 0) return [];
  const norm = (x: number, def: number, lo: number, hi: number) => {
    if (x === null || x === undefined) return def;
    let v = x < 0 ? x + len : x;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return v;
  };
  const out: number[] = [];
  if (st > 0) {
    const s = norm(start as number, 0, 0, len);
    const e = norm(stop as number, len, 0, len);
    for (let i = s; i < e && out.length < MAX_STR; i += st) out.push(i);
  } else {
    const s = norm(start as number, len - 1, -1, len - 1);
    const e = norm(stop as number, -1, -1, len - 1);
    for (let i = s; i > e && out.length < MAX_STR; i += st) out.push(i);
  }
  return out;
}

function percentFormat(fmt: string, arg: V): string | undefined {
  const args: V[] = Array.isArray(arg) ? arg : [arg];
  let k = 0;
  let failed = false;
  const out = fmt.replace(/%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdicrxXoaefgu%])/g, (_m, key: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    let v: V | undefined;
    if (key !== undefined) {
      const d = arg instanceof DictV ? arg.entries.find(([kk]) => kk === key) : undefined;
      v = d ? d[1] : undefined;
    } else v = args[k++];
    if (v === undefined) {
      failed = true;
      return '';
    }
    if (conv === 'c') {
      if (typeof v === 'number') return String.fromCodePoint(Math.max(0, Math.min(0x10ffff, Math.trunc(v))));
      return typeof v === 'string' ? v : '';
    }
    if (conv === 'x' || conv === 'X') return typeof v === 'number' ? Math.trunc(v).toString(16) : '';
    if (conv === 'o') return typeof v === 'number' ? Math.trunc(v).toString(8) : '';
    if (conv === 'd' || conv === 'i' || conv === 'u') return typeof v === 'number' ? String(Math.trunc(v)) : '';
    const s = toStr(v);
    if (s === undefined) failed = true;
    return s ?? '';
  });
  return failed ? undefined : out;
}

/** str.format: returns the formatted string and the attribute/item names its fields access. */
function braceFormat(fmt: string, args: V[], kwargs: Map<string, V>): { text?: string; accessed: string[] } {
  const accessed: string[] = [];
  let auto = 0;
  let failed = false;
  const text = fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const f = (field ?? '').split(/[!:]/)[0];
    const head = /^[^.[]*/.exec(f)![0];
    const rest = f.slice(head.length);
    for (const am of rest.matchAll(/\.([^.[]+)|\[([^\]]*)\]/g)) accessed.push(am[1] ?? am[2]);
    let v: V | undefined;
    if (head === '') v = args[auto++];
    else if (/^\d+$/.test(head)) v = args[Number(head)];
    else v = kwargs.get(head);
    if (rest || v === undefined) {
      failed = true;
      return '';
    }
    const s = toStr(v);
    if (s === undefined) failed = true;
    return s ?? '';
  });
  return { text: failed ? undefined : text, accessed };
}

interface Ctx {
  env: Map<string, Vals>;
  locals: Set<string>;
}

function evalName(e: Expr): string | undefined {
  if (e.t === 'name') return e.name;
  if (e.t === 'getattr' && e.obj.t === 'name') return `${e.obj.name}.${e.attr}`;
  return undefined;
}

class Folder {
  /** total folding steps allowed for one template (keeps hostile templates bounded in time) */
  private budget = 2_000_000;
  constructor(private readonly ctx: Ctx) {}

  fold(e: Expr | undefined, depth = 0): Vals {
    if (!e || depth > 100 || --this.budget < 0) return null;
    const f = (x: Expr | undefined) => this.fold(x, depth + 1);
    switch (e.t) {
      case 'const':
        return [e.value];
      case 'name':
        return this.ctx.env.get(e.name) ?? null;
      case 'getattr': {
        const n = evalName(e);
        if (n && this.ctx.env.has(n)) return this.ctx.env.get(n) ?? null;
        const objs = f(e.obj);
        if (!objs) return null;
        const out: V[] = [];
        for (const o of objs) {
          if (o instanceof DictV) {
            const hit = o.entries.find(([k]) => k === e.attr);
            if (hit) out.push(hit[1]);
          }
        }
        return out.length ? dedupe(out) : null;
      }
      case 'getitem': {
        const objs = f(e.obj);
        if (!objs) {
          // a character picked out of an object's text form, e.g. (()|select|string)[24] == "_"
          return isUnknownText(e.obj) && e.key.t !== 'slice' ? [UNKNOWN_CHAR] : null;
        }
        if (e.key.t === 'slice') {
          const starts = e.key.start ? f(e.key.start) : [null];
          const stops = e.key.stop ? f(e.key.stop) : [null];
          const steps = e.key.step ? f(e.key.step) : [null];
          if (!starts || !stops || !steps) return null;
          const out: V[] = [];
          for (const o of objs) {
            if (typeof o !== 'string' && !Array.isArray(o)) continue;
            for (const a of starts) for (const b of stops) for (const c of steps) {
              const idx = pySliceIndices(o.length, a as number | null, b as number | null, c as number | null);
              if (typeof o === 'string') out.push(idx.map(i => o[i]).join(''));
              else out.push(idx.map(i => o[i]));
              if (out.length > CAP) return null;
            }
          }
          return dedupe(out);
        }
        const keys = f(e.key);
        if (!keys) return null;
        return product(objs, keys, (o, k) => {
          if ((typeof o === 'string' || Array.isArray(o)) && typeof k === 'number' && Number.isInteger(k)) {
            const i = k < 0 ? o.length + k : k;
            return i >= 0 && i < o.length ? o[i] : undefined;
          }
          if (o instanceof DictV) {
            const hit = o.entries.find(([kk]) => kk === k);
            return hit ? hit[1] : undefined;
          }
          return undefined;
        });
      }
      case 'binop': {
        const l = f(e.left);
        const r = f(e.right);
        if (e.op === 'or' || e.op === 'and') return union(l, r);
        if (!l || !r) return null;
        switch (e.op) {
          case '~':
            return product(l, r, (a, b) => {
              const s = toStr(a);
              const t = toStr(b);
              return s !== undefined && t !== undefined && s.length + t.length <= MAX_STR ? s + t : undefined;
            });
          case '+':
            return product(l, r, (a, b) => {
              if (typeof a === 'string' && typeof b === 'string') return a.length + b.length <= MAX_STR ? a + b : undefined;
              if (typeof a === 'number' && typeof b === 'number') return a + b;
              if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
              return undefined;
            });
          case '-':
            return product(l, r, (a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : undefined));
          case '*':
            return product(l, r, (a, b) => {
              if (typeof a === 'number' && typeof b === 'number') return a * b;
              const [s, n] = typeof a === 'number' ? [b, a] : [a, b];
              if (typeof n !== 'number' || n < 0 || n > MAX_STR) return undefined;
              if (typeof s === 'string') return s.length * n <= MAX_STR ? s.repeat(n) : undefined;
              if (Array.isArray(s)) return s.length * n <= MAX_STR ? Array.from({ length: n }, () => s).flat() : undefined;
              return undefined;
            });
          case '%':
            return product(l, r, (a, b) => {
              if (typeof a === 'number' && typeof b === 'number') return b === 0 ? undefined : ((a % b) + b) % b;
              if (typeof a === 'string') return percentFormat(a, b);
              return undefined;
            });
          case '//':
            return product(l, r, (a, b) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? Math.floor(a / b) : undefined));
          default:
            return null;
        }
      }
      case 'unop':
        if (e.op === '-') {
          const v = f(e.node);
          return v ? v.map(x => (typeof x === 'number' ? -x : x)) : null;
        }
        return e.op === '+' ? f(e.node) : null;
      case 'cond':
        return union(f(e.then), e.else ? f(e.else) : [null]);
      case 'list':
      case 'tuple': {
        let acc: V[][] = [[]];
        for (const it of e.items) {
          const vs = f(it);
          if (!vs) return null;
          const next: V[][] = [];
          for (const a of acc) for (const v of vs) next.push([...a, v]);
          if (next.length > CAP) return null;
          acc = next;
        }
        return acc;
      }
      case 'dict': {
        const entries: Array<[V, V]> = [];
        for (const it of e.items) {
          const k = f(it.key);
          const v = f(it.value);
          if (!k || k.length !== 1) return null;
          entries.push([k[0], v && v.length === 1 ? v[0] : null]);
        }
        return [new DictV(entries)];
      }
      case 'call':
        return this.foldCall(e, depth);
      case 'filter':
        return this.foldFilter(e, depth);
      default:
        return null;
    }
  }

  private foldCall(e: Extract<Expr, { t: 'call' }>, depth: number): Vals {
    const f = (x: Expr | undefined) => this.fold(x, depth + 1);
    if (e.fn.t === 'name' && (e.fn.name === 'dict' || e.fn.name === 'namespace') && !this.ctx.locals.has(e.fn.name)) {
      const entries: Array<[V, V]> = [];
      for (const kw of e.kwargs) {
        const v = f(kw.value);
        entries.push([kw.name, v && v.length === 1 ? v[0] : null]);
      }
      return [new DictV(entries)];
    }
    if (e.fn.t === 'name' && this.ctx.env.has(`macro:${e.fn.name}`)) return this.ctx.env.get(`macro:${e.fn.name}`) ?? null;
    if (e.fn.t !== 'getattr') return null;
    const method = e.fn.attr;
    const objs = f(e.fn.obj);
    if (!objs) return null;
    const args = e.args.map(a => f(a));
    if (args.some(a => a === null)) return null;
    const a0 = (args[0] ?? [undefined]) as Array<V | undefined>;
    const a1 = (args[1] ?? [undefined]) as Array<V | undefined>;
    const out: V[] = [];
    const push = (v: V | undefined) => {
      if (v !== undefined) out.push(v);
    };
    for (const o of objs) {
      if (typeof o !== 'string') continue;
      for (const x of a0) {
        for (const y of a1) {
          switch (method) {
            case 'join':
              if (Array.isArray(x)) {
                const parts = x.map(toStr);
                if (parts.every(p => p !== undefined)) push(parts.join(o));
              } else if (typeof x === 'string') push(x.split('').join(o));
              else if (x instanceof DictV) push(x.entries.map(([k]) => toStr(k) ?? '').join(o));
              break;
            case 'replace':
              if (typeof x === 'string' && typeof y === 'string') push(o.split(x).join(y));
              break;
            case 'upper': push(o.toUpperCase()); break;
            case 'lower': push(o.toLowerCase()); break;
            case 'strip': push(typeof x === 'string' ? stripChars(o, x, true, true) : o.trim()); break;
            case 'lstrip': push(typeof x === 'string' ? stripChars(o, x, true, false) : o.trimStart()); break;
            case 'rstrip': push(typeof x === 'string' ? stripChars(o, x, false, true) : o.trimEnd()); break;
            case 'title': push(o.replace(/\w\S*/g, w => w[0].toUpperCase() + w.slice(1).toLowerCase())); break;
            case 'capitalize': push(o ? o[0].toUpperCase() + o.slice(1).toLowerCase() : o); break;
            case 'swapcase': push(o.replace(/[a-zA-Z]/g, ch => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()))); break;
            case 'removeprefix': if (typeof x === 'string') push(o.startsWith(x) ? o.slice(x.length) : o); break;
            case 'removesuffix': if (typeof x === 'string') push(x && o.endsWith(x) ? o.slice(0, -x.length) : o); break;
            case 'split': push(typeof x === 'string' && x ? o.split(x) : o.split(/\s+/).filter(Boolean)); break;
            case 'format': {
              const kwargs = new Map<string, V>();
              for (const kw of e.kwargs) {
                const v = f(kw.value);
                if (v && v.length === 1) kwargs.set(kw.name, v[0]);
              }
              const posArgs = args.map(a => (a && a.length === 1 ? a[0] : null));
              const r = braceFormat(o, posArgs, kwargs);
              if (r.text !== undefined) push(r.text);
              break;
            }
            default:
              break;
          }
          if (out.length > CAP) return null;
        }
      }
    }
    return out.length ? dedupe(out) : null;
  }

  private foldFilter(e: Extract<Expr, { t: 'filter' }>, depth: number): Vals {
    const f = (x: Expr | undefined) => this.fold(x, depth + 1);
    const input = e.node ? f(e.node) : null;
    if (!input && (e.name === 'first' || e.name === 'last') && e.node && isUnknownText(e.node)) return [UNKNOWN_CHAR];
    const args = e.args.map(a => f(a));
    const kw = new Map(e.kwargs.map(k => [k.name, f(k.value)] as const));
    const name = e.name;
    if (name === 'default' || name === 'd') return union(input, args[0] ?? null);
    if (!input) return null;
    const out: V[] = [];
    const one = (vals: Vals | undefined) => (vals && vals.length === 1 ? vals[0] : undefined);
    for (const v of input) {
      switch (name) {
        case 'join': {
          const sepV = one(args[0]) ?? one(kw.get('d')) ?? '';
          const sep = typeof sepV === 'string' ? sepV : '';
          if (typeof v === 'string') out.push(v.split('').join(sep));
          else if (Array.isArray(v)) {
            const parts = v.map(toStr);
            if (parts.every(p => p !== undefined)) out.push(parts.join(sep));
          } else if (v instanceof DictV) out.push(v.entries.map(([k]) => toStr(k) ?? '').join(sep));
          break;
        }
        case 'replace': {
          const a = one(args[0]);
          const b = one(args[1]);
          if (typeof v === 'string' && typeof a === 'string' && typeof b === 'string') out.push(v.split(a).join(b));
          break;
        }
        case 'reverse':
          if (typeof v === 'string') out.push([...v].reverse().join(''));
          else if (Array.isArray(v)) out.push([...v].reverse());
          break;
        case 'lower': if (typeof v === 'string') out.push(v.toLowerCase()); break;
        case 'upper': if (typeof v === 'string') out.push(v.toUpperCase()); break;
        case 'capitalize': if (typeof v === 'string') out.push(v ? v[0].toUpperCase() + v.slice(1).toLowerCase() : v); break;
        case 'title': if (typeof v === 'string') out.push(v.replace(/\w\S*/g, w => w[0].toUpperCase() + w.slice(1).toLowerCase())); break;
        case 'trim': if (typeof v === 'string') out.push(v.trim()); break;
        case 'string': case 'e': case 'escape': case 'safe': case 'forceescape': {
          const s = toStr(v);
          if (s !== undefined) out.push(s);
          break;
        }
        case 'first': case 'last': {
          let seq: V[] = [];
          if (typeof v === 'string') seq = [...v];
          else if (Array.isArray(v)) seq = v;
          else if (v instanceof DictV) seq = v.entries.map(([k]) => k);
          if (seq.length) out.push(name === 'first' ? seq[0] : seq[seq.length - 1]);
          break;
        }
        case 'list':
          if (typeof v === 'string') out.push([...v]);
          else if (Array.isArray(v)) out.push(v);
          else if (v instanceof DictV) out.push(v.entries.map(([k]) => k));
          break;
        case 'sort': if (Array.isArray(v) && v.every(x => typeof x === 'string')) out.push([...(v as string[])].sort()); break;
        case 'unique': if (Array.isArray(v)) out.push(dedupe(v)); break;
        case 'int': {
          let n = NaN;
          if (typeof v === 'number') n = Math.trunc(v);
          else if (typeof v === 'string') n = parseInt(v, 10);
          if (!Number.isNaN(n)) out.push(n);
          break;
        }
        case 'format': {
          if (typeof v !== 'string') break;
          const vals = args.map(one);
          if (vals.some(x => x === undefined)) break;
          const r = percentFormat(v, vals.length === 1 ? (vals[0] as V) : (vals as V[]));
          if (r !== undefined) out.push(r);
          break;
        }
        default:
          return null;
      }
      if (out.length > CAP) return null;
    }
    return out.length ? dedupe(out) : null;
  }
}

/** An expression that renders an object as text (x|string, x|list of a string...). */
function isUnknownText(e: Expr): boolean {
  return e.t === 'filter' && ['string', 'list', 'e', 'escape', 'safe', 'lower', 'upper'].includes(e.name);
}

function stripChars(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  while (left && a < b && chars.includes(s[a])) a++;
  while (right && b > a && chars.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

function* subExprs(e: Expr | undefined): Generator<Expr> {
  if (!e) return;
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    yield x;
    switch (x.t) {
      case 'getattr': stack.push(x.obj); break;
      case 'getitem': stack.push(x.obj, x.key); break;
      case 'slice': for (const y of [x.start, x.stop, x.step]) if (y) stack.push(y); break;
      case 'call':
        stack.push(x.fn, ...x.args, ...x.kwargs.map(k => k.value));
        if (x.dynArgs) stack.push(x.dynArgs);
        if (x.dynKwargs) stack.push(x.dynKwargs);
        break;
      case 'filter':
        if (x.node) stack.push(x.node);
        stack.push(...x.args, ...x.kwargs.map(k => k.value));
        break;
      case 'test': stack.push(x.node, ...x.args); break;
      case 'binop': stack.push(x.left, x.right); break;
      case 'unop': stack.push(x.node); break;
      case 'cond': stack.push(x.test, x.then); if (x.else) stack.push(x.else); break;
      case 'list': case 'tuple': stack.push(...x.items); break;
      case 'dict': for (const it of x.items) stack.push(it.key, it.value); break;
      default: break;
    }
  }
}

function collectStrings(vals: Vals, out: string[], depth = 0) {
  if (!vals || depth > 4) return;
  for (const v of vals) {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) collectStrings(v, out, depth + 1);
    else if (v instanceof DictV) collectStrings(v.entries.flat(), out, depth + 1);
  }
}

/** Analyses one template; returns findings (empty for a benign template). */
export function analyzeChatTemplate(template: string, opts: TemplateAnalysisOptions): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const rule = (s: string) => `${opts.rulePrefix}_CHAT_TEMPLATE_${s}`;
  const loc = (pos: Pos) => ({
    path: `${opts.where}:${pos.line}:${pos.col}`,
    ...(opts.member ? { member: opts.member } : {}),
    ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
  });
  const add = (ruleId: string, severity: Severity, message: string, pos: Pos, details: Record<string, unknown>) => {
    const key = `${ruleId}@${pos.line}:${pos.col}:${JSON.stringify(details)}`;
    if (seen.has(key) || findings.length >= 100) return;
    seen.add(key);
    findings.push({
      ruleId,
      severity,
      message,
      location: loc(pos),
      cwe: severity === 'critical' || severity === 'high' ? ['CWE-94', 'CWE-1336'] : ['CWE-1336'],
      atlas: ATLAS_SSTI,
      details,
    });
  };

  const classifyAccess = (rawName: string, pos: Pos, rawHow: string, called: boolean, rawBuilt: boolean) => {
    let name = rawName;
    let how = rawHow;
    let built = rawBuilt;
    if (name.includes(UNKNOWN_CHAR)) {
      // characters taken from object representations: assume the attacker picked underscores
      const candidate = name.split(UNKNOWN_CHAR).join('_');
      if (!/^__[A-Za-z][A-Za-z0-9_]*__$/.test(candidate)) return;
      name = candidate;
      how = `${how}, characters picked out of an object's text`;
      built = true;
    }
    let via = how === 'attribute' ? '' : ` (through ${how})`;
    if (built) via = ` (built dynamically: ${how})`;
    if (name.startsWith('__')) {
      add(rule('SSTI'), 'critical', `The template reads the Python internal attribute "${name}"${via}; chat templates never need it, and it is how template injection climbs to os/subprocess and runs code when the template is rendered.`, pos, { attribute: name, how });
    } else if (DANGEROUS_ATTRS.has(name) && (!CALL_ONLY.has(name) || called)) {
      add(rule('SSTI'), 'critical', `The template reaches "${name}"${via}, a way to run code or read interpreter internals when the template is rendered.`, pos, { attribute: name, how });
    } else if (DANGEROUS_WHEN_CALLED.has(name) && called && (built || name === 'system')) {
      add(rule('SSTI'), 'critical', `The template calls "${name}"${via}, which a chat template never needs.`, pos, { attribute: name, how });
    } else if (name.startsWith('_')) {
      add(rule('PRIVATE_ATTRIBUTE'), 'high', `The template reads the private attribute "${name}"${via}; a chat template only needs message fields.`, pos, { attribute: name, how });
    }
  };

  if (template.length > MAX_TEMPLATE_CHARS) {
    add(rule('TOO_LARGE'), 'medium', `The chat template is ${template.length} characters long, too large to analyse; a real chat template is a few kilobytes.`, { line: 1, col: 1 }, { length: template.length });
    return findings;
  }
  const parsed = parseTemplate(template);
  const literalItems: Array<{ s: string; pos: Pos }> = [];
  const literalStream = { push: (s: string, pos: Pos = { line: 0, col: 0 }) => literalItems.push({ s, pos }) };
  const ctx: Ctx = { env: new Map(), locals: new Set() };
  for (const tag of parsed.tags) {
    for (const t of tag.targets) for (const s of subExprs(t)) if (s.t === 'name') ctx.locals.add(s.name);
  }
  const folder = new Folder(ctx);

  // build the constant environment to a (bounded) fixpoint
  const assign = (target: Expr, vals: Vals) => {
    const n = evalName(target);
    if (!n) return;
    const prev = ctx.env.has(n) ? ctx.env.get(n)! : undefined;
    ctx.env.set(n, prev === undefined ? vals : union(prev, vals));
  };
  // {% set x %}text{% endset %} and {% macro m() %}text{% endmacro %} capture template data
  const blockText = (k: number): string[] | undefined => {
    const next = parsed.tags[k + 1];
    if (!next || !['endset', 'endmacro'].includes(next.tag) || next.textBefore === undefined) return undefined;
    const text = next.textBefore;
    return [...new Set([text, text.trim(), text.replace(/^\s+/, ''), text.replace(/\s+$/, '')])];
  };
  parsed.tags.forEach((tag, k) => {
    if (tag.error) return;
    const text = (tag.tag === 'set' && !tag.value) || tag.tag === 'macro' ? blockText(k) : undefined;
    if (!text || !tag.targets[0]) return;
    const name = evalName(tag.targets[0]);
    if (name) ctx.env.set(tag.tag === 'macro' ? `macro:${name}` : name, text);
    for (const t of text) literalStream.push(t, tag.pos);
  });
  for (let pass = 0; pass < 4; pass++) {
    for (const tag of parsed.tags) {
      if (tag.error) continue;
      if (tag.tag === 'set' && tag.value) {
        const v = tag.value;
        if (tag.targets.length === 1) {
          assign(tag.targets[0], folder.fold(v));
          if (v.t === 'call' && v.fn.t === 'name' && v.fn.name === 'namespace' && tag.targets[0].t === 'name') {
            for (const kw of v.kwargs) assign({ t: 'getattr', obj: tag.targets[0], attr: kw.name, pos: kw.value.pos }, folder.fold(kw.value));
          }
        } else {
          const vals = folder.fold(v);
          tag.targets.forEach((t, k) => assign(t, vals ? dedupe(vals.flatMap(x => (Array.isArray(x) && x[k] !== undefined ? [x[k]] : []))) : null));
        }
      } else if (tag.tag === 'for' && tag.iter) {
        const it = folder.fold(tag.iter);
        const elems: V[] = [];
        let unknown = !it;
        for (const v of it ?? []) {
          if (typeof v === 'string') elems.push(...v);
          else if (Array.isArray(v)) elems.push(...v);
          else if (v instanceof DictV) elems.push(...v.entries.map(([k]) => k));
          else unknown = true;
        }
        if (tag.targets.length === 1) assign(tag.targets[0], unknown ? null : dedupe(elems).slice(0, CAP));
        else tag.targets.forEach((t, k) => assign(t, unknown ? null : dedupe(elems.flatMap(x => (Array.isArray(x) && x[k] !== undefined ? [x[k]] : [])))));
      } else if (tag.tag === 'with') {
        tag.targets.forEach((t, k) => assign(t, folder.fold(tag.exprs[k])));
      }
    }
  }

  const builtStrings: Array<{ s: string; pos: Pos }> = [];

  const checkExpr = (root: Expr) => {
    for (const e of subExprs(root)) {
      switch (e.t) {
        case 'const':
          if (typeof e.value === 'string') literalStream.push(e.value, e.pos);
          break;
        case 'name':
          if (!ctx.locals.has(e.name)) {
            if (DANGEROUS_GLOBALS.has(e.name)) {
              add(rule('SSTI'), 'critical', `The template uses the name "${e.name}", a Python built-in or module that runs code; chat templates never need it.`, e.pos, { name: e.name });
            } else if (SSTI_ENTRY_GLOBALS.has(e.name)) {
              add(rule('SUSPICIOUS_GLOBAL'), 'high', `The template uses "${e.name}", a Jinja/Flask global that template-injection payloads use to reach Python internals; chat templates do not need it.`, e.pos, { name: e.name });
            }
          }
          break;
        case 'getattr': {
          const parentCall = false;
          classifyAccess(e.attr, e.pos, 'attribute', parentCall, false);
          if (e.obj.t === 'name' && !ctx.locals.has(e.obj.name) && CALL_ONLY_GLOBALS.has(e.obj.name)) {
            add(rule('SUSPICIOUS_GLOBAL'), 'high', `The template reads the attribute "${e.attr}" of the global "${e.obj.name}" instead of calling it; that is a template-injection pattern.`, e.pos, { name: e.obj.name, attribute: e.attr });
          }
          break;
        }
        case 'getitem': {
          if (e.key.t === 'slice') break;
          const keys = folder.fold(e.key);
          const built = e.key.t !== 'const';
          for (const k of keys ?? []) if (typeof k === 'string') classifyAccess(k, e.pos, built ? 'a computed item key' : 'item access', false, built);
          if (e.obj.t === 'name' && !ctx.locals.has(e.obj.name) && CALL_ONLY_GLOBALS.has(e.obj.name)) {
            add(rule('SUSPICIOUS_GLOBAL'), 'high', `The template indexes the global "${e.obj.name}" instead of calling it; that is a template-injection pattern.`, e.pos, { name: e.obj.name });
          }
          break;
        }
        case 'call': {
          if (e.fn.t === 'getitem' && e.fn.key.t !== 'slice') {
            for (const k of folder.fold(e.fn.key) ?? []) if (typeof k === 'string') classifyAccess(k, e.fn.pos, 'item access', true, e.fn.key.t !== 'const');
          }
          if (e.fn.t === 'getattr') {
            classifyAccess(e.fn.attr, e.fn.pos, 'attribute', true, false);
            if (e.fn.attr === 'format') {
              for (const s of folder.fold(e.fn.obj) ?? []) {
                if (typeof s !== 'string') continue;
                for (const a of braceFormat(s, [], new Map()).accessed) classifyAccess(a, e.pos, 'a str.format field', false, true);
              }
            }
          }
          break;
        }
        case 'filter': {
          if (e.name === 'attr') {
            const names = folder.fold(e.args[0]);
            if (!names || !names.length) {
              add(rule('DYNAMIC_ATTRIBUTE'), 'medium', 'The template reads an attribute whose name is computed at render time (|attr); chat templates do not need this and it hides what is accessed.', e.pos, { filter: 'attr' });
            }
            for (const n of names ?? []) if (typeof n === 'string') classifyAccess(n, e.pos, '|attr()', false, e.args[0]?.t !== 'const');
          } else if (e.name in ATTRIBUTE_FILTERS) {
            const idx = ATTRIBUTE_FILTERS[e.name];
            const cands: Array<Expr | undefined> = [e.kwargs.find(k => k.name === 'attribute')?.value];
            if (idx !== undefined) cands.push(e.args[idx]);
            if (e.name === 'map' && e.args[0]?.t === 'const' && e.args[0].value === 'attr') cands.push(e.args[1]);
            for (const c of cands) {
              if (!c) continue;
              for (const n of folder.fold(c) ?? []) {
                if (typeof n === 'string') for (const part of n.split('.')) classifyAccess(part, e.pos, `|${e.name}(attribute)`, false, c.t !== 'const');
              }
            }
          }
          break;
        }
        default:
          break;
      }
      if (e.t === 'binop' || e.t === 'filter' || e.t === 'call' || (e.t === 'getitem' && e.key.t === 'slice')) {
        const out: string[] = [];
        collectStrings(folder.fold(e), out);
        for (const s of out) builtStrings.push({ s, pos: e.pos });
      }
      if (e.t === 'call' && e.fn.t === 'name' && e.fn.name === 'dict') for (const kw of e.kwargs) literalStream.push(kw.name, kw.value.pos);
    }
  };

  for (const tag of parsed.tags) {
    if (tag.error) {
      fallbackTokens(tag.tokens, classifyAccess, (name, pos) => {
        if (DANGEROUS_GLOBALS.has(name) || SSTI_ENTRY_GLOBALS.has(name)) {
          add(rule('SSTI'), DANGEROUS_GLOBALS.has(name) ? 'critical' : 'high', `The unparsable tag uses the name "${name}", a way to reach Python internals.`, pos, { name });
        }
      }, literalStream);
      continue;
    }
    if (['include', 'import', 'from', 'extends'].includes(tag.tag)) {
      add(rule('TEMPLATE_LOADING'), 'medium', `The template uses {% ${tag.tag} %} to load other templates; a chat template is self-contained and this can pull in content from the loader's search path.`, tag.pos, { tag: tag.tag });
    }
    for (const e of tag.exprs) checkExpr(e);
    if (tag.tag === 'set' || tag.tag === 'for') for (const t of tag.targets) if (t.t === 'getattr') classifyAccess(t.attr, t.pos, 'attribute assignment', false, false);
  }

  const hasCritical = () => findings.some(f => f.severity === 'critical');
  // strings assembled at render time that spell an internal name
  for (const { s, pos } of builtStrings) {
    // only values that are a name themselves: prose that merely mentions one is not a payload
    const m = /^\s*(?:__[A-Za-z][A-Za-z0-9_]*__|os|popen|system|subprocess|builtins|import_module|eval|exec)\s*$/.exec(s);
    if (m && !hasCritical()) {
      add(rule('OBFUSCATED_NAME'), 'high', `The template assembles the string "${m[0].trim()}" at render time; assembling Python internal names is how template-injection payloads evade filters.`, pos, { value: m[0].trim() });
    }
  }
  // fragments of an internal name spread over several literals
  if (!findings.some(f => f.severity === 'critical' || f.ruleId === rule('OBFUSCATED_NAME'))) {
    literalItems.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
    const literals = literalItems.map(l => l.s);
    const stream = literals.join('');
    const reversed = [...stream].reverse().join('');
    for (const d of SSTI_DUNDERS) {
      const inLiteral = literals.some(l => l.trim() === d);
      if (!inLiteral && !literals.some(l => l.includes(d)) && (stream.includes(d) || reversed.includes(d))) {
        add(rule('OBFUSCATED_NAME'), 'high', `String fragments of the template join into "${d}"; splitting an internal name over several literals is a template-injection evasion.`, { line: 1, col: 1 }, { value: d });
        break;
      }
      if (inLiteral) {
        add(rule('OBFUSCATED_NAME'), 'high', `The template contains the Python internal name "${d}" as a string; chat templates never need it.`, { line: 1, col: 1 }, { value: d });
        break;
      }
    }
  }
  if (parsed.errors.length) {
    const e = parsed.errors[0];
    add(rule('PARSE_ERROR'), 'medium', `The template could not be fully parsed (${e.message}); the renderer may read it differently from this scanner. ${parsed.errors.length} tag(s) affected.`, e.pos, { errors: parsed.errors.length });
  }
  return findings;
}

function fallbackTokens(
  tokens: Token[],
  classify: (name: string, pos: Pos, how: string, called: boolean, built: boolean) => void,
  onName: (name: string, pos: Pos) => void,
  literalStream: { push: (s: string, pos: Pos) => void },
) {
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.type === 'name') {
      const prev = tokens[k - 1];
      const next = tokens[k + 1];
      if (prev && prev.type === 'op' && prev.value === '.') classify(t.value, t.pos, 'attribute', !!next && next.value === '(', false);
      else onName(t.value, t.pos);
    } else if (t.type === 'string') {
      literalStream.push(t.value, t.pos);
      if (isDunder(t.value)) classify(t.value, t.pos, 'a string in an unparsable tag', false, false);
    }
  }
}

export type { Tag };
