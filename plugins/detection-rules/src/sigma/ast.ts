/** Parsed Sigma detection: condition tree over search identifiers, each a list of field tests. */

export type Cond =
  | { k: 'and' | 'or'; items: Cond[] }
  | { k: 'not'; item: Cond }
  | { k: 'ref'; name: string }
  | { k: 'of'; n: number | 'all'; names: string[] };

export type Scalar = string | number | boolean | null;

export interface FieldTest {
  /** null = keyword (full-text) search */
  field: string | null;
  mods: string[];
  values: Scalar[];
}

/** OR over maps; each map is an AND of field tests. */
export type Search = FieldTest[][];

export class SigmaError extends Error {}

const SUPPORTED_MODS = new Set([
  'contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's', 'cidr', 'gt', 'gte', 'lt', 'lte',
  'exists', 'cased', 'neq', 'windash', 'base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide', 'fieldref',
]);

export function parseSearch(name: string, def: unknown): Search {
  if (Array.isArray(def)) {
    if (def.every(x => typeof x === 'object' && x !== null && !Array.isArray(x))) {
      return def.map(m => parseMap(name, m as Record<string, unknown>));
    }
    if (def.every(x => x === null || typeof x !== 'object')) {
      return [[{ field: null, mods: [], values: def as Scalar[] }]];
    }
    throw new SigmaError(`search identifier ${name}: mixes maps and plain values`);
  }
  if (typeof def === 'object' && def !== null) return [parseMap(name, def as Record<string, unknown>)];
  if (typeof def === 'string' || typeof def === 'number') return [[{ field: null, mods: [], values: [def] }]];
  throw new SigmaError(`search identifier ${name}: must be a map, a list of maps or a list of keywords`);
}

function parseMap(name: string, m: Record<string, unknown>): FieldTest[] {
  const tests: FieldTest[] = [];
  for (const [k, v] of Object.entries(m)) {
    const [field, ...mods] = k.split('|');
    for (const mod of mods) {
      if (!SUPPORTED_MODS.has(mod)) throw new SigmaError(`search identifier ${name}: unsupported modifier "${mod}" on ${field}`);
    }
    if (!field && !mods.length) throw new SigmaError(`search identifier ${name}: empty field name`);
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (x !== null && typeof x === 'object') throw new SigmaError(`search identifier ${name}: ${k} has a nested value`);
    }
    tests.push({ field: field || null, mods, values: values as Scalar[] });
  }
  return tests;
}

/** Condition grammar: or < and < not < x of < parentheses. */
export function parseCondition(text: string, names: string[]): Cond {
  const toks = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const peek = () => toks[i]?.toLowerCase();
  const expand = (pat: string): string[] => {
    if (pat === 'them') return names.filter(n => !n.startsWith('_'));
    if (pat.includes('*')) {
      const prefix = pat.slice(0, pat.indexOf('*'));
      const suffix = pat.slice(pat.indexOf('*') + 1);
      return names.filter(n => n.startsWith(prefix) && n.endsWith(suffix) && n.length >= prefix.length + suffix.length);
    }
    return names.filter(n => n === pat);
  };
  const primary = (): Cond => {
    const t = toks[i];
    if (t === undefined) throw new SigmaError(`condition "${text}": ends too early`);
    if (t === '(') {
      i++;
      const e = or();
      if (toks[i] !== ')') throw new SigmaError(`condition "${text}": missing )`);
      i++;
      return e;
    }
    const lt = t.toLowerCase();
    if ((lt === 'all' || lt === 'any' || /^\d+$/.test(lt)) && toks[i + 1]?.toLowerCase() === 'of') {
      const pat = toks[i + 2];
      if (!pat) throw new SigmaError(`condition "${text}": "${t} of" needs a pattern`);
      i += 3;
      const matched = expand(pat);
      if (!matched.length) throw new SigmaError(`condition "${text}": "${pat}" matches no search identifier`);
      return { k: 'of', n: lt === 'all' ? 'all' : lt === 'any' ? 1 : Number(lt), names: matched };
    }
    if (['and', 'or', 'not', ')', '|'].includes(lt)) throw new SigmaError(`condition "${text}": unexpected "${t}"`);
    if (!names.includes(t)) throw new SigmaError(`condition "${text}": unknown search identifier "${t}"`);
    i++;
    return { k: 'ref', name: t };
  };
  const not = (): Cond => {
    if (peek() === 'not') {
      i++;
      return { k: 'not', item: not() };
    }
    return primary();
  };
  const and = (): Cond => {
    const items = [not()];
    while (peek() === 'and') {
      i++;
      items.push(not());
    }
    return items.length === 1 ? items[0] : { k: 'and', items };
  };
  const or = (): Cond => {
    const items = [and()];
    while (peek() === 'or') {
      i++;
      items.push(and());
    }
    return items.length === 1 ? items[0] : { k: 'or', items };
  };
  const result = or();
  if (i !== toks.length) {
    if (toks[i] === '|') throw new SigmaError(`condition "${text}": aggregation expressions ("| count()") are not supported; use a correlation or stateful rule`);
    throw new SigmaError(`condition "${text}": unexpected "${toks[i]}"`);
  }
  return result;
}
