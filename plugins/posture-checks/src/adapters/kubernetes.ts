/**
 * Kubernetes manifests: multi-document YAML (Helm-rendered output included), `kind: List`
 * (and `*List` kinds from `kubectl get -o yaml`), JSON objects. Each object keeps its file and line.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, Node as YamlNode } from 'yaml';
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
  return isObj(v) && typeof v.kind === 'string' && typeof v.apiVersion === 'string';
}

/** Normalizes one manifest object: string metadata fields, labels as strings. */
export function toKubeObject(v: Record<string, any>): KubeObject {
  const meta = isObj(v.metadata) ? v.metadata : {};
  const labels: Record<string, string> = {};
  if (isObj(meta.labels)) for (const [k, val] of Object.entries(meta.labels)) labels[k] = String(val);
  const annotations: Record<string, string> = {};
  if (isObj(meta.annotations)) for (const [k, val] of Object.entries(meta.annotations)) annotations[k] = String(val);
  const name = typeof meta.name === 'string' && meta.name ? meta.name : typeof meta.generateName === 'string' ? `${meta.generateName}*` : '<unnamed>';
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

/** Parses a YAML text of any number of documents. Throws ParseError (with line) on syntax errors. */
export function parseKubeYaml(text: string, file: string): YamlParseResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false, merge: true });
  const list = Array.isArray(docs) ? docs : [];
  const items: KubeItem[] = [];
  let other = 0;
  let count = 0;
  list.forEach((doc, d) => {
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const line = lineCounter.linePos(err.pos[0]).line;
      throw new ParseError(`YAML syntax error at line ${line}: ${err.message.split('\n')[0]}`, line);
    }
    const contents = doc.contents as YamlNode | null;
    if (!contents) return;
    count++;
    const value = doc.toJS({ maxAliasCount: 1000 });
    const line = contents.range ? lineCounter.linePos(contents.range[0]).line : undefined;
    const lineOfItem = (i: number) => {
      if (!isMap(contents)) return undefined;
      const seq = contents.get('items', true);
      if (!isSeq(seq)) return undefined;
      const node = seq.items[i] as YamlNode | undefined;
      return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    };
    const found = flattenKube(value, file, line, list.length > 1 ? `documents[${d}].` : '', lineOfItem);
    if (found.length === 0) other++;
    for (const f of found) {
      if (f.location?.pointer?.endsWith('.')) f.location.pointer = f.location.pointer.slice(0, -1);
    }
    items.push(...found);
  });
  return { items, otherDocuments: other, documents: count };
}
