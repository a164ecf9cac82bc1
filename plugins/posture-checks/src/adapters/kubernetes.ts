/**
 * Kubernetes manifests: multi-document YAML (Helm-rendered output included), `kind: List`
 * (and `*List` kinds from `kubectl get -o yaml`), JSON objects. Each object keeps its file and line.
 */
import jsyaml from 'js-yaml';
import type { KubeItem, KubeObject } from '../types';

export class ParseError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
  }
}

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function looksLikeKubeObject(v: unknown): v is Record<string, any> {
  return isObj(v) && typeof v.kind === 'string' && v.kind !== '' && (typeof v.apiVersion === 'string' || isObj(v.metadata));
}

/** Normalizes one manifest object: string metadata fields, labels as strings. */
export function toKubeObject(v: Record<string, any>): KubeObject {
  const meta = isObj(v.metadata) ? v.metadata : {};
  const labels: Record<string, string> = {};
  if (isObj(meta.labels)) for (const [k, val] of Object.entries(meta.labels)) labels[k] = String(val);
  const annotations: Record<string, string> = {};
  if (isObj(meta.annotations)) for (const [k, val] of Object.entries(meta.annotations)) annotations[k] = String(val);
  const generated = typeof meta.generateName === 'string' ? `${meta.generateName}*` : '<unnamed>';
  const name = typeof meta.name === 'string' && meta.name ? meta.name : generated;
  return {
    ...v,
    kind: v.kind,
    metadata: {
      ...meta,
      name,
      namespace: typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : undefined,
      labels,
      annotations,
    },
  } as KubeObject;
}

/** Expands `List` objects (`kind: List`, `PodList`, ...) into their items. */
export function flattenKube(v: unknown, file: string, line: number | undefined, pointer: string, lineOfItem?: (i: number) => number | undefined): KubeItem[] {
  if (!isObj(v)) return [];
  if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
    const out: KubeItem[] = [];
    v.items.forEach((item: unknown, i: number) => {
      if (!isObj(item)) return;
      const withKind = item.kind ? item : { ...item, kind: v.kind.slice(0, -4), apiVersion: item.apiVersion ?? v.apiVersion };
      out.push(...flattenKube(withKind, file, lineOfItem?.(i) ?? line, `${pointer}items[${i}]`));
    });
    return out;
  }
  if (!looksLikeKubeObject(v)) return [];
  return [{ object: toKubeObject(v), location: { file, line, pointer: pointer || undefined } }];
}

export interface YamlParseResult {
  items: KubeItem[];
  /** Documents that were not Kubernetes objects (e.g. Helm values). */
  otherDocuments: number;
  documents: number;
}

interface Chunk {
  text: string;
  /** 1-based line of the chunk's first line in the file. */
  startLine: number;
}

/**
 * Splits a YAML stream into documents at `---` / `...` markers in column 0 (a marker cannot sit
 * inside a block scalar, whose lines are indented). Line numbers are kept.
 */
export function splitYamlDocuments(text: string): Chunk[] {
  const lines = text.split(/\r?\n/);
  const chunks: Chunk[] = [];
  let cur: string[] = [];
  let start = 1;
  const flush = (next: number) => {
    if (cur.some(l => l.trim() !== '' && !l.trimStart().startsWith('#'))) chunks.push({ text: cur.join('\n'), startLine: start });
    cur = [];
    start = next;
  };
  lines.forEach((line, i) => {
    if (/^---(\s|$)/.test(line)) {
      flush(i + 1);
      const rest = line.slice(3).trim();
      if (rest && !rest.startsWith('#')) cur.push(`${' '.repeat(3)}${line.slice(3)}`);
      else cur.push('');
    } else if (/^\.\.\.(\s|$)/.test(line)) {
      flush(i + 2);
    } else if (/^%/.test(line) && cur.every(l => l.trim() === '' || /^%|^\s*#/.test(l))) {
      cur.push(''); // directive (%YAML) before the document
    } else cur.push(line);
  });
  flush(lines.length + 1);
  return chunks;
}

/** Line (1-based, in the file) of the first content line of a chunk. */
function firstContentLine(chunk: Chunk): number {
  const lines = chunk.text.split('\n');
  const i = lines.findIndex(l => l.trim() !== '' && !l.trimStart().startsWith('#'));
  return chunk.startLine + Math.max(0, i);
}

/** Lines of the items of a block-style top-level `items:` sequence. */
function itemLines(chunk: Chunk): number[] {
  const lines = chunk.text.split('\n');
  const at = lines.findIndex(l => /^items:\s*(#.*)?$/.test(l));
  if (at < 0) return [];
  const out: number[] = [];
  let indent: number | undefined;
  for (let i = at + 1; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '' || l.trimStart().startsWith('#')) continue;
    const m = /^(\s*)-(\s|$)/.exec(l);
    const lead = /^\s*/.exec(l)![0].length;
    if (indent === undefined) {
      if (!m) break;
      indent = m[1].length;
    }
    if (lead < indent || (lead === 0 && !m)) break;
    if (m && m[1].length === indent) out.push(chunk.startLine + i);
  }
  return out;
}

/**
 * Parses a YAML text of any number of documents (js-yaml for speed; document and `items` lines
 * from the text). Throws ParseError (with the line) on a syntax error.
 */
export function parseKubeYaml(text: string, file: string): YamlParseResult {
  const chunks = splitYamlDocuments(text);
  const items: KubeItem[] = [];
  let other = 0;
  let count = 0;
  chunks.forEach((chunk, d) => {
    let value: unknown;
    try {
      value = jsyaml.load(chunk.text, { json: true, filename: file });
    } catch (e) {
      const mark = (e as { mark?: { line?: number } }).mark;
      const line = mark?.line !== undefined ? chunk.startLine + mark.line : chunk.startLine;
      const reason = String((e as { reason?: string }).reason ?? (e as Error).message).split('\n')[0];
      throw new ParseError(`YAML syntax error at line ${line}: ${reason}`, line);
    }
    if (value === null || value === undefined) return;
    count++;
    const lines = itemLines(chunk);
    const found = flattenKube(value, file, firstContentLine(chunk), chunks.length > 1 ? `documents[${d}].` : '', i => lines[i]);
    if (found.length === 0) other++;
    for (const f of found) {
      if (f.location?.pointer?.endsWith('.')) f.location.pointer = f.location.pointer.slice(0, -1);
    }
    items.push(...found);
  });
  return { items, otherDocuments: other, documents: count };
}
