import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Severity } from '../types';
import { SEVERITIES } from '../types';
import { parseCondition, parseSearch, SigmaError, type Cond, type Search } from './ast';
import { compileCondition, compileSearch } from './evaluate';
import { mappingFor } from './logsources';
import type { CompiledSigmaRule, SigmaRule } from './types';

export interface ParsedSigmaRule extends SigmaRule {
  searches: Map<string, Search>;
  conditionTree: Cond;
}

function strList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

/** Parses one YAML document into a Sigma rule; throws SigmaError naming the problem. */
export function parseSigmaRule(doc: unknown, origin?: string): ParsedSigmaRule {
  const where = origin ? `${origin}: ` : '';
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SigmaError(`${where}a rule must be a YAML map`);
  const d = doc as Record<string, unknown>;
  if ('correlation' in d) throw new SigmaError(`${where}correlation rules are not loaded; windowed detections are built-in stateful rules`);
  if (typeof d.title !== 'string' || !d.title.trim()) throw new SigmaError(`${where}title is required`);
  if (typeof d.logsource !== 'object' || d.logsource === null) throw new SigmaError(`${where}logsource is required`);
  if (typeof d.detection !== 'object' || d.detection === null || Array.isArray(d.detection)) {
    throw new SigmaError(`${where}detection is required`);
  }
  const level = (typeof d.level === 'string' ? d.level.toLowerCase() : 'medium') as Severity;
  if (!SEVERITIES.includes(level)) throw new SigmaError(`${where}level "${d.level}" is not one of ${SEVERITIES.join(', ')}`);
  const detection = { ...(d.detection as Record<string, unknown>) };
  const conditionRaw = detection.condition;
  delete detection.condition;
  delete detection.timeframe;
  const condition = strList(conditionRaw);
  if (!condition?.length) throw new SigmaError(`${where}detection.condition is required`);
  const names = Object.keys(detection);
  const searches = new Map<string, Search>();
  for (const n of names) searches.set(n, parseSearch(n, detection[n]));
  const trees = condition.map(c => parseCondition(c, names));
  const conditionTree: Cond = trees.length === 1 ? trees[0] : { k: 'or', items: trees };
  const id = typeof d.id === 'string' ? d.id : `local-${String(d.title).toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return {
    id,
    title: d.title.trim(),
    description: typeof d.description === 'string' ? d.description.trim() : undefined,
    status: typeof d.status === 'string' ? d.status : undefined,
    level,
    author: typeof d.author === 'string' ? d.author : undefined,
    license: typeof d.license === 'string' ? d.license : undefined,
    references: strList(d.references),
    tags: strList(d.tags),
    falsepositives: strList(d.falsepositives),
    logsource: d.logsource as SigmaRule['logsource'],
    detection,
    condition,
    origin,
    searches,
    conditionTree,
  };
}

export function compileSigmaRule(rule: ParsedSigmaRule): CompiledSigmaRule {
  const mapping = mappingFor(rule.logsource);
  if (!mapping) {
    throw new SigmaError(
      `${rule.origin ?? rule.title}: logsource ${JSON.stringify(rule.logsource)} is not one the portal ingests`,
    );
  }
  const preds = new Map<string, ReturnType<typeof compileSearch>>();
  for (const [n, s] of rule.searches) preds.set(n, compileSearch(s, mapping));
  const cond = compileCondition(rule.conditionTree, preds);
  return {
    rule,
    sources: mapping.sources,
    matches: mapping.skip ? (view, raw) => !mapping.skip!(view) && cond(view, raw, new Map()) : (view, raw) => cond(view, raw, new Map()),
  };
}

/** Parses and compiles every document of a YAML text. */
export function loadSigmaText(text: string, origin?: string): CompiledSigmaRule[] {
  const docs = parseAllDocuments(text);
  const out: CompiledSigmaRule[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new SigmaError(`${origin ?? 'rule'}: YAML error: ${doc.errors[0].message}`);
    const js = doc.toJS({ maxAliasCount: 50 });
    if (js === null || js === undefined) continue;
    out.push(compileSigmaRule(parseSigmaRule(js, origin)));
  }
  return out;
}

/** Loads every .yml/.yaml under a directory (recursively), sorted by path. */
export function loadSigmaDir(dir: string): CompiledSigmaRule[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/i.test(e.name)) files.push(p);
    }
  };
  walk(dir);
  files.sort();
  return files.flatMap(f => loadSigmaText(fs.readFileSync(f, 'utf8'), path.relative(dir, f)));
}

/** The rules shipped with this package (SigmaHQ subset with attribution, and our own). */
export function shippedRulesDir(): string {
  return path.resolve(__dirname, '..', '..', 'rules', 'sigma');
}
