/**
 * ONNX ModelProto scanner: walks the graph (and subgraphs, functions, training graphs)
 * through the protobuf wire format without reading tensor payloads, and flags external-data
 * paths that leave the model folder (CVE-2022-25882, CVE-2024-27318, CVE-2025-51480),
 * Python operators, and custom operator domains that need native code.
 */
import type { Finding, FormatScanContext, FormatScanner } from '../../types';
import { CachedReader } from './cachedReader';
import { headFields, PbField, ProtoError, ProtoReader, WIRE_LEN, WIRE_VARINT } from './protobuf';

export const onnxRules: Record<string, string> = {
  ONNX_EXTERNAL_DATA_TRAVERSAL: 'A tensor keeps its data in an external file whose path leaves the model folder (absolute, "..", or a URL): loading reads an arbitrary file (CVE-2022-25882 / CVE-2024-27318 / CVE-2025-51480).',
  ONNX_PYTHON_OP: 'The graph uses a Python operator (PyOp), which runs Python code from the model when it is executed.',
  ONNX_CUSTOM_OP_DOMAIN: 'The graph uses operators from a non-standard domain; running it needs a native custom-op library.',
  ONNX_MALFORMED: 'The ONNX protobuf is malformed (lengths past the end of a message, bad wire types).',
};

const STANDARD_DOMAINS = new Set([
  '', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.training', 'ai.onnx.preview.training', 'ai.onnx.preview',
  'com.microsoft', 'com.microsoft.nchwc', 'com.microsoft.experimental', 'com.microsoft.mlfeaturizers',
  'com.microsoft.dml', 'com.ms.internal.nhwc', 'com.microsoft.internal.nhwc', 'org.pytorch.aten', 'ai.onnx.contrib',
]);
const PYTHON_OPS = new Set(['PyOp', 'PythonOp', 'PyFunc', 'Python', 'PyOpExt', 'PythonOpGrad', 'PyFuncStateless', 'EagerPyFunc']);

const MAX_DEPTH = 32;

class OnnxWalker {
  readonly functions = new Set<string>();
  readonly customOps = new Map<string, { count: number; path: string; offset: number }>();
  private reported = 0;
  constructor(readonly pb: ProtoReader, readonly ctx: FormatScanContext) {}

  report(f: Omit<Finding, 'atlas'> & { atlas?: string[] }) {
    if (this.reported++ < 200) this.ctx.report({ atlas: ['AML.T0010.003'], ...f });
  }

  async model(start: number, end: number) {
    const graphs: PbField[] = [];
    const functions: PbField[] = [];
    const trainings: PbField[] = [];
    for await (const f of this.pb.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === 7) graphs.push(f);
      else if (f.field === 25) functions.push(f);
      else if (f.field === 20) trainings.push(f);
    }
    // local functions first: a node calling a function defined in the model is not a custom op
    for (const fn of functions) {
      let name = '';
      let domain = '';
      for await (const g of this.pb.fields(fn.start, fn.end)) {
        if (g.field === 1 && g.wire === WIRE_LEN) name = (await this.pb.string(g, 4096)) ?? '';
        if (g.field === 10 && g.wire === WIRE_LEN) domain = (await this.pb.string(g, 4096)) ?? '';
      }
      this.functions.add(`${domain}::${name}`);
    }
    for (const g of graphs) await this.graph(g.start, g.end, 'graph', 0);
    for (const fn of functions) await this.function(fn.start, fn.end, 0);
    for (const t of trainings) {
      for await (const g of this.pb.fields(t.start, t.end)) {
        if ((g.field === 1 || g.field === 2) && g.wire === WIRE_LEN) await this.graph(g.start, g.end, g.field === 1 ? 'training_info.initialization' : 'training_info.algorithm', 0);
      }
    }
  }

  async function(start: number, end: number, depth: number) {
    let name = '';
    const nodes: PbField[] = [];
    for await (const f of this.pb.fields(start, end)) {
      if (f.field === 1 && f.wire === WIRE_LEN) name = (await this.pb.string(f, 4096)) ?? '';
      if (f.field === 7 && f.wire === WIRE_LEN) nodes.push(f);
    }
    for (const n of nodes) await this.node(n.start, n.end, `function ${name}`, depth);
  }

  async graph(start: number, end: number, path: string, depth: number) {
    if (depth > MAX_DEPTH) throw new ProtoError('subgraphs nested too deeply', start);
    for await (const f of this.pb.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === 1) await this.node(f.start, f.end, path, depth);
      else if (f.field === 5) await this.tensor(f.start, f.end, path);
      else if (f.field === 15) {
        for await (const s of this.pb.fields(f.start, f.end)) if ((s.field === 1 || s.field === 2) && s.wire === WIRE_LEN) await this.tensor(s.start, s.end, path);
      }
    }
  }

  async node(start: number, end: number, path: string, depth: number) {
    let op = '';
    let domain = '';
    let name = '';
    const attrs: PbField[] = [];
    for await (const f of this.pb.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === 4) op = (await this.pb.string(f, 4096)) ?? '';
      else if (f.field === 7) domain = (await this.pb.string(f, 4096)) ?? '';
      else if (f.field === 3) name = (await this.pb.string(f, 4096)) ?? '';
      else if (f.field === 5) attrs.push(f);
    }
    const where = `${path}/${name || op}`;
    if (PYTHON_OPS.has(op)) {
      const attrStrings: Record<string, string> = {};
      for (const a of attrs) {
        let an = '';
        let s: string | undefined;
        for await (const f of this.pb.fields(a.start, a.end)) {
          if (f.field === 1 && f.wire === WIRE_LEN) an = (await this.pb.string(f, 256)) ?? '';
          if (f.field === 4 && f.wire === WIRE_LEN) s = await this.pb.string(f, 4096);
        }
        if (an && s !== undefined) attrStrings[an] = s.slice(0, 300);
      }
      this.report({
        ruleId: 'ONNX_PYTHON_OP',
        severity: 'critical',
        message: `Node "${name || op}" is a Python operator (${domain ? `${domain}.` : ''}${op}); executing the graph runs Python code chosen by the model author.`,
        location: { path: where, offset: start },
        cwe: ['CWE-94', 'CWE-502'],
        atlas: ['AML.T0011.000', 'AML.T0018.002', 'AML.T0010.003'],
        details: { op, domain, attributes: attrStrings },
      });
    } else if (!STANDARD_DOMAINS.has(domain) && !this.functions.has(`${domain}::${op}`)) {
      const key = `${domain}::${op}`;
      const c = this.customOps.get(key);
      if (c) c.count++;
      else this.customOps.set(key, { count: 1, path: where, offset: start });
    }
    for (const a of attrs) {
      for await (const f of this.pb.fields(a.start, a.end)) {
        if (f.wire !== WIRE_LEN) continue;
        if (f.field === 6 || f.field === 11) await this.graph(f.start, f.end, `${where}`, depth + 1);
        else if (f.field === 5 || f.field === 10) await this.tensor(f.start, f.end, where);
      }
    }
  }

  async tensor(start: number, end: number, path: string) {
    let name = '';
    let external = false;
    const entries: Array<{ key: string; value: string }> = [];
    for await (const f of this.pb.fields(start, end)) {
      if (f.field === 8 && f.wire === WIRE_LEN) name = (await this.pb.string(f, 4096)) ?? '';
      else if (f.field === 14 && f.wire === WIRE_VARINT) external = f.varint === 1n;
      else if (f.field === 13 && f.wire === WIRE_LEN) {
        let key = '';
        let value = '';
        for await (const e of this.pb.fields(f.start, f.end)) {
          if (e.field === 1 && e.wire === WIRE_LEN) key = (await this.pb.string(e, 4096)) ?? '';
          if (e.field === 2 && e.wire === WIRE_LEN) value = (await this.pb.string(e, 64 * 1024)) ?? '<very long>';
        }
        entries.push({ key, value });
      }
    }
    const location = entries.find(e => e.key === 'location');
    if (!location) return;
    const reason = externalPathProblem(location.value);
    // a location inside the model folder names a sibling raw tensor data file
    if (!reason && location.value) this.ctx.addReference?.(location.value.replace(/^\.\//, ''));
    if (reason) {
      this.report({
        ruleId: 'ONNX_EXTERNAL_DATA_TRAVERSAL',
        severity: 'critical',
        message: `Tensor "${name}" loads its data from "${location.value.slice(0, 200)}", ${reason}; loading the model reads that file (CVE-2024-27318 class).`,
        location: { path: `${path}/initializer ${name}`, offset: start },
        cwe: ['CWE-22'],
        atlas: ['AML.T0010.003', 'AML.T0025'],
        details: { location: location.value.slice(0, 1000), dataLocationExternal: external },
      });
    }
  }
}

/** Why an external-data location leaves the model folder, or undefined when it does not. */
export function externalPathProblem(loc: string): string | undefined {
  if (loc.includes('\u0000')) return 'which contains a NUL byte';
  if (/^[a-z][a-z0-9+.-]*:/i.test(loc) && !/^[A-Za-z]:[\\/]/.test(loc)) return 'which is a URL';
  if (/^[\\/]/.test(loc) || /^[A-Za-z]:/.test(loc)) return 'which is an absolute path';
  if (/^~/.test(loc)) return "which starts at a user's home directory";
  const parts = loc.split(/[\\/]+/);
  let depth = 0;
  for (const p of parts) {
    if (p === '..') {
      depth--;
      if (depth < 0) return 'which climbs out of the model folder with ".."';
    } else if (p !== '.' && p !== '') depth++;
  }
  if (parts.includes('..')) return 'which contains ".." segments';
  return undefined;
}

const MODEL_FIELDS: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2 };

function printable(b: Buffer): boolean {
  return b.length > 0 && [...b].every(c => c >= 0x20 && c < 0x7f);
}

function detect(head: Buffer, hint: { name: string; size: number }): number {
  const fields = headFields(head);
  if (!fields || fields.length === 0) return 0;
  for (const f of fields) if (MODEL_FIELDS[f.field] !== f.wire) return 0;
  const first = fields[0];
  if (first.field !== 1) {
    // writers other than the C++/Python protobuf runtime may not start with ir_version
    const irVersion = fields.find(f => f.field === 1);
    const named = /\.onnx$/i.test(hint.name);
    if (!named || (irVersion && (irVersion.varint === undefined || irVersion.varint < 1 || irVersion.varint > 20))) return 0;
    return fields.some(f => f.field === 7 || f.field === 8) ? 45 : 0;
  }
  if (first.wire !== 0 || first.varint === undefined || first.varint < 1 || first.varint > 20) return 0;
  const strings = fields.filter(f => f.field >= 2 && f.field <= 4 && f.end <= head.length);
  if (fields.length < 2) return /\.onnx$/i.test(hint.name) ? 30 : 0;
  const second = fields[1];
  if (second.field === 2 && second.end <= head.length && !printable(head.subarray(second.start, second.end))) return 0; // SavedModel (meta_graphs)
  if (second.field === 2 && second.end > head.length && head[second.start] === 0x0a) return 0;
  const hasGraphOrOpset = fields.some(f => f.field === 7 || f.field === 8);
  let score = hasGraphOrOpset || strings.length > 0 ? 60 : 35;
  if (/\.onnx$/i.test(hint.name)) score += 20;
  return score;
}

async function scan(ctx: FormatScanContext): Promise<void> {
  const reader = new CachedReader(ctx.source);
  const pb = new ProtoReader(reader);
  const walker = new OnnxWalker(pb, ctx);
  if (ctx.depth === 0) ctx.setFormat('onnx');
  try {
    await walker.model(0, ctx.source.size);
  } catch (e) {
    if (!(e instanceof ProtoError)) throw e;
    walker.report({
      ruleId: 'ONNX_MALFORMED',
      // a length or wire type no ONNX writer produces: the file exists to crash or confuse loaders
      severity: 'high',
      message: `The ONNX protobuf is structurally impossible (${e.message}); no ONNX writer produces this, and runtimes may crash on it or read it differently.`,
      location: { offset: e.offset },
      cwe: ['CWE-20'],
      atlas: ['AML.T0010.003', 'AML.T0076'],
    });
  }
  for (const [key, c] of walker.customOps) {
    const [domain, op] = key.split('::');
    walker.report({
      ruleId: 'ONNX_CUSTOM_OP_DOMAIN',
      severity: 'medium',
      message: `The graph uses ${c.count} node(s) of the custom operator ${domain}.${op}, outside the standard ONNX domains; running it needs a native custom-op library.`,
      location: { path: c.path, offset: c.offset },
      cwe: ['CWE-829'],
      details: { domain, op, count: c.count },
    });
  }
}

export const onnxScanner: FormatScanner = { id: 'onnx', detect, scan };
