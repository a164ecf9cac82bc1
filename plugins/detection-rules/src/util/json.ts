import * as crypto from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Log Analytics exports keep dynamic columns as JSON text: parse `{…}`/`[…]` strings, else return as is. */
export function dyn(v: unknown): unknown {
  if (typeof v === 'string') {
    const t = v.trim();
    if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
      try {
        return JSON.parse(t);
      } catch {
        return v;
      }
    }
  }
  return v;
}

/** Case-insensitive own-key lookup (exact first). */
export function getCI(obj: unknown, key: string): unknown {
  if (!isObject(obj)) return undefined;
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  const n = lower.length;
  // Lower-casing keeps the length of every string without U+0130 (the one code point whose lower
  // case is longer: two code units; none is shorter, checked over all of Unicode), so only keys of
  // the same length, or shorter ones holding U+0130, can match: the others are skipped without
  // lower-casing or scanning them (no garbage per key).
  for (const k in obj) {
    const kn = k.length;
    if ((kn === n || (kn < n && k.includes('\u0130'))) && Object.hasOwn(obj, k) && k.toLowerCase() === lower) return obj[k];
  }
  return undefined;
}

/** First defined of several case-insensitive keys. */
export function pick(obj: unknown, ...keys: string[]): unknown {
  for (const k of keys) {
    const v = getCI(obj, k);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/**
 * All values at a dotted path, case-insensitively, fanning out over arrays and parsing JSON-text
 * dynamic columns on the way. A key containing dots is tried whole first.
 */
export function valuesAt(root: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  const whole = getCI(root, path);
  if (whole !== undefined) {
    pushFlat(out, dyn(whole));
    return out;
  }
  walk(root, path.split('.'), 0, out);
  return out;
}

function walk(node: unknown, parts: string[], i: number, out: unknown[]) {
  if (i === parts.length) {
    pushFlat(out, node);
    return;
  }
  const n = dyn(node);
  if (Array.isArray(n)) {
    for (const x of n) walk(x, parts, i, out);
    return;
  }
  if (!isObject(n)) return;
  // a dotted remainder may be a key of its own
  for (let j = parts.length; j > i + 1; j--) {
    const joined = parts.slice(i, j).join('.');
    const v = getCI(n, joined);
    if (v !== undefined) {
      walk(v, parts, j, out);
      return;
    }
  }
  const v = getCI(n, parts[i]);
  if (v === undefined) return;
  walk(dyn(v), parts, i + 1, out);
}

function pushFlat(out: unknown[], v: unknown) {
  if (Array.isArray(v)) for (const x of v) out.push(x);
  else out.push(v);
}

// one-shot crypto.hash (Node >= 21.7) is several times cheaper than createHash for short inputs; same digest
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

export function sha256(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

const PLAIN_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z$/;

function digits(v: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.f{1,3}]Z` read digit by digit (Date.parse was a visible share of replay
 * time). NaN for anything else, and for the values where Date.UTC and Date.parse could differ
 * (days past the 28th, hour 24, years before 1000): those go to Date.parse.
 */
function plainUtc(v: string): number {
  const n = v.length;
  if (n < 20 || n > 24 || v.charCodeAt(n - 1) !== 90 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) {
    return NaN;
  }
  const year = digits(v, 0, 4);
  const month = digits(v, 5, 7);
  const day = digits(v, 8, 10);
  const hour = digits(v, 11, 13);
  const minute = digits(v, 14, 16);
  const second = digits(v, 17, 19);
  let ms = 0;
  if (n > 20) {
    if (v.charCodeAt(19) !== 46 || n === 21) return NaN;
    ms = digits(v, 20, n - 1) * (n === 22 ? 100 : n === 23 ? 10 : 1);
  }
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour <= 23 && minute <= 59 && second <= 59 && ms === ms)) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
/** Zone suffix: GMT/UTC/UT/Z or ±hh[:]mm; minutes east of UTC, 0 when absent (UTC unless said), NaN when unreadable. */
function zoneMinutes(z: string | undefined): number {
  if (!z) return 0;
  const t = z.trim().toUpperCase();
  if (t === '' || t === 'GMT' || t === 'UTC' || t === 'UT' || t === 'Z') return 0;
  const m = /^(?:GMT|UTC)?([+-])(\d\d):?(\d\d)$/.exec(t);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : NaN;
}
function wallClock(year: number, month: number, day: number, h: number, min: number, sec: number, frac: string | undefined, zone: string | undefined): number {
  const off = zoneMinutes(zone);
  if (!(month >= 0 && month <= 11 && day >= 1 && day <= 31 && h <= 23 && min <= 59 && sec <= 60 && off === off)) return NaN;
  const ms = frac ? Math.round(Number(`0${frac}`) * 1000) : 0;
  const t = Date.UTC(year, month, day, h, min, sec, ms);
  // 31 February and the like roll over in Date.UTC: refuse them
  if (new Date(t).getUTCDate() !== day) return NaN;
  return t - off * 60_000;
}
// Azure portal exports: "11/2/2026 8:00:00 AM", "11/2/2026, 8:00:00.123 PM", 24-hour "13/11/2026 17:05:00"
const SLASHED = /^(\d{1,2})\/(\d{1,2})\/(\d{4}),?\s+(\d{1,2}):(\d\d)(?::(\d\d)(\.\d+)?)?\s*([AaPp][Mm])?\s*(Z|GMT|UTC|(?:GMT|UTC)?[+-]\d\d:?\d\d)?$/;
// RFC 1123 / 2822: "Mon, 02 Nov 2026 08:00:00 GMT" (weekday optional, zone optional = UTC)
const RFC1123 = /^(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d\d)(?::(\d\d)(\.\d+)?)?\s*(GMT|UTC|UT|Z|[+-]\d\d:?\d\d)?$/;

/**
 * `M/D/YYYY h:mm[:ss[.fff]] [AM|PM]` (Azure portal CSV/JSON exports; D/M when the first number
 * cannot be a month) and RFC 1123 (`Mon, 02 Nov 2026 08:00:00 GMT`): UTC unless an offset is
 * given. NaN for anything else.
 */
function wallClockText(v: string): number {
  let m = SLASHED.exec(v);
  if (m) {
    let month = Number(m[1]);
    let day = Number(m[2]);
    if (month > 12 && day <= 12) [month, day] = [day, month];
    let h = Number(m[4]);
    const ampm = m[8]?.toUpperCase();
    if (ampm) {
      if (h < 1 || h > 12) return NaN;
      h = (h % 12) + (ampm === 'PM' ? 12 : 0);
    }
    return wallClock(Number(m[3]), month - 1, day, h, Number(m[5]), Number(m[6] ?? 0), m[7], m[9]);
  }
  m = RFC1123.exec(v);
  if (m) {
    const month = MONTHS[m[2].toLowerCase()];
    if (month === undefined) return NaN;
    return wallClock(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), m[7], m[8]);
  }
  return NaN;
}

/**
 * Parses a timestamp (ISO 8601, epoch seconds/ms, /Date(ms)/, `M/D/YYYY h:mm:ss AM`, RFC 1123);
 * without an offset a time is UTC. NaN when unparseable.
 */
export function parseTime(v: unknown): number {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (typeof v !== 'string') return NaN;
  // the common case (UTC ISO with at most milliseconds) needs none of the rewriting below
  const fast = plainUtc(v);
  if (fast === fast) return fast; // not NaN
  if (PLAIN_ISO.test(v)) return Date.parse(v);
  const m = /^\/Date\((\d+)\)\/$/.exec(v);
  if (m) return Number(m[1]);
  if (/^\d{9,13}(\.\d+)?$/.test(v)) return parseTime(Number(v));
  const c = v.charCodeAt(0);
  // an ISO date starts with four digits; the portal's and RFC 1123's forms do not
  if (!(c >= 48 && c <= 57 && v.charCodeAt(4) === 45)) {
    const w = wallClockText(v.trim());
    if (w === w) return w;
  }
  // Azure writes up to 7 fractional digits; Date.parse handles 3
  const iso = v.replace(/(\.\d{3})\d+/, '$1');
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return t;
}
