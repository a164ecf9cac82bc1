/**
 * Hydra / NeMo instantiation targets in model configurations (`model_config.yaml` inside a `.nemo`
 * tar, Hydra YAML or JSON configs next to a model). `hydra.utils.instantiate` imports the dotted
 * path in every `_target_` and calls it with the sibling keys as arguments, so a config naming
 * `os.system` or `builtins.eval` runs code when the model is restored (CVE-2025-23304 class).
 *
 * Allowlist: targets in the namespaces real NeMo/Lightning models use (NeMo's own classes, torch
 * modules/optimizers/schedulers/datasets, Lightning, Megatron core, transformers classes, OmegaConf)
 * are safe, except known gadgets (loaders and resolvers that reach arbitrary code). Code-execution
 * modules are critical; every other target is high (it imports code the loader's author chose).
 */
import type { FormatScanContext } from '../../types';
import { readAll } from '../../byteSource';

export const HYDRA_MAX_CONFIG = 4 << 20;

export const hydraRules: Record<string, string> = {
  HYDRA_DANGEROUS_TARGET:
    'A _target_ in the model configuration names a code-execution primitive or a loader gadget; hydra.utils.instantiate (NeMo restore_from, Hydra apps) imports and calls it while the model is loaded (CVE-2025-23304).',
  HYDRA_UNKNOWN_TARGET:
    'A _target_ in the model configuration names a Python callable outside the namespaces real NeMo/Lightning models use; instantiating the config imports and calls it.',
};

const ALLOWED =
  /^(?:nemo|nemo_text_processing|nemo_aligner|nemo_skills|nemo_curator|megatron\.core|apex\.(?:normalization|optimizers|transformer)|lightning|pytorch_lightning|lightning_fabric|torchmetrics|omegaconf|transformers|tokenizers|sentencepiece|torch\.(?:nn|optim|utils\.data|distributions|ao\.quantization)|torchaudio\.(?:transforms|models)|torchvision\.(?:transforms|models|datasets)|timm\.(?:models|layers|optim|scheduler)|peft)(?:\.|$)/;
const DANGEROUS =
  /^(?:os|posix|nt|subprocess|builtins|__builtin__|sys|importlib|runpy|pickle|_pickle|cPickle|dill|shutil|socket|pty|ctypes|code|codeop|marshal|types|webbrowser|urllib|urllib2|urllib3|requests|http|httplib|ftplib|smtplib|pip|setuptools|multiprocessing|asyncio|tempfile|io|_io|pathlib|platform|operator|functools|pydoc|timeit|cProfile|profile|pdb|bdb|trace|hydra\.utils|hydra\._internal|omegaconf\.OmegaConf\.(?:load|register_new_resolver)|joblib|numpy\.(?:load|f2py)|torch\.(?:load|hub|jit|package|utils\.cpp_extension|_inductor|compile))(?:\.|$)/;
/** Names that load, fetch or resolve code even inside an allowed namespace. */
const GADGETS =
  /(?:^|\.)(?:load|load_state_dict_from_url|restore_from|load_from_checkpoint|from_pretrained|get_method|get_class|get_object|_locate|instantiate|call|eval|exec|system|popen|register_new_resolver|load_library|load_op_library)$/;

export interface HydraTarget {
  target: string;
  offset: number;
  severity: 'critical' | 'high';
  why: string;
}

/** YAML comments blanked (quote-aware, offsets kept); JSON documents are returned unchanged. */
export function blankYamlComments(text: string): string {
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') return text;
  const out = text.split('');
  let quote: string | undefined;
  for (let i = 0; i < out.length; i++) {
    const c = out[i];
    if (c === '\n') {
      quote = undefined;
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(out[i - 1]))) {
      while (i < out.length && out[i] !== '\n') out[i++] = ' ';
      i--;
    }
  }
  return out.join('');
}

/** Every `_target_` (YAML or JSON, quoted or not) with its verdict; allowed ones are omitted. */
export function analyzeHydraTargets(source: string): HydraTarget[] {
  const text = blankYamlComments(source);
  const out: HydraTarget[] = [];
  const re =
    /(?:^|[\s{,[-])["']?_target_["']?\s*:\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s,}#\]]+))/g;
  const seen = new Set<string>();
  for (const m of text.matchAll(re)) {
    const target = (m[1] ?? m[2] ?? m[3] ?? '').trim();
    if (!target || seen.has(target) || out.length >= 200) continue;
    seen.add(target);
    const offset = (m.index ?? 0) + m[0].indexOf('_target_');
    if (DANGEROUS.test(target))
      out.push({
        target,
        offset,
        severity: 'critical',
        why: 'a code-execution primitive or loader',
      });
    else if (ALLOWED.test(target)) {
      if (GADGETS.test(target))
        out.push(
          /(?:from_pretrained|restore_from|load_from_checkpoint)$/.test(target)
            ? {
                target,
                offset,
                severity: 'high',
                why: 'a loader of another model file or repository (which is not scanned with this one)',
              }
            : {
                target,
                offset,
                severity: 'critical',
                why: 'a loader or resolver that reaches arbitrary code',
              },
        );
    } else if (!/^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*$/.test(target)) {
      // interpolations (${...}) and other computed targets: hydra resolves them first
      out.push({
        target,
        offset,
        severity: 'high',
        why: 'a computed target resolved at load time',
      });
    } else
      out.push({
        target,
        offset,
        severity: 'high',
        why: 'outside the namespaces real models use',
      });
  }
  return out;
}

/** Whether text content may hold Hydra targets worth a full read. */
export function mayHoldHydraTargets(head: string, name: string): boolean {
  return /_target_/.test(head) || /\.(?:ya?ml|json)$/i.test(name);
}

export async function scanHydraConfig(ctx: FormatScanContext): Promise<void> {
  const text = (await readAll(ctx.source, HYDRA_MAX_CONFIG)).toString('utf8');
  if (!text.includes('_target_')) return;
  for (const t of analyzeHydraTargets(text)) {
    ctx.report({
      ruleId:
        t.severity === 'critical'
          ? 'HYDRA_DANGEROUS_TARGET'
          : 'HYDRA_UNKNOWN_TARGET',
      severity: t.severity,
      message: `The configuration's _target_ "${t.target.slice(0, 200)}" is ${
        t.why
      }; instantiating the model config imports and calls it.`,
      location: { offset: t.offset, path: '_target_' },
      cwe: ['CWE-94', 'CWE-502'],
      atlas:
        t.severity === 'critical'
          ? ['AML.T0010.003', 'AML.T0011.000', 'AML.T0018.002']
          : ['AML.T0010.003', 'AML.T0011.000'],
      details: { target: t.target.slice(0, 500) },
    });
  }
}
