import { RE2JS } from 're2js';
import { parseCidr, ipInCidr, cleanIp } from '../util/net';
import { isObject, valuesAt } from '../util/json';
import type { Cond, FieldTest, Scalar, Search } from './ast';
import { SigmaError } from './ast';
import { compilePattern, parsePattern, type Tok } from './glob';
import type { LogsourceMapping } from './logsources';

type Pred = (view: Record<string, unknown>, raw: unknown, cache: Map<string, unknown[]>) => boolean;

function toText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function wide(s: string, be = false): string {
  let out = '';
  for (const ch of s) out += be ? `\u0000${ch}` : `${ch}\u0000`;
  return out;
}

/** Sigma base64offset: the three encodings of a value at byte offsets 0, 1, 2 with unstable edges trimmed. */
export function base64Offsets(value: string): string[] {
  const start = [0, 2, 3];
  const end = [0, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.from(' '.repeat(i) + value, 'latin1').toString('base64').replace(/=+$/, '');
    const e = end[(value.length + i) % 3];
    out.push(enc.slice(start[i], e === 0 ? undefined : e));
  }
  return out;
}

function transformValue(v: string, mods: string[]): string[] {
  let vals = [v];
  if (mods.includes('windash')) {
    vals = vals.flatMap(x => {
      const variants = new Set([x]);
      for (const d of ['/', '\u2013', '\u2014', '\u2015']) variants.add(x.replace(/(^|\s)-/g, `$1${d}`));
      return [...variants];
    });
  }
  if (mods.includes('utf16le') || mods.includes('wide') || mods.includes('utf16')) vals = vals.map(x => wide(x));
  if (mods.includes('utf16be')) vals = vals.map(x => wide(x, true));
  if (mods.includes('base64')) vals = vals.map(x => Buffer.from(x, 'latin1').toString('base64'));
  if (mods.includes('base64offset')) vals = vals.flatMap(base64Offsets);
  return vals;
}

function escapeGlob(s: string): string {
  return s.replace(/[\\*?]/g, m => `\\${m}`);
}

/** Compiles one value of a field test into a predicate on one field value. */
function compileValue(value: Scalar, mods: string[], field: string | null): ((v: unknown) => boolean) | 'fieldref' {
  const cased = mods.includes('cased');
  if (mods.includes('exists')) {
    return () => {
      throw new SigmaError('exists is evaluated per field');
    };
  }
  if (value === null) return v => v === null || v === undefined || v === '';
  // an empty value is an empty field, as the compiled KQL's isempty() reads it: absent, null or ''
  // (Graph writes deviceDetail.trustType null where Log Analytics has "")
  if (value === '' && mods.every(m => m === 'cased' || m === 'neq')) return v => v === null || v === undefined || v === '';
  if (mods.some(m => ['gt', 'gte', 'lt', 'lte'].includes(m))) {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new SigmaError(`${field}: numeric modifier needs a number, got ${JSON.stringify(value)}`);
    const op = mods.find(m => ['gt', 'gte', 'lt', 'lte'].includes(m));
    return v => {
      const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(x)) return false;
      return op === 'gt' ? x > n : op === 'gte' ? x >= n : op === 'lt' ? x < n : x <= n;
    };
  }
  if (mods.includes('cidr')) {
    const c = parseCidr(String(value));
    return v => ipInCidr(cleanIp(v), c);
  }
  if (mods.includes('re')) {
    let flags = 0;
    if (mods.includes('i')) flags |= RE2JS.CASE_INSENSITIVE;
    if (mods.includes('m')) flags |= RE2JS.MULTILINE;
    if (mods.includes('s')) flags |= RE2JS.DOTALL;
    let re: RE2JS;
    try {
      re = RE2JS.compile(String(value), flags);
    } catch (e) {
      throw new SigmaError(`${field}: regular expression not supported by the linear-time engine: ${(e as Error).message}`);
    }
    return v => {
      const t = toText(v);
      return t !== undefined && re.test(t);
    };
  }
  if (mods.includes('fieldref')) return 'fieldref';
  if (typeof value === 'boolean') return v => v === value || toText(v)?.toLowerCase() === String(value);
  const texts = transformValue(String(value), mods);
  const matchers = texts.map(text => {
    const encoded = mods.some(m => ['base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide'].includes(m));
    let toks: Tok[] = encoded ? [{ t: 'lit', s: text }] : parsePattern(text);
    if (mods.includes('contains') || (field === null && !text.includes('*'))) toks = [{ t: 'star' }, ...toks, { t: 'star' }];
    else if (mods.includes('startswith')) toks = [...toks, { t: 'star' }];
    else if (mods.includes('endswith')) toks = [{ t: 'star' }, ...toks];
    if (encoded && !mods.includes('contains') && !mods.includes('startswith') && !mods.includes('endswith')) {
      toks = parsePattern(escapeGlob(text));
    }
    return compilePattern(toks, cased);
  });
  return v => {
    const t = toText(v);
    return t !== undefined && matchers.some(m => m(t));
  };
}

function fieldValues(field: string, mapping: LogsourceMapping | undefined, view: Record<string, unknown>, cache: Map<string, unknown[]>): unknown[] {
  let vals = cache.get(field);
  if (!vals) {
    const path = mapping?.view[field.toLowerCase()] ?? field;
    vals = valuesAt(view, path);
    cache.set(field, vals);
  }
  return vals;
}

function allStrings(raw: unknown, out: string[], depth = 0) {
  if (depth > 12 || out.length > 5000) return;
  if (typeof raw === 'string') out.push(raw);
  else if (typeof raw === 'number') out.push(String(raw));
  else if (Array.isArray(raw)) for (const x of raw) allStrings(x, out, depth + 1);
  else if (isObject(raw)) for (const x of Object.values(raw)) allStrings(x, out, depth + 1);
}

function compileTest(t: FieldTest, mapping: LogsourceMapping | undefined): Pred {
  const neq = t.mods.includes('neq');
  if (t.field === null) {
    const preds = t.values.map(v => compileValue(v, t.mods, null)) as ((v: unknown) => boolean)[];
    const all = t.mods.includes('all');
    return (_view, raw, cache) => {
      let strs = cache.get('\u0000keywords');
      if (!strs) {
        strs = [];
        allStrings(raw, strs as string[]);
        cache.set('\u0000keywords', strs);
      }
      const hit = (p: (v: unknown) => boolean) => strs!.some(s => p(s));
      return all ? preds.every(hit) : preds.some(hit);
    };
  }
  const field = t.field;
  if (t.mods.includes('exists')) {
    const want = t.values[0] === true || String(t.values[0]).toLowerCase() === 'true';
    return (view, _raw, cache) => {
      const has = fieldValues(field, mapping, view, cache).some(v => v !== undefined && v !== null);
      return has === want;
    };
  }
  const compiled = t.values.map(v => {
    const c = compileValue(v, t.mods, field);
    if (c === 'fieldref') {
      const other = String(v);
      return (x: unknown, view: Record<string, unknown>, cache: Map<string, unknown[]>) =>
        fieldValues(other, mapping, view, cache).some(o => toText(o) !== undefined && toText(o)?.toLowerCase() === toText(x)?.toLowerCase());
    }
    return (x: unknown) => c(x);
  });
  const all = t.mods.includes('all');
  const nullValue = t.values.length === 1 && t.values[0] === null;
  return (view, _raw, cache) => {
    let vals = fieldValues(field, mapping, view, cache);
    if (vals.length === 0) {
      if (nullValue) return !neq;
      vals = [undefined];
    }
    const one = (p: (x: unknown, view: Record<string, unknown>, cache: Map<string, unknown[]>) => boolean) =>
      vals.some(x => p(x, view, cache));
    const r = all ? compiled.every(one) : compiled.some(one);
    return neq ? !r : r;
  };
}

export function compileSearch(s: Search, mapping: LogsourceMapping | undefined): Pred {
  const maps = s.map(tests => tests.map(t => compileTest(t, mapping)));
  return (view, raw, cache) => maps.some(tests => tests.every(p => p(view, raw, cache)));
}

export function compileCondition(c: Cond, searches: Map<string, Pred>): Pred {
  switch (c.k) {
    case 'ref': {
      const p = searches.get(c.name)!;
      return p;
    }
    case 'not': {
      const p = compileCondition(c.item, searches);
      return (v, r, cache) => !p(v, r, cache);
    }
    case 'and': {
      const ps = c.items.map(x => compileCondition(x, searches));
      return (v, r, cache) => ps.every(p => p(v, r, cache));
    }
    case 'or': {
      const ps = c.items.map(x => compileCondition(x, searches));
      return (v, r, cache) => ps.some(p => p(v, r, cache));
    }
    case 'of': {
      const ps = c.names.map(n => searches.get(n)!);
      const need = c.n === 'all' ? ps.length : c.n;
      return (v, r, cache) => {
        let hits = 0;
        for (const p of ps) if (p(v, r, cache) && ++hits >= need) return true;
        return false;
      };
    }
    default:
      throw new SigmaError('bad condition');
  }
}
