import type { Cond, FieldTest, Scalar, Search } from './ast';
import { SigmaError } from './ast';
import { base64Offsets } from './evaluate';
import { parsePattern } from './glob';
import type { ParsedSigmaRule } from './load';
import { mappingFor, type LogsourceMapping } from './logsources';

const q = (s: string) => JSON.stringify(s);

function fieldExpr(field: string, m: LogsourceMapping): string {
  const lower = field.toLowerCase();
  if (m.kql[lower]) return m.kql[lower];
  const parts = field.split('.');
  const cap = (s: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s.charAt(0).toUpperCase() + s.slice(1) : `['${s}']`);
  if (parts.length === 1) return cap(field);
  const root = m.kqlRoots?.[parts[0].toLowerCase()] ?? cap(parts[0]);
  const rest = parts
    .slice(1)
    .map(p => m.kqlProps?.[p.toLowerCase()] ?? p)
    .map(p => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `['${p}']`))
    .join('');
  return `tostring(${root}${rest})`;
}

function escapeRe(s: string): string {
  return s.replace(/[.^$*+?()[\]{}|\\]/g, '\\$&');
}

function wideText(s: string, be: boolean) {
  let out = '';
  for (const ch of s) out += be ? `\u0000${ch}` : `${ch}\u0000`;
  return out;
}

function valueExpr(expr: string, v: Scalar, mods: string[]): string {
  const cased = mods.includes('cased');
  if (v === null) return `isempty(${expr})`;
  const num = ['gt', 'gte', 'lt', 'lte'].find(x => mods.includes(x));
  if (num) return `toreal(${expr}) ${{ gt: '>', gte: '>=', lt: '<', lte: '<=' }[num]} ${Number(v)}`;
  if (mods.includes('cidr')) return String(v).includes(':') ? `ipv6_is_in_range(${expr}, ${q(String(v))})` : `ipv4_is_in_range(${expr}, ${q(String(v))})`;
  if (mods.includes('re')) {
    const flags = ['i', 'm', 's'].filter(f => mods.includes(f)).join('');
    return `${expr} matches regex ${q(`${flags ? `(?${flags})` : ''}${String(v)}`)}`;
  }
  if (mods.includes('fieldref')) return `${expr} ${cased ? '==' : '=~'} ${String(v)}`;
  if (typeof v === 'number') return `tostring(${expr}) == ${q(String(v))}`;
  if (typeof v === 'boolean') return `tobool(${expr}) == ${v}`;
  let texts = [String(v)];
  if (mods.includes('windash')) texts = texts.flatMap(t => [t, t.replace(/(^|\s)-/g, '$1/')]);
  const encoded = mods.some(x => ['base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide'].includes(x));
  if (encoded) {
    texts = texts.map(t => (mods.includes('utf16be') ? wideText(t, true) : mods.some(x => ['utf16le', 'utf16', 'wide'].includes(x)) ? wideText(t, false) : t));
    if (mods.includes('base64')) texts = texts.map(t => Buffer.from(t, 'latin1').toString('base64'));
    if (mods.includes('base64offset')) texts = texts.flatMap(base64Offsets);
    return or(texts.map(t => `${expr} ${cased ? 'contains_cs' : 'contains'} ${q(t)}`));
  }
  return or(
    texts.map(t => {
      const toks = parsePattern(t);
      const lits = toks.filter(x => x.t === 'lit');
      const lit = lits.length === 1 ? (lits[0] as { s: string }).s : '';
      const shape = toks.map(x => (x.t === 'lit' ? 'L' : x.t === 'star' ? '*' : '?')).join('');
      let kind = mods.includes('contains') ? 'contains' : mods.includes('startswith') ? 'startswith' : mods.includes('endswith') ? 'endswith' : 'eq';
      let effective = shape;
      if (kind === 'contains') effective = `*${shape}*`;
      if (kind === 'startswith') effective = `${shape}*`;
      if (kind === 'endswith') effective = `*${shape}`;
      effective = effective.replace(/\*+/g, '*');
      const sfx = cased ? '_cs' : '';
      if (effective === 'L') return `${expr} ${cased ? '==' : '=~'} ${q(lit)}`;
      if (effective === '') return `isempty(${expr})`;
      if (effective === '*') return `isnotempty(${expr})`;
      if (effective === '*L*') return `${expr} contains${sfx} ${q(lit)}`;
      if (effective === 'L*') return `${expr} startswith${sfx} ${q(lit)}`;
      if (effective === '*L') return `${expr} endswith${sfx} ${q(lit)}`;
      kind = 'regex';
      const body = toks.map(x => (x.t === 'lit' ? escapeRe(x.s) : x.t === 'star' ? '.*' : '.')).join('');
      const pre = mods.includes('contains') || mods.includes('endswith') ? '' : '^';
      const post = mods.includes('contains') || mods.includes('startswith') ? '' : '$';
      return `${expr} matches regex ${q(`${cased ? '' : '(?i)'}${pre}${body}${post}`)}`;
    }),
  );
}

function or(xs: string[]): string {
  return xs.length === 1 ? xs[0] : `(${xs.join(' or ')})`;
}
function and(xs: string[]): string {
  return xs.length === 1 ? xs[0] : `(${xs.join(' and ')})`;
}

function testExpr(t: FieldTest, m: LogsourceMapping): string {
  if (t.field === null) {
    const parts = t.values.map(v => `* contains ${q(String(v).replace(/^\*|\*$/g, ''))}`);
    return t.mods.includes('all') ? and(parts) : or(parts);
  }
  const expr = fieldExpr(t.field, m);
  if (t.mods.includes('exists')) return t.values[0] === true || String(t.values[0]) === 'true' ? `isnotempty(${expr})` : `isempty(${expr})`;
  const parts = t.values.map(v => valueExpr(expr, v, t.mods));
  const e = t.mods.includes('all') ? and(parts) : or(parts);
  return t.mods.includes('neq') ? `not(${e})` : e;
}

function searchExpr(s: Search, m: LogsourceMapping): string {
  return or(s.map(tests => and(tests.map(t => testExpr(t, m)))));
}

function condExpr(c: Cond, rule: ParsedSigmaRule, m: LogsourceMapping): string {
  switch (c.k) {
    case 'ref':
      return searchExpr(rule.searches.get(c.name)!, m);
    case 'not':
      return `not(${condExpr(c.item, rule, m)})`;
    case 'and':
      return and(c.items.map(x => condExpr(x, rule, m)));
    case 'or':
      return or(c.items.map(x => condExpr(x, rule, m)));
    case 'of': {
      const parts = c.names.map(n => searchExpr(rule.searches.get(n)!, m));
      if (c.n === 'all') return and(parts);
      if (c.n === 1) return or(parts);
      return `(${parts.map(p => `toint(${p})`).join(' + ')}) >= ${c.n}`;
    }
    default:
      throw new SigmaError('bad condition');
  }
}

/** KQL for Log Analytics / Azure Data Explorer (Microsoft Sentinel analytics rule query). */
export function compileSigmaToKql(rule: ParsedSigmaRule): string {
  const m = mappingFor(rule.logsource);
  if (!m) throw new SigmaError(`${rule.title}: no KQL table for logsource ${JSON.stringify(rule.logsource)}`);
  return `${m.kqlTable}\n| where ${condExpr(rule.conditionTree, rule, m)}`;
}
