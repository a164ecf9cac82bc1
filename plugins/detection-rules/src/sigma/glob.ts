/**
 * Sigma string values: `*` and `?` wildcards with `\` escapes, matched case-insensitively unless
 * `cased`. The matcher is the two-pointer wildcard algorithm (O(n·m) worst case, no backtracking
 * blow-up), so no rule value can make matching exponential.
 */
export type Tok = { t: 'lit'; s: string } | { t: 'star' } | { t: 'any' };

export function parsePattern(value: string): Tok[] {
  const toks: Tok[] = [];
  let lit = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length && (value[i + 1] === '*' || value[i + 1] === '?' || value[i + 1] === '\\')) {
      lit += value[++i];
    } else if (c === '*' || c === '?') {
      if (lit) toks.push({ t: 'lit', s: lit });
      lit = '';
      if (c === '*' && toks[toks.length - 1]?.t === 'star') continue;
      toks.push(c === '*' ? { t: 'star' } : { t: 'any' });
    } else lit += c;
  }
  if (lit) toks.push({ t: 'lit', s: lit });
  return toks;
}

export function patternToText(toks: Tok[]): string {
  return toks.map(t => (t.t === 'star' ? '*' : t.t === 'any' ? '?' : t.s.replace(/[\\*?]/g, m => `\\${m}`))).join('');
}

export type StrMatcher = (s: string) => boolean;

export function compilePattern(toks: Tok[], cased: boolean): StrMatcher {
  const norm = (s: string) => (cased ? s : s.toLowerCase());
  const t = toks.map(x => (x.t === 'lit' ? { t: 'lit' as const, s: norm(x.s) } : x));
  const hasAny = t.some(x => x.t === 'any');
  const lits = t.filter(x => x.t === 'lit') as { t: 'lit'; s: string }[];
  if (!hasAny) {
    if (t.length === 0) return s => s === '';
    if (t.length === 1 && t[0].t === 'lit') {
      const l = lits[0].s;
      return s => norm(s) === l;
    }
    if (t.length === 1) return () => true;
    if (t.length === 2 && t[0].t === 'lit' && t[1].t === 'star') return s => norm(s).startsWith(lits[0].s);
    if (t.length === 2 && t[0].t === 'star' && t[1].t === 'lit') return s => norm(s).endsWith(lits[0].s);
    if (t.length === 3 && t[0].t === 'star' && t[1].t === 'lit' && t[2].t === 'star') return s => norm(s).includes(lits[0].s);
  }
  // general case: expand literals to single characters and run the wildcard algorithm
  const pat: (string | 1 | 2)[] = []; // 1 = star, 2 = any
  for (const x of t) {
    if (x.t === 'lit') for (const ch of x.s) pat.push(ch);
    else pat.push(x.t === 'star' ? 1 : 2);
  }
  return s => wildcard(norm(s), pat);
}

function wildcard(s: string, p: (string | 1 | 2)[]): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (j < p.length && (p[j] === 2 || p[j] === s[i])) {
      i++;
      j++;
    } else if (j < p.length && p[j] === 1) {
      star = j++;
      mark = i;
    } else if (star >= 0) {
      j = star + 1;
      i = ++mark;
    } else return false;
  }
  while (j < p.length && p[j] === 1) j++;
  return j === p.length;
}
