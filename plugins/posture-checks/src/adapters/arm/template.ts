/**
 * Expands an ARM template (hand-written or compiled from Bicep) into the resources it deploys:
 * parameters (file, nested-deployment values, defaults), variables (with copy), resource and
 * property copy loops, conditions, `existing` resources, languageVersion 2.0 symbolic resources,
 * nested child resources, nested deployments (inner and outer scope, inline or relativePath
 * templateLink) and Bicep user-defined functions.
 */
import { UNKNOWN } from '../../types';
import { EvalScope, evaluateDeep, evaluateString, isExpression } from './expressions';
import { formatPath, PathSeg } from '../source';

export interface ArmResource {
  /** Full type, e.g. `Microsoft.Storage/storageAccounts/blobServices/containers`. */
  type: string;
  /** Full name, e.g. `acct/default/weights`; may contain `<param>` placeholders. */
  name: string;
  properties: Record<string, any>;
  tags: Record<string, unknown>;
  scope?: unknown;
  file: string;
  pointer: string;
  raw: Record<string, any>;
}

export interface ExpandContext {
  file: string;
  subscriptionId?: string;
  resourceGroup?: string;
  /** Loads a template referenced by `templateLink.relativePath` (relative to `fromFile`). */
  loadLinked?(relativePath: string, fromFile: string): { file: string; template: any } | undefined;
  /** Guards against runaway nesting. */
  depth?: number;
}

const MAX_COPY = 800;
const MAX_DEPTH = 12;

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ci<T = unknown>(o: Record<string, any> | undefined, key: string): T | undefined {
  if (!o) return undefined;
  if (key in o) return o[key];
  const k = Object.keys(o).find(x => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : o[k];
}

interface ScopeState {
  params: Record<string, unknown>;
  variables: Record<string, unknown>;
  functions: Map<string, { params: string[]; output: unknown }>;
  copy: Map<string, number>;
  currentCopy?: string;
  subscriptionId: string;
  resourceGroup: string;
  deploymentName: string;
}

function makeScope(st: ScopeState): EvalScope {
  return {
    parameter: name => {
      const k = Object.keys(st.params).find(x => x.toLowerCase() === name.toLowerCase());
      return k === undefined ? UNKNOWN : st.params[k];
    },
    variable: name => {
      const k = Object.keys(st.variables).find(x => x.toLowerCase() === name.toLowerCase());
      return k === undefined ? UNKNOWN : st.variables[k];
    },
    copyIndex: loop => {
      const name = loop ?? st.currentCopy;
      return name === undefined ? undefined : st.copy.get(name);
    },
    subscriptionId: st.subscriptionId,
    resourceGroup: st.resourceGroup,
    location: 'westeurope',
    deploymentName: st.deploymentName,
    userFunction: (name, args) => {
      const fn = st.functions.get(name);
      if (!fn) return UNKNOWN;
      const params: Record<string, unknown> = {};
      fn.params.forEach((p, i) => (params[p] = args[i]));
      const inner: ScopeState = { ...st, params, variables: {}, copy: new Map() };
      return evaluateDeep(fn.output, makeScope(inner));
    },
  };
}

/** Evaluates a value with property-level copy loops (`copy: [{name, count, input}]`). */
function evaluateWithCopy(value: unknown, st: ScopeState): unknown {
  if (typeof value === 'string') return evaluateString(value, makeScope(st));
  if (Array.isArray(value)) return value.map(v => evaluateWithCopy(v, st));
  if (!isObj(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'copy' && Array.isArray(v) && v.every(c => isObj(c) && 'input' in c)) {
      for (const loop of v) {
        const name = String(loop.name);
        const count = Number(evaluateWithCopy(loop.count, st));
        const items: unknown[] = [];
        const n = Number.isFinite(count) ? Math.min(count, MAX_COPY) : 1;
        for (let i = 0; i < n; i++) {
          const copy = new Map(st.copy);
          copy.set(name, i);
          items.push(evaluateWithCopy(loop.input, { ...st, copy, currentCopy: name }));
        }
        out[name] = items;
      }
      continue;
    }
    out[k] = evaluateWithCopy(v, st);
  }
  return out;
}

function resolveParameters(template: Record<string, any>, provided: Record<string, unknown>, st: ScopeState): void {
  const decl = isObj(template.parameters) ? template.parameters : {};
  const providedKeys = new Map(Object.keys(provided).map(k => [k.toLowerCase(), k]));
  const pending = new Map<string, Record<string, any>>();
  for (const [name, d] of Object.entries(decl)) pending.set(name, isObj(d) ? d : {});
  const resolving = new Set<string>();
  const values: Record<string, unknown> = {};
  const resolve = (name: string): unknown => {
    if (name in values) return values[name];
    const d = pending.get(name);
    if (!d) return UNKNOWN;
    if (resolving.has(name)) return UNKNOWN;
    resolving.add(name);
    let v: unknown;
    const pk = providedKeys.get(name.toLowerCase());
    if (pk !== undefined) v = provided[pk];
    else if ('defaultValue' in d) v = evaluateWithCopy(d.defaultValue, st);
    else {
      const type = String(d.type ?? '').toLowerCase();
      // An unset string parameter keeps its name, so names built from it still match each other.
      v = type === 'string' || type === 'securestring' ? `<${name}>` : UNKNOWN;
    }
    values[name] = v;
    resolving.delete(name);
    return v;
  };
  // parameters() inside defaults may refer to other parameters: resolve lazily through a proxy scope.
  const lazy = new Proxy(values, {
    get: (target, key: string) => {
      if (key in target) return target[key];
      return pending.has(key) ? resolve(key) : undefined;
    },
    has: (target, key: string) => key in target || pending.has(key),
    ownKeys: () => [...new Set([...Object.keys(values), ...pending.keys()])],
    getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
  });
  st.params = lazy;
  for (const name of pending.keys()) resolve(name);
}

function resolveVariables(template: Record<string, any>, st: ScopeState): void {
  const decl = isObj(template.variables) ? template.variables : {};
  const values: Record<string, unknown> = {};
  const resolving = new Set<string>();
  const keys = Object.keys(decl).filter(k => k !== 'copy');
  const resolve = (name: string): unknown => {
    if (name in values) return values[name];
    if (resolving.has(name)) return UNKNOWN;
    resolving.add(name);
    const v = evaluateWithCopy(decl[name], st);
    values[name] = v;
    resolving.delete(name);
    return v;
  };
  st.variables = new Proxy(values, {
    get: (target, key: string) => {
      if (key in target) return target[key];
      return keys.includes(key) ? resolve(key) : undefined;
    },
    has: (target, key: string) => key in target || keys.includes(key),
    ownKeys: () => [...new Set([...Object.keys(values), ...keys, ...(Array.isArray(decl.copy) ? decl.copy.map((c: any) => String(c?.name)) : [])])],
    getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
  });
  if (Array.isArray(decl.copy)) {
    for (const loop of decl.copy) {
      if (!isObj(loop)) continue;
      const name = String(loop.name);
      const count = Number(evaluateWithCopy(loop.count, st));
      const n = Number.isFinite(count) ? Math.min(count, MAX_COPY) : 0;
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const copy = new Map(st.copy);
        copy.set(name, i);
        items.push(evaluateWithCopy(loop.input, { ...st, copy, currentCopy: name }));
      }
      values[name] = items;
    }
  }
}

function resolveFunctions(template: Record<string, any>, st: ScopeState): void {
  if (!Array.isArray(template.functions)) return;
  for (const ns of template.functions) {
    if (!isObj(ns) || !isObj(ns.members)) continue;
    for (const [member, def] of Object.entries(ns.members as Record<string, any>)) {
      const params = Array.isArray(def?.parameters) ? def.parameters.map((p: any) => String(p?.name)) : [];
      st.functions.set(`${String(ns.namespace)}.${member}`.toLowerCase(), { params, output: def?.output?.value });
    }
  }
}

function childType(parentType: string, type: string): string {
  if (type.includes('.') && type.includes('/')) return type; // already a full type
  return `${parentType}/${type}`;
}

function childName(parentName: string, name: string): string {
  if (name.toLowerCase().startsWith(`${parentName.toLowerCase()}/`)) return name;
  return `${parentName}/${name}`;
}

function asString(v: unknown, fallback: string): string {
  if (typeof v === 'string') return v;
  if (v === UNKNOWN) return fallback;
  return v === undefined || v === null ? fallback : String(v);
}

/** Expands one template; `provided` are parameter values (already evaluated). */
export function expandTemplate(template: unknown, provided: Record<string, unknown>, ctx: ExpandContext, basePointer: PathSeg[] = [], parentScope?: ScopeState): ArmResource[] {
  if (!isObj(template)) return [];
  const depth = ctx.depth ?? 0;
  if (depth > MAX_DEPTH) return [];
  let st: ScopeState;
  if (parentScope) {
    st = parentScope; // outer-scope nested template: the parent's parameters and variables
  } else {
    st = {
      params: {},
      variables: {},
      functions: new Map(),
      copy: new Map(),
      subscriptionId: ctx.subscriptionId ?? '00000000-0000-0000-0000-000000000000',
      resourceGroup: ctx.resourceGroup ?? 'resource-group',
      deploymentName: 'deployment',
    };
    resolveFunctions(template, st);
    resolveParameters(template, provided, st);
    resolveVariables(template, st);
  }
  const out: ArmResource[] = [];
  const resources = template.resources;
  for (const [key, res] of resourceEntries(resources)) {
    expandResource(res, [...basePointer, 'resources', key], undefined, st, ctx, out);
  }
  return out;
}

function expandResource(
  res: unknown,
  pointer: PathSeg[],
  parent: { type: string; name: string } | undefined,
  st: ScopeState,
  ctx: ExpandContext,
  out: ArmResource[],
): void {
  if (!isObj(res)) return;
  if (res.existing === true) return;
  const loop = isObj(res.copy) ? res.copy : undefined;
  if (loop) {
    const name = String(loop.name ?? 'copy');
    const count = Number(evaluateWithCopy(loop.count, st));
    const n = Number.isFinite(count) ? Math.max(0, Math.min(count, MAX_COPY)) : 1;
    for (let i = 0; i < n; i++) {
      const copy = new Map(st.copy);
      copy.set(name, i);
      expandOne(res, pointer, parent, { ...st, copy, currentCopy: name }, ctx, out);
    }
    return;
  }
  expandOne(res, pointer, parent, st, ctx, out);
}

function expandOne(
  res: Record<string, any>,
  pointer: PathSeg[],
  parent: { type: string; name: string } | undefined,
  st: ScopeState,
  ctx: ExpandContext,
  out: ArmResource[],
): void {
  const scope = makeScope(st);
  if ('condition' in res) {
    const c = evaluateWithCopy(res.condition, st);
    if (c === false || (typeof c === 'string' && c.toLowerCase() === 'false')) return;
  }
  const rawType = asString(evaluateWithCopy(res.type, st), '');
  if (!rawType) return;
  const type = parent ? childType(parent.type, rawType) : rawType;
  const rawName = asString(evaluateWithCopy(res.name, st), typeof res.name === 'string' ? res.name : '<unknown>');
  const name = parent ? childName(parent.name, rawName) : rawName;
  const file = ctx.file;

  if (type.toLowerCase() === 'microsoft.resources/deployments') {
    expandDeployment(res, pointer, st, ctx, out);
    return;
  }
  // properties/tags may be whole expressions ("[variables('props')]") as well as objects
  const evaluatedProps = res.properties === undefined ? {} : evaluateWithCopy(res.properties, st);
  const props = isObj(evaluatedProps) ? (evaluatedProps as Record<string, any>) : {};
  const tags = res.tags === undefined ? {} : (evaluateDeep(res.tags, scope) as Record<string, unknown>);
  const evaluatedTags = isObj(tags) ? tags : {};
  out.push({
    type,
    name,
    properties: isObj(props) ? props : {},
    tags: evaluatedTags,
    scope: res.scope !== undefined ? evaluateWithCopy(res.scope, st) : undefined,
    file,
    pointer: formatPath(pointer),
    raw: res,
  });
  const children = res.resources;
  for (const [k, child] of resourceEntries(children)) {
    expandResource(child, [...pointer, 'resources', k], { type, name }, st, ctx, out);
  }
}

function expandDeployment(res: Record<string, any>, pointer: PathSeg[], st: ScopeState, ctx: ExpandContext, out: ArmResource[]): void {
  const props = isObj(res.properties) ? res.properties : {};
  const evalOpts = ci<Record<string, any>>(props, 'expressionEvaluationOptions');
  const inner = String(evalOpts?.scope ?? '').toLowerCase() === 'inner';
  const nestedCtx: ExpandContext = {
    ...ctx,
    depth: (ctx.depth ?? 0) + 1,
    resourceGroup: res.resourceGroup !== undefined ? asString(evaluateWithCopy(res.resourceGroup, st), st.resourceGroup) : st.resourceGroup,
    subscriptionId: res.subscriptionId !== undefined ? asString(evaluateWithCopy(res.subscriptionId, st), st.subscriptionId) : st.subscriptionId,
  };
  let template = ci<unknown>(props, 'template');
  let templatePointer: PathSeg[] = [...pointer, 'properties', 'template'];
  const link = ci<Record<string, any>>(props, 'templateLink');
  if (!isObj(template) && isObj(link) && ctx.loadLinked) {
    const rel = link.relativePath !== undefined ? evaluateWithCopy(link.relativePath, st) : undefined;
    if (typeof rel === 'string') {
      const loaded = ctx.loadLinked(rel, ctx.file);
      if (loaded) {
        template = loaded.template;
        nestedCtx.file = loaded.file;
        templatePointer = [];
      }
    }
  }
  if (!isObj(template)) return;
  const linked = templatePointer.length === 0;
  if (inner || linked) {
    const provided: Record<string, unknown> = {};
    const params = ci<Record<string, any>>(props, 'parameters');
    if (isObj(params)) {
      for (const [k, v] of Object.entries(params)) {
        if (isObj(v) && 'value' in v) provided[k] = evaluateWithCopy(v.value, st);
        else provided[k] = UNKNOWN;
      }
    }
    out.push(...expandTemplate(template, provided, nestedCtx, templatePointer));
  } else {
    // Outer scope: the nested template's expressions see the parent's parameters and variables.
    out.push(...expandTemplate({ resources: template.resources }, {}, nestedCtx, templatePointer, { ...st, resourceGroup: nestedCtx.resourceGroup!, subscriptionId: nestedCtx.subscriptionId! }));
  }
}

/** Values of a deployment parameters file (`{parameters: {name: {value}}}`); Key Vault references are unknown. */
export function parametersFromFile(doc: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObj(doc) || !isObj(doc.parameters)) return out;
  for (const [k, v] of Object.entries(doc.parameters)) {
    if (isObj(v) && 'value' in v) out[k] = v.value;
    else out[k] = UNKNOWN;
  }
  return out;
}

export function isArmTemplate(doc: unknown): boolean {
  if (!isObj(doc)) return false;
  const schema = typeof doc.$schema === 'string' ? doc.$schema : '';
  if (/deploymentTemplate\.json/i.test(schema)) return true;
  return 'resources' in doc && 'contentVersion' in doc && !/deploymentParameters/i.test(schema);
}

export function isArmParameters(doc: unknown): boolean {
  if (!isObj(doc)) return false;
  const schema = typeof doc.$schema === 'string' ? doc.$schema : '';
  if (/deploymentParameters\.json/i.test(schema)) return true;
  return isObj(doc.parameters) && 'contentVersion' in doc && !('resources' in doc);
}

export { isExpression };

/** A `resources` value as [index or symbolic name, resource] pairs: an array, a languageVersion 2.0 object, or none. */
function resourceEntries(resources: unknown): [PathSeg, any][] {
  if (Array.isArray(resources)) return resources.map((r, i) => [i, r]);
  return isObj(resources) ? Object.entries(resources) : [];
}
