/**
 * TorchScript code (`<archive>/code/**.py` of a `torch.jit.save` archive). `torch.jit.load` compiles
 * this Python-like source and runs each class's `__setstate__` while loading — even under
 * `torch.load(weights_only=True)` before torch 2.6 (CVE-2025-32434) — and `forward` on every call.
 * TorchScript can only call what the runtime registered: aten/prim operators, custom operators of
 * loaded libraries (`ops.<namespace>.<name>`) and TorchBind classes (`__torch__.torch.classes.*`).
 * So the analysis resolves every dotted reference and call in the source and judges it:
 *
 * - file, process and network operators (`torch.save`/`aten::save`, `torch.from_file`, `torch.load`,
 *   distributed / RPC operators and classes, `load_library`, Python primitives that a hand-written
 *   archive may name: `open`, `eval`, `exec`, `os.*`, `subprocess.*`, ...) are critical;
 * - operators of an unknown namespace and unknown TorchBind classes need a native library that the
 *   model brings or expects: high;
 * - pure computation (aten, prim, quantized, xnnpack, torchvision/torchaudio operators, module
 *   attribute access) is safe.
 *
 * Strings and comments are blanked before references are read, so text in a string is never a call.
 */
import type { Finding, FormatScanContext } from '../../types';
import { readAll } from '../../byteSource';

export const TORCHSCRIPT_MAX_SOURCE = 8 << 20;

export const torchScriptRules: Record<string, string> = {
  TORCHSCRIPT_DANGEROUS_OP:
    'TorchScript code in the archive calls a file, process or network operation (for example torch.save, torch.from_file, a distributed/RPC operator or load_library). torch.jit.load runs __setstate__ while loading (even with weights_only=True before torch 2.6, CVE-2025-32434) and forward on every call.',
  TORCHSCRIPT_CUSTOM_OP:
    'TorchScript code calls an operator or TorchBind class from a namespace PyTorch does not ship. It only runs when a native library registering it is loaded: the model brings or expects native code.',
  TORCHSCRIPT_TOO_LARGE:
    'A TorchScript source file is larger than the analysis bound and was not analysed.',
};

const CODE_EXEC = ['AML.T0010.003', 'AML.T0011.000', 'AML.T0018.002'];

/** Operator namespaces PyTorch and its domain libraries ship (pure computation). */
const KNOWN_OP_NAMESPACES = new Set([
  'aten',
  'prim',
  'quantized',
  '_quantized',
  'quantized_decomposed',
  'prepacked',
  'profiler',
  'sparse',
  'xnnpack',
  'mkldnn',
  'mkldnn_prepacked',
  'mkl',
  'cudnn',
  'fbgemm',
  'onednn',
  '_caffe2',
  'torchvision',
  'torchaudio',
  'torchtext',
  'image',
  'triton',
  'cuda',
  'mps',
  'inductor',
  'higher_order',
  'debugprims',
  'rngprims',
  'aten_mkldnn',
]);

/** TorchBind class namespaces PyTorch ships (packed parameters of quantized/mobile operators). */
const KNOWN_CLASS_NAMESPACES = new Set([
  'quantized',
  'xnnpack',
  'sparse',
  'mkldnn',
  'onednn',
  'ao',
  '_TorchScriptTesting',
]);

/** Namespaces whose operators talk to the network or other processes. */
const NETWORK_NAMESPACES = new Set([
  'c10d',
  '_c10d_functional',
  '_c10d_functional_autograd',
  '_dtensor',
  'dist_c10d',
  'dist_rpc',
  'rpc',
  'dist_autograd',
]);

/** aten operators with file side effects. */
const FILE_OPS = new Set([
  'save',
  'from_file',
  'load',
  '_save',
  '_load',
  'load_library',
  '_nnapi',
]);

/** Names a hand-written archive could try; TorchScript has no such builtins, Python does. */
const PYTHON_PRIMITIVES = new Set([
  'open',
  'eval',
  'exec',
  'compile',
  '__import__',
  'execfile',
  'breakpoint',
  'globals',
  'locals',
  'vars',
]);
const PYTHON_MODULES =
  /^(os|posix|nt|subprocess|socket|sys|shutil|pty|ctypes|importlib|builtins|__builtins__|runpy|urllib|http|requests|pickle|marshal|io|pathlib|tempfile|multiprocessing|webbrowser|code|codecs)\./;

/** Source with string literals and comments replaced by spaces (line structure kept). */
export function blankStringsAndComments(src: string): string {
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') {
        out.push(' ');
        i++;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = src.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      out.push('"');
      i += q.length;
      while (i < src.length && !src.startsWith(q, i)) {
        if (src[i] === '\\') {
          out.push(' ');
          i++;
        }
        if (i < src.length) {
          out.push(src[i] === '\n' ? '\n' : ' ');
          i++;
        }
        if (!triple && src[i - 1] === '\n') break;
      }
      out.push('"');
      i += q.length;
      continue;
    }
    out.push(c);
    i++;
  }
  return out.join('');
}

export interface TorchScriptIssue {
  ruleId: 'TORCHSCRIPT_DANGEROUS_OP' | 'TORCHSCRIPT_CUSTOM_OP';
  reference: string;
  why: string;
  line: number;
  method?: string;
  className?: string;
}

/** Judges every dotted reference and call of a TorchScript source file. */
export function analyzeTorchScriptSource(src: string): TorchScriptIssue[] {
  const code = blankStringsAndComments(src);
  const issues: TorchScriptIssue[] = [];
  const seen = new Set<string>();
  let method: string | undefined;
  let className: string | undefined;
  let methodIndent = -1;
  const lines = code.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln];
    const indent = line.length - line.trimStart().length;
    const cls = /^\s*class\s+([A-Za-z_]\w*)/.exec(line);
    if (cls && indent === 0) {
      className = cls[1];
      method = undefined;
    }
    const def = /^\s*def\s+([A-Za-z_]\w*)\s*\(/.exec(line);
    if (def) {
      method = def[1];
      methodIndent = indent;
      if (indent === 0) className = undefined;
    } else if (method && line.trim() && indent <= methodIndent) {
      method = undefined;
    }
    // eslint-disable-next-line no-loop-func -- reads this line's class and method on purpose
    const add = (
      ruleId: TorchScriptIssue['ruleId'],
      reference: string,
      why: string,
    ) => {
      const key = `${ruleId}|${reference}|${className}|${method}`;
      if (seen.has(key) || issues.length >= 200) return;
      seen.add(key);
      issues.push({ ruleId, reference, why, line: ln + 1, method, className });
    };
    // dotted references (torch.x, ops.ns.x, torch.ops.ns.x, __torch__.torch.classes.ns.C, os.system)
    for (const m of line.matchAll(
      /(?<![\w.])[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)+/g,
    )) {
      const ref = m[0].replace(/\s+/g, '');
      const parts = ref.split('.');
      if (/(^|\.)load_library$/.test(ref) || parts.includes('load_library')) {
        add('TORCHSCRIPT_DANGEROUS_OP', ref, 'loads a native library');
        continue;
      }
      if (PYTHON_MODULES.test(`${ref}`) && parts[0] !== 'torch') {
        add(
          'TORCHSCRIPT_DANGEROUS_OP',
          ref,
          `refers to the Python module ${parts[0]}`,
        );
        continue;
      }
      let nsAt = -1;
      if (parts[0] === 'ops') nsAt = 1;
      else if (parts[0] === 'torch' && parts[1] === 'ops') nsAt = 2;
      if (nsAt > 0 && parts.length > nsAt) {
        const ns = parts[nsAt];
        const op = parts[nsAt + 1] ?? '';
        if (NETWORK_NAMESPACES.has(ns))
          add(
            'TORCHSCRIPT_DANGEROUS_OP',
            ref,
            'is a distributed (network) operator',
          );
        else if ((ns === 'aten' || ns === 'prim') && FILE_OPS.has(op))
          add('TORCHSCRIPT_DANGEROUS_OP', ref, 'reads or writes files');
        else if (!KNOWN_OP_NAMESPACES.has(ns))
          add(
            'TORCHSCRIPT_CUSTOM_OP',
            ref,
            `is an operator of the namespace "${ns}", which PyTorch does not ship`,
          );
        continue;
      }
      let classesAt = -1;
      if (ref.startsWith('__torch__.torch.classes.')) classesAt = 3;
      else if (ref.startsWith('torch.classes.')) classesAt = 2;
      if (classesAt > 0 && parts.length > classesAt) {
        const ns = parts[classesAt];
        if (NETWORK_NAMESPACES.has(ns))
          add(
            'TORCHSCRIPT_DANGEROUS_OP',
            ref,
            'is a distributed (network) class',
          );
        else if (!KNOWN_CLASS_NAMESPACES.has(ns))
          add(
            'TORCHSCRIPT_CUSTOM_OP',
            ref,
            `is a TorchBind class of the namespace "${ns}", which PyTorch does not ship`,
          );
        continue;
      }
      if (parts[0] === 'torch') {
        if (parts.length === 2 && FILE_OPS.has(parts[1]))
          add('TORCHSCRIPT_DANGEROUS_OP', ref, 'reads or writes files');
        else if (['distributed', 'hub', 'multiprocessing'].includes(parts[1]))
          add('TORCHSCRIPT_DANGEROUS_OP', ref, `uses torch.${parts[1]}`);
        else if (parts[1] === 'jit' && ['load', 'save'].includes(parts[2]))
          add('TORCHSCRIPT_DANGEROUS_OP', ref, 'reads or writes files');
      }
    }
    // bare calls of Python primitives TorchScript does not have
    for (const m of line.matchAll(/(?<![\w.])([A-Za-z_]\w*)\s*\(/g)) {
      if (PYTHON_PRIMITIVES.has(m[1]) && !/^\s*def\s/.test(line))
        add(
          'TORCHSCRIPT_DANGEROUS_OP',
          m[1],
          'is a Python primitive that runs code or opens files',
        );
    }
  }
  return issues;
}

/** Whether a member is TorchScript source of an archive the zip scanner recognised. */
export function isTorchScriptSource(
  name: string,
  roots: Iterable<string>,
): boolean {
  if (!/\.py$/.test(name)) return false;
  for (const r of roots) if (name.startsWith(`${r}code/`)) return true;
  return false;
}

/** Scans one TorchScript source member. */
export async function scanTorchScriptSource(
  ctx: FormatScanContext,
): Promise<void> {
  const { source } = ctx;
  if (source.size > TORCHSCRIPT_MAX_SOURCE) {
    ctx.report({
      ruleId: 'TORCHSCRIPT_TOO_LARGE',
      severity: 'medium',
      message: `The TorchScript source is ${source.size} bytes, above the ${TORCHSCRIPT_MAX_SOURCE}-byte analysis bound; it was not analysed.`,
      atlas: [],
    });
    return;
  }
  const text = (await readAll(source, TORCHSCRIPT_MAX_SOURCE)).toString('utf8');
  for (const i of analyzeTorchScriptSource(text)) {
    const where = i.method
      ? `${i.className ? `${i.className}.` : ''}${i.method}`
      : i.className ?? 'module level';
    const atLoad = i.method === '__setstate__';
    const f: Finding = {
      ruleId: i.ruleId,
      severity: i.ruleId === 'TORCHSCRIPT_DANGEROUS_OP' ? 'critical' : 'high',
      message: `TorchScript ${where} calls ${i.reference}, which ${i.why}${
        atLoad
          ? '; __setstate__ runs while torch.jit.load / torch.load loads the file'
          : ''
      }.`,
      location: { path: `${where} (line ${i.line})` },
      cwe: ['CWE-502'],
      atlas:
        i.ruleId === 'TORCHSCRIPT_DANGEROUS_OP'
          ? CODE_EXEC
          : ['AML.T0010.003', 'AML.T0011.000'],
      details: {
        reference: i.reference,
        method: i.method,
        class: i.className,
        runsAtLoad: atLoad,
      },
    };
    ctx.report(f);
  }
}
