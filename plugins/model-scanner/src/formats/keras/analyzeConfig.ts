/**
 * Analysis of a Keras model configuration (Keras 2 `model_config` / `to_json()`, Keras 3
 * `config.json`, `training_config` / `compile_config`) at any depth: Lambda layers (marshalled
 * Python code), module references outside Keras/TensorFlow (CVE-2025-1550), function
 * gadgets (keras.utils.get_file, CVE-2025-8747; enable_unsafe_deserialization,
 * CVE-2025-9905/9906), TorchModuleWrapper (torch.load of embedded bytes, CVE-2025-49655),
 * custom objects, and file/URL references in vocabularies (CVE-2025-12058).
 */
import type { Finding, FormatScanContext, Severity } from '../../types';
import { memorySource } from '../onnx/cachedReader';
import { isJsonObject, JsonObject, JsonValue, walkJson } from '../tokenizerConfig/boundedJson';

export const kerasRules: Record<string, string> = {
  KERAS_LAMBDA_LAYER: 'A Lambda layer stores Python bytecode (or a function reference) that Keras runs when the model is loaded: code execution on load.',
  KERAS_UNSAFE_MODULE: 'The model configuration names a Python module outside Keras/TensorFlow; Keras imports it and calls into it while loading (CVE-2025-1550).',
  KERAS_UNSAFE_FUNCTION: 'The configuration calls a Keras function that downloads files or disables safe mode while loading (CVE-2025-8747, CVE-2025-9905).',
  KERAS_TORCH_MODULE_WRAPPER: 'A TorchModuleWrapper layer embeds a pickled PyTorch module that is unpickled on load (CVE-2025-49655).',
  KERAS_CUSTOM_OBJECT: 'The model needs a custom (non-Keras) class registered by the loading code.',
  KERAS_FILE_REFERENCE: 'A layer reads a file or URL named in the configuration when the model is loaded (CVE-2025-12058).',
  KERAS_CONFIG_INVALID: 'The Keras configuration is malformed or ambiguous (duplicate keys).',
};

const ALLOWED_MODULE = /^(?:keras|keras_core|keras_nlp|keras_hub|keras_cv|tf_keras|tensorflow|tensorflow_[a-z_]+)(?:\.|$)/;
const DANGEROUS_MODULE = /^(?:os|posix|nt|subprocess|builtins|__builtin__|sys|importlib|runpy|pickle|_pickle|cPickle|dill|shutil|socket|pty|ctypes|code|codeop|marshal|types|webbrowser|urllib|urllib2|requests|http|httplib|ftplib|telnetlib|smtplib|pip|setuptools|multiprocessing|asyncio|tempfile|io|_io|pathlib|platform|commands|popen2|operator|functools|pydoc|timeit|cProfile|profile|pdb|bdb|trace|torch|numpy\.f2py)(?:\.|$)/;
const GADGET_FUNCTIONS = new Set([
  'get_file', 'enable_unsafe_deserialization', 'load_model', 'load_weights', 'save_model', 'deserialize_keras_object',
  'exec', 'eval', 'system', 'popen',
  // TensorFlow functions reachable through an allowed "tensorflow.*" module: file I/O, Python callbacks, native libraries
  'read_file', 'write_file', 'GFile', 'py_function', 'numpy_function', 'py_func', 'load_op_library', 'load_library',
  'copy', 'rename', 'remove', 'rmtree', 'delete_file', 'recursive_create_dir',
]);
const FILE_KEYS = new Set(['vocabulary', 'vocabulary_path', 'vocab', 'vocab_path', 'path', 'filepath', 'file_path', 'fname', 'origin', 'url', 'filename', 'merges', 'spm_proto', 'proto', 'checkpoint', 'weights']);
const CODE_NAMES = ['system', 'popen', 'subprocess', 'eval', 'exec', '__import__', 'socket', 'os', 'builtins', 'getattr', 'open', 'compile', 'check_output', 'Popen', 'urlopen', 'b64decode', 'marshal', 'pickle', 'loads', 'remove', 'rmtree', 'chmod'];

const ATLAS_CODE = ['AML.T0011.000', 'AML.T0018.002', 'AML.T0010.003'];

export interface KerasConfigOptions {
  /** path prefix: "model_config" / "config.json" */
  where: string;
  member?: string;
  offset?: number;
  /** scan base64 payloads (TorchModuleWrapper) as nested objects */
  scanNested?: FormatScanContext['scanNested'];
  depth?: number;
  maxDepth?: number;
}

function pathOf(where: string, p: string) {
  if (!p) return where;
  return p.startsWith('[') ? `${where}${p}` : `${where}.${p}`;
}

/** Printable names found in marshalled Python code (co_names, co_consts, strings). */
export function marshalStrings(b64: string): { names: string[]; dangerous: string[] } {
  let bytes: Buffer;
  try {
    bytes = Buffer.from(b64.slice(0, 16 * 1024 * 1024), 'base64');
  } catch {
    return { names: [], dangerous: [] };
  }
  const text = bytes.toString('latin1');
  const names = [...new Set(text.match(/[A-Za-z_][A-Za-z0-9_.\/ -]{1,80}/g) ?? [])].slice(0, 200);
  const dangerous = CODE_NAMES.filter(n => names.some(x => x === n || x.split(/[^A-Za-z0-9_]/).includes(n)));
  return { names, dangerous };
}

/** A base64 string whose bytes are a marshalled code object (type 'c', with or without the ref flag). */
export function isMarshalledCode(v: string): boolean {
  if (v.length < 40 || !/^(?:4w|Yw)[A-Za-z0-9+/=\r\n]+$/.test(v)) return false;
  const head = Buffer.from(v.slice(0, 8), 'base64');
  return head[0] === 0xe3 || head[0] === 0x63;
}

function moduleSeverity(mod: string): Severity | undefined {
  if (ALLOWED_MODULE.test(mod)) return undefined;
  return DANGEROUS_MODULE.test(mod) ? 'critical' : 'high';
}

function looksLikeExternalPath(s: string): boolean {
  return /^(?:[a-z][a-z0-9+.-]*:\/\/|\/|~|[A-Za-z]:[\\/]|\\\\)/i.test(s) || /(?:^|[\\/])\.\.(?:[\\/]|$)/.test(s);
}

export async function analyzeKerasConfig(root: JsonValue, report: (f: Finding) => void, opts: KerasConfigOptions): Promise<void> {
  const seen = new Set<string>();
  const add = (f: Omit<Finding, 'atlas' | 'location'> & { atlas?: string[]; path: string }) => {
    const key = `${f.ruleId}@${f.path}`;
    if (seen.has(key) || seen.size > 500) return;
    seen.add(key);
    const { path, ...rest } = f;
    report({
      atlas: ATLAS_CODE,
      ...rest,
      location: { path: pathOf(opts.where, path), ...(opts.member ? { member: opts.member } : {}), ...(opts.offset !== undefined ? { offset: opts.offset } : {}) },
    });
  };
  const nestedPayloads: Array<{ data: Buffer; path: string }> = [];
  /** paths of reported Lambda layers (their marshalled code is not reported twice) */
  const lambdaPaths = new Set<string>();
  /** __lambda__ objects already reported as the function of their Lambda layer */
  const reportedLambdaFunctions = new Set<JsonValue>();

  for (const node of walkJson(root)) {
    const v = node.value;
    // string values under module-like keys
    if (typeof v === 'string') {
      const k = node.key ?? node.path.replace(/^.*\[(\d+)\]$/, '$1');
      if (node.key && /(?:^|_)module$/.test(k) && k !== 'module' && v) {
        const sev = moduleSeverity(v);
        if (sev) {
          add({ ruleId: 'KERAS_UNSAFE_MODULE', severity: sev, path: node.path, message: `"${k}" names the Python module "${v}", outside Keras/TensorFlow; Keras imports it while loading the model.`, cwe: ['CWE-502', 'CWE-94'], details: { module: v } });
        }
      }
      if (node.key && FILE_KEYS.has(k) && looksLikeExternalPath(v)) {
        add({
          ruleId: 'KERAS_FILE_REFERENCE',
          severity: 'high',
          path: node.path,
          message: `"${k}" points at "${v.slice(0, 200)}", outside the model archive; Keras reads (or downloads) it while loading the model.`,
          cwe: ['CWE-22', 'CWE-73'],
          atlas: ['AML.T0010.003', 'AML.T0025'],
          details: { value: v.slice(0, 500) },
        });
      }
      if (isMarshalledCode(v) && ![...lambdaPaths].some(lp => node.path.startsWith(lp))) {
        const strings = marshalStrings(v);
        add({
          ruleId: 'KERAS_LAMBDA_LAYER',
          severity: 'critical',
          path: node.path,
          message: `"${k}" holds a marshalled Python code object that Keras turns back into a function while loading${strings.dangerous.length ? `; the code references ${strings.dangerous.join(', ')}` : ''}.`,
          cwe: ['CWE-502', 'CWE-94'],
          details: { names: strings.names.slice(0, 40), dangerousNames: strings.dangerous },
        });
      }
      if (/keras\.utils\.get_file|enable_unsafe_deserialization/.test(v)) {
        add({ ruleId: 'KERAS_UNSAFE_FUNCTION', severity: 'critical', path: node.path, message: `The configuration refers to "${v.slice(0, 100)}", a loader gadget (CVE-2025-8747 / CVE-2025-9905).`, cwe: ['CWE-502'] });
      }
      continue;
    }
    if (!isJsonObject(v)) continue;
    const o = v as JsonObject;
    const cls = typeof o.class_name === 'string' ? o.class_name : undefined;
    const mod = typeof o.module === 'string' ? o.module : undefined;
    const reg = typeof o.registered_name === 'string' ? o.registered_name : undefined;
    const cfg = o.config;

    if (mod) {
      const sev = moduleSeverity(mod);
      if (sev) {
        add({
          ruleId: 'KERAS_UNSAFE_MODULE',
          severity: sev,
          path: node.path,
          message: `The object ${cls ? `"${cls}" ` : ''}comes from the Python module "${mod}", outside Keras/TensorFlow; Keras imports it and ${cls === 'function' ? `calls "${typeof cfg === 'string' ? cfg : '?'}"` : 'instantiates it'} while loading (CVE-2025-1550).`,
          cwe: ['CWE-502', 'CWE-94'],
          details: { module: mod, class_name: cls, config: typeof cfg === 'string' ? cfg : undefined },
        });
      }
    }
    const fnName = cls === 'function' && typeof cfg === 'string' ? cfg : undefined;
    if (fnName && GADGET_FUNCTIONS.has(fnName)) {
      add({
        ruleId: 'KERAS_UNSAFE_FUNCTION',
        severity: 'critical',
        path: node.path,
        message: `The configuration calls ${mod ? `${mod}.` : ''}${fnName} while loading; ${fnName === 'get_file' ? 'it downloads an arbitrary file (CVE-2025-8747)' : 'it is a gadget that defeats safe mode or runs code'}.`,
        cwe: ['CWE-502'],
        details: { module: mod, function: fnName },
      });
    }
    if (cls === '__lambda__' && reportedLambdaFunctions.has(o)) continue;
    if (cls === 'Lambda' || reg === 'Lambda' || reg === 'keras.layers.Lambda' || cls === '__lambda__') {
      const c = isJsonObject(cfg) ? (cfg as JsonObject) : {};
      const fn = cls === '__lambda__' ? o : c.function;
      if (fn !== o && isJsonObject(fn)) reportedLambdaFunctions.add(fn);
      lambdaPaths.add(node.path);
      let b64: string | undefined;
      let functionType = typeof c.function_type === 'string' ? c.function_type : undefined;
      if (cls === '__lambda__' && isJsonObject(cfg) && typeof (cfg as JsonObject).code === 'string') b64 = (cfg as JsonObject).code as string;
      else if (Array.isArray(fn) && typeof fn[0] === 'string') b64 = fn[0];
      else if (isJsonObject(fn) && (fn as JsonObject).class_name === '__lambda__' && isJsonObject((fn as JsonObject).config)) {
        const code = ((fn as JsonObject).config as JsonObject).code;
        if (typeof code === 'string') b64 = code;
      } else if (typeof fn === 'string' && functionType === 'lambda') b64 = fn;
      const fnModule = typeof c.module === 'string' ? c.module : undefined;
      let refName: string | undefined;
      if (typeof fn === 'string' && !b64) refName = fn;
      else if (isJsonObject(fn) && typeof (fn as JsonObject).config === 'string') refName = (fn as JsonObject).config as string;
      const strings = b64 ? marshalStrings(b64) : undefined;
      if (b64 || !refName) {
        if (!functionType && b64) functionType = 'lambda';
        add({
          ruleId: 'KERAS_LAMBDA_LAYER',
          severity: 'critical',
          path: node.path,
          message: `Lambda layer${isJsonObject(cfg) && typeof (cfg as JsonObject).name === 'string' ? ` "${(cfg as JsonObject).name}"` : ''} carries marshalled Python bytecode that runs when the model is loaded or called${strings?.dangerous.length ? `; the code references ${strings.dangerous.join(', ')}` : ''}.`,
          cwe: ['CWE-502', 'CWE-94'],
          details: { functionType, names: strings?.names.slice(0, 40), dangerousNames: strings?.dangerous },
        });
      } else {
        const refModule = fnModule ?? (isJsonObject(fn) && typeof (fn as JsonObject).module === 'string' ? ((fn as JsonObject).module as string) : undefined);
        const sev: Severity = refModule && ALLOWED_MODULE.test(refModule) && !GADGET_FUNCTIONS.has(refName) ? 'high' : 'critical';
        add({
          ruleId: 'KERAS_LAMBDA_LAYER',
          severity: sev,
          path: node.path,
          message: `Lambda layer calls the Python function ${refModule ? `${refModule}.` : ''}${refName}, imported and run when the model is loaded.`,
          cwe: ['CWE-502', 'CWE-94'],
          details: { functionType, module: refModule, function: refName },
        });
      }
    }
    if (cls === 'TorchModuleWrapper' || reg?.endsWith('TorchModuleWrapper')) {
      add({
        ruleId: 'KERAS_TORCH_MODULE_WRAPPER',
        severity: 'critical',
        path: node.path,
        message: 'A TorchModuleWrapper layer embeds a pickled PyTorch module that Keras unpickles with torch.load (weights_only=False) when the model is loaded (CVE-2025-49655).',
        cwe: ['CWE-502'],
      });
      const payload = isJsonObject(cfg) ? (cfg as JsonObject).module : undefined;
      if (typeof payload === 'string' && payload.length < 64 * 1024 * 1024) {
        try {
          const data = Buffer.from(payload, 'base64');
          if (data.length > 0) nestedPayloads.push({ data, path: pathOf(opts.where, `${node.path}.config.module`) });
        } catch {
          /* not base64 */
        }
      }
    }
    if (reg && reg.includes('>')) {
      const pkg = reg.split('>')[0];
      if (!ALLOWED_MODULE.test(pkg)) {
        add({
          ruleId: 'KERAS_CUSTOM_OBJECT',
          severity: 'medium',
          path: node.path,
          message: `The model uses the custom object "${reg}"; loading needs code from outside Keras registered under that name.`,
          cwe: ['CWE-502'],
          atlas: ['AML.T0010.003'],
          details: { registered_name: reg, module: mod },
        });
      }
    }
  }
  if (opts.scanNested && (opts.depth ?? 0) < (opts.maxDepth ?? 8)) {
    for (const p of nestedPayloads.slice(0, 16)) await opts.scanNested(memorySource(p.data, `${opts.member ?? opts.where}!/${p.path}`));
  }
}
