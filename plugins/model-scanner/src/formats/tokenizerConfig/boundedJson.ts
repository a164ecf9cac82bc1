/**
 * A small strict JSON parser that, unlike JSON.parse, reports duplicate keys (a parser
 * differential: Python keeps the last one, so do we, but we say so), bounds the nesting
 * depth, builds prototype-less objects, and can parse a JSON value that is a prefix of a
 * longer text (to find JSON embedded in binary containers such as HDF5).
 */
import type { ByteSource } from '../../types';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface JsonParseResult {
  value: JsonValue;
  /** index just after the value in the text */
  end: number;
  /** JSON paths of keys that occurred more than once in the same object */
  duplicateKeys: string[];
}

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
  }
}

export interface JsonParseOptions {
  maxDepth?: number;
  /** accept trailing text after the value (default false) */
  allowTrailing?: boolean;
  /** start index (default 0) */
  start?: number;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function pathKey(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

export function parseJson(text: string, options: JsonParseOptions = {}): JsonParseResult {
  const maxDepth = options.maxDepth ?? 512;
  let i = options.start ?? 0;
  const duplicateKeys: string[] = [];
  const n = text.length;

  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };

  const parseString = (): string => {
    // text[i] === '"'
    i++;
    let out = '';
    let runStart = i;
    for (;;) {
      if (i >= n) throw new JsonSyntaxError('unterminated string', i);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(runStart, i);
        i++;
        return out;
      }
      if (c < 0x20) throw new JsonSyntaxError('control character in string', i);
      if (c === 0x5c) {
        out += text.slice(runStart, i);
        const e = text[i + 1];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError('bad \\u escape', i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            throw new JsonSyntaxError('bad escape', i);
        }
        i += 2;
        runStart = i;
        continue;
      }
      i++;
    }
  };

  const numberRe = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  // Python's json also accepts NaN / Infinity / -Infinity (Keras configs may contain them)
  const specialRe = /(?:NaN|-?Infinity)/y;

  const parseValue = (path: string, depth: number): JsonValue => {
    if (depth > maxDepth) throw new JsonSyntaxError('nesting too deep', i);
    ws();
    if (i >= n) throw new JsonSyntaxError('unexpected end', i);
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: JsonObject = Object.create(null);
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new JsonSyntaxError('expected key', i);
        const key = parseString();
        ws();
        if (text[i] !== ':') throw new JsonSyntaxError("expected ':'", i);
        i++;
        const childPath = pathKey(path, key);
        const v = parseValue(childPath, depth + 1);
        if (Object.prototype.hasOwnProperty.call(obj, key)) duplicateKeys.push(childPath);
        obj[key] = v;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        throw new JsonSyntaxError("expected ',' or '}'", i);
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(pathKey(path, arr.length), depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        throw new JsonSyntaxError("expected ',' or ']'", i);
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    specialRe.lastIndex = i;
    const sm = specialRe.exec(text);
    if (sm) {
      i += sm[0].length;
      return Number(sm[0].replace('Infinity', 'Infinity'));
    }
    numberRe.lastIndex = i;
    const m = numberRe.exec(text);
    if (m) {
      i += m[0].length;
      return Number(m[0]);
    }
    throw new JsonSyntaxError('unexpected character', i);
  };

  const value = parseValue('', 0);
  const end = i;
  if (!options.allowTrailing) {
    ws();
    if (i < n) throw new JsonSyntaxError('trailing characters', i);
  }
  return { value, end, duplicateKeys };
}

/**
 * Reads a whole (small) source as UTF-8 text, refusing sources larger than `maxBytes`.
 * Returns undefined when the source is too large.
 */
export async function readSmallText(source: ByteSource, maxBytes: number): Promise<string | undefined> {
  if (source.size > maxBytes) return undefined;
  const parts: Buffer[] = [];
  let off = 0;
  while (off < source.size) {
    const b = await source.read(off, Math.min(1 << 20, source.size - off));
    if (b.length === 0) break;
    parts.push(b);
    off += b.length;
  }
  let buf = Buffer.concat(parts);
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
  return buf.toString('utf8');
}

/**
 * The shape of the first bytes of a (possibly) JSON document: "object" when it opens an object
 * with a key, "padded" when only blanks (after an optional '{') fill the bytes seen so far
 * (whitespace padding can push every key past any detection window), "other" otherwise.
 */
export function jsonHeadShape(head: Buffer): 'object' | 'padded' | 'other' {
  let i = 0;
  const n = head.length;
  const blank = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < n && blank(head[i])) i++;
  if (i >= n) return n > 0 ? 'padded' : 'other';
  if (head[i] !== 0x7b) return 'other';
  i++;
  while (i < n && blank(head[i])) i++;
  if (i >= n) return 'padded';
  return head[i] === 0x22 || head[i] === 0x7d ? 'object' : 'other';
}

/** Walks every value of a JSON document, depth-first, with its path. */
export function* walkJson(
  value: JsonValue,
  path = '',
  maxNodes = 2_000_000,
): Generator<{ value: JsonValue; path: string; key?: string; parent?: JsonObject | JsonValue[] }> {
  const stack: Array<{ value: JsonValue; path: string; key?: string; parent?: JsonObject | JsonValue[] }> = [
    { value, path },
  ];
  let count = 0;
  while (stack.length) {
    const item = stack.pop()!;
    if (++count > maxNodes) return;
    yield item;
    const v = item.value;
    if (Array.isArray(v)) {
      for (let k = v.length - 1; k >= 0; k--) stack.push({ value: v[k], path: pathKey(item.path, k), parent: v });
    } else if (isJsonObject(v)) {
      const keys = Object.keys(v);
      for (let k = keys.length - 1; k >= 0; k--) {
        stack.push({ value: v[keys[k]], path: pathKey(item.path, keys[k]), key: keys[k], parent: v });
      }
    }
  }
}
