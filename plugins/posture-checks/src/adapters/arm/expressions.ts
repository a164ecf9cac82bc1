/**
 * ARM template expression language: `[function(args).property[index]]`, evaluated statically.
 * Values the deployment alone knows (`reference()`, `listKeys()`, `utcNow()`, missing required
 * parameters) evaluate to UNKNOWN, which propagates through every function.
 */
import { createHash } from 'node:crypto';
import { UNKNOWN } from '../../types';

export class ExpressionError extends Error {}

type Token =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'id'; v: string }
  | { t: 'p'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ExpressionError('unterminated string literal');
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: 'str', v: s });
    } else if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < src.length && /[0-9.]/.test(src[j])) j++;
      out.push({ t: 'num', v: Number(src.slice(i, j)) });
      i = j;
    } else if (/[A-Za-z_$]/.test(ch)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_$.]/.test(src[j])) {
        // a '.' followed by an identifier inside a function name (namespace.function) is part of it
        // only when the name is followed by '('; resolve below.
        j++;
      }
      let name = src.slice(i, j);
      // split trailing property accesses: a.b.c -> only the first segment is the identifier when not a call
      const after = src.slice(j).trimStart();
      if (!after.startsWith('(') && name.includes('.')) {
        const dot = name.indexOf('.');
        j = i + dot;
        name = name.slice(0, dot);
      } else if (after.startsWith('(') && name.includes('.')) {
        // user-defined function namespace.name(...): keep; but property access after a call is handled by parser
      }
      out.push({ t: 'id', v: name });
      i = j;
    } else if ('(),.[]'.includes(ch)) {
      out.push({ t: 'p', v: ch });
      i++;
    } else {
      throw new ExpressionError(`unexpected character "${ch}"`);
    }
  }
  return out;
}

export type Ast =
  | { k: 'lit'; v: unknown }
  | { k: 'call'; name: string; args: Ast[] }
  | { k: 'prop'; target: Ast; name: string }
  | { k: 'index'; target: Ast; index: Ast };

export function parseExpression(src: string): Ast {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const expectP = (v: string) => {
    const t = toks[pos++];
    if (!t || t.t !== 'p' || t.v !== v) throw new ExpressionError(`expected "${v}"`);
  };
  const primary = (): Ast => {
    const t = toks[pos++];
    if (!t) throw new ExpressionError('unexpected end of expression');
    if (t.t === 'str' || t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 'id') {
      const nx = peek();
      if (nx && nx.t === 'p' && nx.v === '(') {
        pos++;
        const args: Ast[] = [];
        if (!(peek()?.t === 'p' && peek()!.v === ')')) {
          for (;;) {
            args.push(expr());
            const sep = toks[pos++];
            if (sep?.t === 'p' && sep.v === ',') continue;
            if (sep?.t === 'p' && sep.v === ')') break;
            throw new ExpressionError('expected "," or ")"');
          }
        } else pos++;
        return { k: 'call', name: t.v.toLowerCase(), args };
      }
      const lower = t.v.toLowerCase();
      if (lower === 'true') return { k: 'lit', v: true };
      if (lower === 'false') return { k: 'lit', v: false };
      if (lower === 'null') return { k: 'lit', v: null };
      throw new ExpressionError(`"${t.v}" is not a function call`);
    }
    throw new ExpressionError(`unexpected "${t.v}"`);
  };
  function expr(): Ast {
    let node = primary();
    for (;;) {
      const t = peek();
      if (t?.t === 'p' && t.v === '.') {
        pos++;
        const name = toks[pos++];
        if (!name || name.t !== 'id') throw new ExpressionError('expected a property name after "."');
        node = { k: 'prop', target: node, name: name.v };
      } else if (t?.t === 'p' && t.v === '[') {
        pos++;
        const index = expr();
        expectP(']');
        node = { k: 'index', target: node, index };
      } else return node;
    }
  }
  const ast = expr();
  if (pos !== toks.length) throw new ExpressionError('unexpected text after the expression');
  return ast;
}

export interface EvalScope {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  copyIndex(loop: string | undefined): number | undefined;
  /** Values of the deployment scope. */
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  deploymentName: string;
  /** Outputs of a user-defined function call, or undefined when not supported. */
  userFunction?(name: string, args: unknown[]): unknown;
  /** Variables of the lambdas being applied (`lambdaVariables('x')`). */
  lambdaVars?: Map<string, unknown>;
}

/** A `lambda('a', 'b', body)` value: applied by map/filter/reduce/sort/toObject/mapValues/groupBy. */
interface Lambda {
  kind: 'lambda';
  params: string[];
  body: Ast;
  scope: EvalScope;
}

function isLambda(v: unknown): v is Lambda {
  return typeof v === 'object' && v !== null && (v as Lambda).kind === 'lambda' && Array.isArray((v as Lambda).params);
}

function apply(fn: unknown, args: unknown[]): unknown {
  if (!isLambda(fn)) return UNKNOWN;
  const vars = new Map(fn.scope.lambdaVars ?? []);
  fn.params.forEach((p, i) => vars.set(p, args[i]));
  return evaluateAst(fn.body, { ...fn.scope, lambdaVars: vars });
}

const isUnknown = (v: unknown) => v === UNKNOWN;

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Deterministic stand-in for uniqueString (13 chars, base32 alphabet like ARM's). */
function uniqueString(args: unknown[]): string {
  const h = createHash('sha256').update(args.map(str).join('-')).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  for (let i = 0; i < 13; i++) out += alphabet[h[i] % 32];
  return out;
}

function guid(args: unknown[]): string {
  const h = createHash('sha1').update(args.map(str).join('-')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function isResourceType(s: unknown): s is string {
  return typeof s === 'string' && /^[A-Za-z0-9]+\.[A-Za-z0-9.]+\/[A-Za-z0-9/]+$/.test(s);
}

function buildResourceId(prefix: string, type: string, names: unknown[]): string {
  const types = type.split('/');
  const ns = types[0];
  let id = `${prefix}/providers/${ns}`;
  for (let i = 1; i < types.length; i++) id += `/${types[i]}/${str(names[i - 1] ?? '')}`;
  return id;
}

function format(fmt: string, args: unknown[]): string {
  return fmt.replace(/\{(\d+)(?::[^}]*)?\}/g, (_m, d) => {
    const v = args[Number(d)];
    return v === undefined ? '' : str(v);
  });
}

function toBool(v: unknown): boolean {
  if (typeof v === 'string') return v.toLowerCase() === 'true';
  return Boolean(v);
}

function equalsDeep(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return JSON.stringify(a) === JSON.stringify(b);
}

function length(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (v && typeof v === 'object') return Object.keys(v).length;
  return 0;
}

function empty(v: unknown): boolean {
  return v === null || v === undefined || length(v) === 0;
}

function union(args: unknown[]): unknown {
  if (args.every(Array.isArray)) {
    const out: unknown[] = [];
    for (const a of args as unknown[][]) for (const x of a) if (!out.some(y => JSON.stringify(y) === JSON.stringify(x))) out.push(x);
    return out;
  }
  return Object.assign({}, ...args.map(a => (a && typeof a === 'object' ? a : {})));
}

function getProp(target: unknown, name: string): unknown {
  if (isUnknown(target)) return UNKNOWN;
  if (target && typeof target === 'object' && !Array.isArray(target)) {
    const o = target as Record<string, unknown>;
    if (name in o) return o[name];
    const k = Object.keys(o).find(x => x.toLowerCase() === name.toLowerCase());
    if (k !== undefined) return o[k];
  }
  return UNKNOWN;
}

/** Functions whose value is only known at deployment time. */
const DEPLOY_TIME = new Set([
  'reference', 'list', 'listkeys', 'listaccountsas', 'listservicesas', 'listsecrets', 'listconnectionstrings',
  'utcnow', 'newguid', 'pickzones', 'providers', 'managementgroup', 'managementgroupresourceid', 'getsecret',
]);

export function evaluateAst(ast: Ast, scope: EvalScope): unknown {
  switch (ast.k) {
    case 'lit':
      return ast.v;
    case 'prop':
      return getProp(evaluateAst(ast.target, scope), ast.name);
    case 'index': {
      const target = evaluateAst(ast.target, scope);
      const index = evaluateAst(ast.index, scope);
      if (isUnknown(target) || isUnknown(index)) return UNKNOWN;
      if (Array.isArray(target) && typeof index === 'number') return index < target.length ? target[index] : UNKNOWN;
      return getProp(target, str(index));
    }
    case 'call':
      return call(ast, scope);
    default:
      return UNKNOWN;
  }
}

function call(ast: Extract<Ast, { k: 'call' }>, scope: EvalScope): unknown {
  const name = ast.name;
  // Lazy functions first (only one branch of if() is evaluated).
  if (name === 'if') {
    const c = evaluateAst(ast.args[0], scope);
    if (isUnknown(c)) return UNKNOWN;
    return evaluateAst(toBool(c) ? ast.args[1] : ast.args[2], scope);
  }
  if (name === 'lambda') {
    const params = ast.args.slice(0, -1).map(a => evaluateAst(a, scope));
    if (params.some(p => typeof p !== 'string') || ast.args.length === 0) return UNKNOWN;
    return { kind: 'lambda', params: params as string[], body: ast.args[ast.args.length - 1], scope } as Lambda;
  }
  if (name === 'lambdavariables') {
    const v = evaluateAst(ast.args[0], scope);
    return typeof v === 'string' && scope.lambdaVars?.has(v) ? scope.lambdaVars.get(v) : UNKNOWN;
  }
  if (name === 'coalesce') {
    for (const a of ast.args) {
      const v = evaluateAst(a, scope);
      if (v !== null && v !== undefined) return v;
    }
    return null;
  }
  if (DEPLOY_TIME.has(name) || name.startsWith('list')) return UNKNOWN;
  const args = ast.args.map(a => evaluateAst(a, scope));
  const anyUnknown = args.some(isUnknown);
  const sub = scope.subscriptionId;
  const rg = scope.resourceGroup;
  switch (name) {
    case 'parameters':
      return anyUnknown ? UNKNOWN : scope.parameter(str(args[0]));
    case 'variables':
      return anyUnknown ? UNKNOWN : scope.variable(str(args[0]));
    case 'copyindex': {
      const loop = [args[0], args[1]].find((a): a is string => typeof a === 'string');
      const offset = typeof args[0] === 'number' ? args[0] : 0;
      const i = scope.copyIndex(loop);
      return i === undefined ? UNKNOWN : i + offset;
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'resourcegroup':
      return { id: `/subscriptions/${sub}/resourceGroups/${rg}`, name: rg, location: scope.location, properties: {}, type: 'Microsoft.Resources/resourceGroups' };
    case 'subscription':
      return { id: `/subscriptions/${sub}`, subscriptionId: sub, tenantId: '00000000-0000-0000-0000-000000000000', displayName: sub };
    case 'tenant':
      return { tenantId: '00000000-0000-0000-0000-000000000000', countryCode: 'US', displayName: 'tenant' };
    case 'deployment':
      return { name: scope.deploymentName, properties: { templateLink: {} } };
    case 'environment':
      return { name: 'AzureCloud', resourceManager: 'https://management.azure.com/', suffixes: { storage: 'core.windows.net', keyvaultDns: '.vault.azure.net' }, authentication: { loginEndpoint: 'https://login.microsoftonline.com/' } };
    default:
      break; // the functions below need every argument known
  }
  if (anyUnknown) return UNKNOWN;
  switch (name) {
    case 'concat':
      if (args.length > 0 && args.every(Array.isArray)) return ([] as unknown[]).concat(...(args as unknown[][]));
      return args.map(a => (a === null || a === undefined ? '' : str(a))).join('');
    case 'format':
      return format(str(args[0]), args.slice(1));
    case 'tolower':
      return str(args[0]).toLowerCase();
    case 'toupper':
      return str(args[0]).toUpperCase();
    case 'trim':
      return str(args[0]).trim();
    case 'replace':
      return str(args[0]).split(str(args[1])).join(str(args[2]));
    case 'substring': {
      const s = str(args[0]);
      const start = Number(args[1] ?? 0);
      return args[2] === undefined ? s.substring(start) : s.substr(start, Number(args[2]));
    }
    case 'take':
      return Array.isArray(args[0]) ? args[0].slice(0, Number(args[1])) : str(args[0]).slice(0, Number(args[1]));
    case 'skip':
      return Array.isArray(args[0]) ? args[0].slice(Number(args[1])) : str(args[0]).slice(Number(args[1]));
    case 'first':
      return Array.isArray(args[0]) ? args[0][0] : str(args[0])[0];
    case 'last':
      return Array.isArray(args[0]) ? args[0][args[0].length - 1] : str(args[0]).slice(-1);
    case 'split':
      return str(args[0]).split(Array.isArray(args[1]) ? new RegExp(args[1].map(x => String(x).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')) : str(args[1]));
    case 'join':
      return (Array.isArray(args[0]) ? args[0] : []).map(str).join(str(args[1]));
    case 'startswith':
      return str(args[0]).toLowerCase().startsWith(str(args[1]).toLowerCase());
    case 'endswith':
      return str(args[0]).toLowerCase().endsWith(str(args[1]).toLowerCase());
    case 'indexof':
      return str(args[0]).toLowerCase().indexOf(str(args[1]).toLowerCase());
    case 'lastindexof':
      return str(args[0]).toLowerCase().lastIndexOf(str(args[1]).toLowerCase());
    case 'padleft':
      return str(args[0]).padStart(Number(args[1]), args[2] === undefined ? ' ' : str(args[2]));
    case 'string':
      return str(args[0]);
    case 'int':
      return parseInt(str(args[0]), 10);
    case 'float':
      return parseFloat(str(args[0]));
    case 'bool':
      return toBool(args[0]);
    case 'json':
      try {
        return JSON.parse(str(args[0]));
      } catch {
        return UNKNOWN;
      }
    case 'base64':
      return Buffer.from(str(args[0])).toString('base64');
    case 'base64tostring':
      return Buffer.from(str(args[0]), 'base64').toString('utf8');
    case 'uri':
      return str(args[0]).replace(/\/?$/, '/') + str(args[1]).replace(/^\//, '');
    case 'uricomponent':
      return encodeURIComponent(str(args[0]));
    case 'uricomponenttostring':
      return decodeURIComponent(str(args[0]));
    case 'uniquestring':
      return uniqueString(args);
    case 'guid':
      return guid(args);
    case 'equals':
      return equalsDeep(args[0], args[1]);
    case 'not':
      return !toBool(args[0]);
    case 'and':
      return args.every(toBool);
    case 'or':
      return args.some(toBool);
    case 'greater':
      return (args[0] as any) > (args[1] as any);
    case 'greaterorequals':
      return (args[0] as any) >= (args[1] as any);
    case 'less':
      return (args[0] as any) < (args[1] as any);
    case 'lessorequals':
      return (args[0] as any) <= (args[1] as any);
    case 'add':
      return Number(args[0]) + Number(args[1]);
    case 'sub':
      return Number(args[0]) - Number(args[1]);
    case 'mul':
      return Number(args[0]) * Number(args[1]);
    case 'div':
      return Math.trunc(Number(args[0]) / Number(args[1]));
    case 'mod':
      return Number(args[0]) % Number(args[1]);
    case 'min':
      return Math.min(...(Array.isArray(args[0]) ? args[0] : args).map(Number));
    case 'max':
      return Math.max(...(Array.isArray(args[0]) ? args[0] : args).map(Number));
    case 'range':
      return Array.from({ length: Number(args[1]) }, (_, i) => Number(args[0]) + i);
    case 'empty':
      return empty(args[0]);
    case 'length':
      return length(args[0]);
    case 'contains': {
      const c = args[0];
      if (typeof c === 'string') return c.toLowerCase().includes(str(args[1]).toLowerCase());
      if (Array.isArray(c)) return c.some(x => equalsDeep(x, args[1]));
      if (c && typeof c === 'object') return Object.keys(c).some(k => k.toLowerCase() === str(args[1]).toLowerCase());
      return false;
    }
    case 'union':
      return union(args);
    case 'intersection':
      if (args.every(Array.isArray)) return (args[0] as unknown[]).filter(x => (args.slice(1) as unknown[][]).every(a => a.some(y => equalsDeep(x, y))));
      return UNKNOWN;
    case 'createarray':
    case 'array':
      return name === 'array' && Array.isArray(args[0]) ? args[0] : [...args];
    case 'createobject': {
      const o: Record<string, unknown> = {};
      for (let i = 0; i + 1 < args.length; i += 2) o[str(args[i])] = args[i + 1];
      return o;
    }
    case 'items':
      return args[0] && typeof args[0] === 'object' ? Object.entries(args[0] as object).map(([key, value]) => ({ key, value })) : [];
    case 'objectkeys':
      return args[0] && typeof args[0] === 'object' ? Object.keys(args[0] as object) : [];
    case 'map':
      return Array.isArray(args[0]) ? args[0].map((x, i) => apply(args[1], [x, i])) : UNKNOWN;
    case 'filter':
      if (!Array.isArray(args[0])) return UNKNOWN;
      {
        const kept = [];
        for (const [i, x] of args[0].entries()) {
          const keep = apply(args[1], [x, i]);
          if (isUnknown(keep)) return UNKNOWN;
          if (toBool(keep)) kept.push(x);
        }
        return kept;
      }
    case 'reduce':
      return Array.isArray(args[0]) ? args[0].reduce((acc, x, i) => (isUnknown(acc) ? acc : apply(args[2], [acc, x, i])), args[1]) : UNKNOWN;
    case 'sort':
      return Array.isArray(args[0]) ? [...args[0]].sort((a, b) => (toBool(apply(args[1], [a, b])) ? -1 : 1)) : UNKNOWN;
    case 'toobject': {
      if (!Array.isArray(args[0])) return UNKNOWN;
      const o: Record<string, unknown> = {};
      for (const x of args[0]) {
        const k = apply(args[1], [x]);
        if (isUnknown(k)) return UNKNOWN;
        o[str(k)] = args[2] === undefined ? x : apply(args[2], [x]);
      }
      return o;
    }
    case 'mapvalues':
      return args[0] && typeof args[0] === 'object' && !Array.isArray(args[0]) ? Object.fromEntries(Object.entries(args[0] as object).map(([k, v]) => [k, apply(args[1], [v])])) : UNKNOWN;
    case 'groupby': {
      if (!Array.isArray(args[0])) return UNKNOWN;
      const o: Record<string, unknown[]> = {};
      for (const x of args[0]) {
        const k = str(apply(args[1], [x]));
        (o[k] ??= []).push(x);
      }
      return o;
    }
    case 'trygetvalue':
    case 'tryget': {
      let cur: unknown = args[0];
      for (const k of args.slice(1)) {
        if (cur === null || cur === undefined) return null;
        if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
        else if (typeof cur === 'object') {
          const o = cur as Record<string, unknown>;
          const key = Object.keys(o).find(x => x.toLowerCase() === str(k).toLowerCase());
          cur = key === undefined ? null : o[key];
        } else return null;
      }
      return cur === undefined ? null : cur;
    }
    case 'shallowmerge':
      return Array.isArray(args[0]) ? Object.assign({}, ...args[0].filter(x => x && typeof x === 'object')) : UNKNOWN;
    case 'flatten':
      return Array.isArray(args[0]) ? (args[0] as unknown[]).flat() : UNKNOWN;
    case 'resourceid':
    case 'subscriptionresourceid':
    case 'tenantresourceid': {
      const t = args.findIndex(isResourceType);
      if (t < 0) return UNKNOWN;
      const before = args.slice(0, t).map(str);
      let prefix = '';
      if (name === 'resourceid') {
        const s = before.length >= 2 ? before[0] : sub;
        const g = before.length >= 2 ? before[1] : before[0] ?? rg;
        prefix = `/subscriptions/${s}/resourceGroups/${g}`;
      } else if (name === 'subscriptionresourceid') {
        prefix = `/subscriptions/${before[0] ?? sub}`;
      }
      return buildResourceId(prefix, args[t] as string, args.slice(t + 1));
    }
    case 'extensionresourceid': {
      const base = str(args[0]);
      if (!isResourceType(args[1])) return UNKNOWN;
      return buildResourceId(base, args[1] as string, args.slice(2));
    }
    case 'lastindex':
      return UNKNOWN;
    default:
      if (scope.userFunction) return scope.userFunction(name, args);
      return UNKNOWN;
  }
}

/** Whether a template string is an expression (`[...]`, not the `[[` escape). */
export function isExpression(v: unknown): boolean {
  return typeof v === 'string' && v.length >= 2 && v.startsWith('[') && !v.startsWith('[[') && v.endsWith(']');
}

/** Evaluates one template string value: an expression, an escaped literal or plain text. */
export function evaluateString(v: string, scope: EvalScope): unknown {
  if (isExpression(v)) {
    try {
      return evaluateAst(parseExpression(v.slice(1, -1)), scope);
    } catch (e) {
      if (e instanceof ExpressionError) return UNKNOWN;
      throw e;
    }
  }
  if (v.startsWith('[[')) return v.slice(1);
  return v;
}

/** Evaluates every expression inside a JSON value (objects, arrays, strings). */
export function evaluateDeep(value: unknown, scope: EvalScope, skipKeys?: Set<string>): unknown {
  if (typeof value === 'string') return evaluateString(value, scope);
  if (Array.isArray(value)) return value.map(v => evaluateDeep(v, scope));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = skipKeys?.has(k) ? v : evaluateDeep(v, scope);
    }
    return out;
  }
  return value;
}
