/**
 * Characters that make what a reader sees differ from what was written: control characters
 * (C0 except TAB and LF, DEL, C1), bare carriage returns, ANSI escape sequences, bidirectional
 * overrides and isolates, and unpaired UTF-16 surrogates. NUL is among them: PostgreSQL refuses it
 * in text columns (`invalid byte sequence for encoding "UTF8": 0x00`), SQLite stores it silently.
 */

export interface UnsafeCharacter {
  /** UTF-16 index of the character in the string. */
  index: number;
  /** The code point, e.g. 0x202e. */
  codePoint: number;
  /** Human-readable reason, e.g. `contains a bidirectional override or isolate (U+202E) at position 3`. */
  reason: string;
}

export interface UnsafeCharacterOptions {
  /**
   * Single-line text: line feeds, carriage returns (also CRLF), tabs and the Unicode line and
   * paragraph separators (U+2028, U+2029) are refused too.
   */
  singleLine?: boolean;
}

function hex(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

function classify(s: string, i: number, singleLine: boolean): string | undefined {
  const cp = s.charCodeAt(i);
  if (cp === 0x00) return 'a NUL character';
  if (cp === 0x0a) return singleLine ? 'a line break (this field is a single line)' : undefined;
  if (cp === 0x09) return singleLine ? 'a tab (this field is a single line)' : undefined;
  if (cp === 0x0d) {
    if (singleLine) return 'a line break (this field is a single line)';
    return s.charCodeAt(i + 1) === 0x0a ? undefined : 'a bare carriage return';
  }
  if (cp === 0x1b || cp === 0x9b) return 'an ANSI escape sequence';
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) return 'a control character';
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
    return 'a bidirectional override or isolate';
  }
  if (singleLine && (cp === 0x2028 || cp === 0x2029)) {
    return 'a line or paragraph separator (this field is a single line)';
  }
  if (cp >= 0xd800 && cp <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? undefined : 'an unpaired surrogate';
  }
  if (cp >= 0xdc00 && cp <= 0xdfff) {
    const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
    return prev >= 0xd800 && prev <= 0xdbff ? undefined : 'an unpaired surrogate';
  }
  return undefined;
}

// Fast pre-check: most strings contain none of these code units, so the loop is skipped.
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

/** The first unsafe character of `s`, or undefined when the text is safe to store and show. */
export function findUnsafeCharacter(
  s: string,
  options: UnsafeCharacterOptions = {},
): UnsafeCharacter | undefined {
  if (!SUSPECT.test(s)) return undefined;
  const singleLine = options.singleLine ?? false;
  for (let i = 0; i < s.length; i++) {
    const what = classify(s, i, singleLine);
    if (what) {
      const codePoint = s.charCodeAt(i);
      return { index: i, codePoint, reason: `contains ${what} (${hex(codePoint)}) at position ${i}` };
    }
  }
  return undefined;
}

/**
 * For text this portal shows but did not receive from the client it shows it to (catalog titles,
 * display names from an identity provider, file names from a registry): every unsafe character is
 * replaced with U+FFFD, so a right-to-left override or ANSI escape becomes visible instead of
 * changing what is read. CRLF is kept in multi-line text; with `singleLine` every line break or
 * tab becomes U+FFFD too.
 */
export function replaceUnsafeCharacters(s: string, options: UnsafeCharacterOptions = {}): string {
  if (!SUSPECT.test(s)) return s;
  const singleLine = options.singleLine ?? false;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    out += classify(s, i, singleLine) ? '\ufffd' : s[i];
  }
  return out;
}

export interface UnsafeValue {
  /** Dotted path to the offending value (or key), e.g. `steps.0.comment`; '' for the value itself. */
  path: string;
  reason: string;
}

/**
 * Walks a parsed JSON value (request body, query, params) and reports the first string — value or
 * object key — that contains an unsafe character by the free-text rule (line feeds and tabs are
 * allowed). A backstop for routers: fields validated with `freeText`/`singleLineText` get their own,
 * stricter messages; this catches every other string (ids, enums, refs, keys) before it reaches SQL.
 */
export function findUnsafeValue(value: unknown, path: string[] = [], depth = 0): UnsafeValue | undefined {
  if (depth > 64) return undefined;
  if (typeof value === 'string') {
    const bad = findUnsafeCharacter(value);
    return bad ? { path: path.join('.'), reason: bad.reason } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnsafeValue(value[i], [...path, String(i)], depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const badKey = findUnsafeCharacter(key);
      if (badKey) return { path: [...path, key].join('.'), reason: `name ${badKey.reason}` };
      const found = findUnsafeValue(v, [...path, key], depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}
