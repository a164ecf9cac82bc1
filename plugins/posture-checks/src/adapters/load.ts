/**
 * Loads a project from files and folders: every file given forms one project (one set of
 * namespaces, one template set, one plan). Explicitly named files must be recognized IaC or the
 * run fails; in folders, files that are not IaC (package.json, Helm values, workflows) are skipped
 * and listed. Unreadable or malformed files are errors naming the file.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { KubeItem, PostureProject, SourceLocation, StorageAccountModel } from '../types';
import { parseKubeYaml, flattenKube, looksLikeKubeObject, ParseError } from './kubernetes';
import { expandTemplate, isArmParameters, isArmTemplate, parametersFromFile, ArmResource } from './arm/template';
import { storageAccountsFromArm } from './arm/storageModel';
import { armResourcesFromAzapi, isTerraformPlan, kubeItemsFromTerraform, storageAccountsFromTerraform, terraformResources } from './terraform';
import { jsonLines, stripJsonComments } from './source';
import { isClusterScoped } from '../checks/kubeIndex';

export type FileKind = 'kubernetes' | 'arm-template' | 'arm-parameters' | 'terraform-plan';

export interface FileReport {
  file: string;
  kind: FileKind | 'skipped';
  objects: number;
  reason?: string;
}

export interface LoadError {
  file: string;
  message: string;
  line?: number;
}

export interface LoadResult {
  project: PostureProject;
  files: FileReport[];
  errors: LoadError[];
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const SKIP_DIRS = new Set(['node_modules', '.git', '.terraform', 'dist', 'dist-types', '.github']);
const MAX_FILE_BYTES = 64 * 1024 * 1024;

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) await walk(p, out);
    } else if (e.isFile() && EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(p);
  }
}

interface Input {
  file: string;
  explicit: boolean;
}

interface ParsedJson {
  file: string;
  text: string;
  doc: unknown;
  explicit: boolean;
}

/** Expands the arguments into files; a missing path is an error. */
export async function listInputs(paths: string[], errors: LoadError[]): Promise<Input[]> {
  const out: Input[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await fsp.stat(p);
    } catch (e) {
      errors.push({ file: p, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    if (st.isDirectory()) {
      const files: string[] = [];
      try {
        await walk(p, files);
      } catch (e) {
        errors.push({ file: p, message: `cannot list folder: ${(e as Error).message}` });
        continue;
      }
      out.push(...files.map(f => ({ file: f, explicit: false })));
    } else out.push({ file: p, explicit: true });
  }
  return out;
}

/**
 * Kustomization files are build instructions, not objects: they are dropped, and their
 * `namespace:` is applied (as `kustomize build` does) to the namespaced objects without a
 * namespace from the files they list (or their folder when they list none).
 */
export function applyKustomizations(kube: KubeItem[]): void {
  const isKustomize = (k: KubeItem) => (k.object.kind === 'Kustomization' || k.object.kind === 'Component') && String(k.object.apiVersion ?? '').startsWith('kustomize.config.k8s.io');
  const kustomizations = kube.filter(isKustomize);
  if (kustomizations.length === 0) return;
  for (const k of kustomizations) {
    const ns = (k.object as any).namespace;
    if (typeof ns !== 'string' || !ns || !k.location) continue;
    const dir = path.dirname(k.location.file);
    const listed = Array.isArray((k.object as any).resources) ? ((k.object as any).resources as unknown[]).filter((r): r is string => typeof r === 'string').map(r => path.join(dir, r)) : undefined;
    for (const item of kube) {
      if (!item.location || item.object.metadata.namespace || item.object.kind === 'Kustomization') continue;
      const file = item.location.file;
      const covered = listed ? listed.some(l => file === l || file.startsWith(`${l}${path.sep}`)) : path.dirname(file) === dir;
      if (covered && !isClusterScoped(item.object.kind)) item.object.metadata.namespace = ns;
    }
  }
  for (let i = kube.length - 1; i >= 0; i--) {
    if (isKustomize(kube[i])) kube.splice(i, 1);
  }
}

export interface LoadOptions {
  /** How file names appear in locations (default: relative to the current directory). */
  displayName?(file: string): string;
}

export async function loadProject(paths: string[], options: LoadOptions = {}): Promise<LoadResult> {
  const errors: LoadError[] = [];
  const files: FileReport[] = [];
  const display = options.displayName ?? ((f: string) => path.relative(process.cwd(), f) || f);
  const inputs = await listInputs(paths, errors);
  const kube: KubeItem[] = [];
  const accounts: StorageAccountModel[] = [];
  const templates: ParsedJson[] = [];
  const parameterFiles: ParsedJson[] = [];
  const plans: ParsedJson[] = [];
  const jsonTexts = new Map<string, string>();

  for (const input of inputs) {
    const name = display(input.file);
    let text: string;
    try {
      const st = await fsp.stat(input.file);
      if (st.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
      text = await fsp.readFile(input.file, 'utf8');
    } catch (e) {
      errors.push({ file: name, message: `cannot read: ${(e as Error).message}` });
      continue;
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const ext = path.extname(input.file).toLowerCase();
    const trimmed = text.trimStart();
    const isJson = ext === '.json' || ((trimmed.startsWith('{') || trimmed.startsWith('[')) && ext !== '.yaml' && ext !== '.yml');
    if (isJson) {
      let doc: unknown;
      try {
        try {
          doc = JSON.parse(text);
        } catch (first) {
          // ARM templates may carry comments and trailing commas
          const stripped = stripJsonComments(text);
          if (stripped === text) throw first;
          doc = JSON.parse(stripped);
          text = stripped;
        }
      } catch (e) {
        if (input.explicit || !trimmed) {
          errors.push({ file: name, message: trimmed ? `malformed JSON: ${(e as Error).message}` : 'empty file' });
        } else {
          errors.push({ file: name, message: `malformed JSON: ${(e as Error).message}` });
        }
        continue;
      }
      jsonTexts.set(name, text);
      const parsed = { file: name, text, doc, explicit: input.explicit };
      if (isTerraformPlan(doc)) plans.push(parsed);
      else if (isArmTemplate(doc)) templates.push(parsed);
      else if (isArmParameters(doc)) parameterFiles.push(parsed);
      else if (Array.isArray(doc) && doc.length > 0 && doc.every(looksLikeKubeObject)) {
        const items = doc.flatMap((d, i) => flattenKube(d, name, undefined, `[${i}]`));
        const lines = jsonLines(text, new Set(items.map(i => i.location?.pointer).filter((p): p is string => !!p)));
        for (const i of items) if (i.location?.pointer) i.location.line = lines.get(i.location.pointer);
        kube.push(...items);
        files.push({ file: name, kind: 'kubernetes', objects: items.length });
      } else if (looksLikeKubeObject(doc)) {
        const items = flattenKube(doc, name, 1, '');
        const wanted = new Set(items.map(i => i.location?.pointer).filter((p): p is string => !!p));
        const lines = jsonLines(text, wanted);
        for (const i of items) if (i.location?.pointer) i.location.line = lines.get(i.location.pointer) ?? i.location.line;
        kube.push(...items);
        files.push({ file: name, kind: 'kubernetes', objects: items.length });
      } else if (input.explicit) {
        errors.push({ file: name, message: 'not a Kubernetes manifest, ARM/Bicep template, ARM parameters file or Terraform plan JSON' });
      } else files.push({ file: name, kind: 'skipped', objects: 0, reason: 'JSON that is not infrastructure code' });
      continue;
    }
    // YAML
    try {
      const r = parseKubeYaml(text, name);
      if (r.items.length === 0) {
        if (input.explicit) errors.push({ file: name, message: r.documents === 0 ? 'empty file: no Kubernetes objects' : 'no Kubernetes objects (documents need apiVersion and kind)' });
        else files.push({ file: name, kind: 'skipped', objects: 0, reason: 'YAML without Kubernetes objects' });
        continue;
      }
      kube.push(...r.items);
      files.push({ file: name, kind: 'kubernetes', objects: r.items.length });
    } catch (e) {
      const line = e instanceof ParseError ? e.line : undefined;
      if (!input.explicit && /\{\{/.test(text)) {
        files.push({ file: name, kind: 'skipped', objects: 0, reason: 'unrendered template ({{ }}): render it first (helm template)' });
        continue;
      }
      errors.push({ file: name, message: (e as Error).message, line });
    }
  }

  applyKustomizations(kube);

  // ARM: one template set; a parameters file applies to the template of the same base name,
  // or to every template when its name matches none.
  const params = parameterFiles.map(p => ({ ...p, values: parametersFromFile(p.doc) }));
  const paramFor = (t: ParsedJson) => {
    const base = t.file.replace(/\.json$/i, '');
    const own = params.find(p => p.file.replace(/\.parameters\.json$/i, '').replace(/\.json$/i, '') === base || p.file === `${base}.parameters.json`);
    if (own) return own.values;
    const unpaired = params.filter(p => !templates.some(x => p.file.replace(/\.parameters\.json$/i, '') === x.file.replace(/\.json$/i, '')));
    return Object.assign({}, ...unpaired.map(p => p.values));
  };
  for (const p of parameterFiles) files.push({ file: p.file, kind: 'arm-parameters', objects: Object.keys(parametersFromFile(p.doc)).length });
  const linkedFiles = new Set<string>();
  const armResources: ArmResource[] = [];
  const templateByFile = new Map(templates.map(t => [t.file, t]));
  for (const t of templates) {
    const resources = expandTemplate(t.doc, paramFor(t), {
      file: t.file,
      loadLinked: (rel, from) => {
        const target = path.join(path.dirname(from), rel);
        linkedFiles.add(target);
        const known = templateByFile.get(target);
        if (known) return { file: target, template: known.doc };
        return undefined;
      },
    });
    armResources.push(...resources.map(r => ({ ...r, origin: t.file }) as ArmResource & { origin: string }));
    files.push({ file: t.file, kind: 'arm-template', objects: resources.length });
  }
  // A template deployed through another one's templateLink counts once, as part of its parent.
  const kept = armResources.filter(r => !linkedFiles.has((r as ArmResource & { origin: string }).origin));
  accounts.push(...storageAccountsFromArm(kept));

  for (const p of plans) {
    const resources = terraformResources(p.doc as Record<string, any>, p.file);
    accounts.push(...storageAccountsFromTerraform(p.doc as Record<string, any>, resources));
    accounts.push(...storageAccountsFromArm(armResourcesFromAzapi(resources)));
    kube.push(...kubeItemsFromTerraform(resources));
    files.push({ file: p.file, kind: 'terraform-plan', objects: resources.length });
  }

  // Lines for JSON-located objects, one scan per file.
  const locations: SourceLocation[] = [];
  for (const a of accounts) {
    for (const l of [a.location, a.blobSoftDelete.location, a.containerSoftDelete.location, a.publicNetworkAccess.location, a.networkDefaultAction.location, a.keySource.location,
      ...a.containers.map(c => c.location), ...a.privateEndpointConnections.map(c => c.location), ...a.diagnosticSettings.map(d => d.location)]) {
      if (l) locations.push(l);
    }
  }
  for (const k of kube) if (k.location && k.location.line === undefined) locations.push(k.location);
  const byFile = new Map<string, SourceLocation[]>();
  for (const l of locations) {
    if (l.line !== undefined || !l.pointer || !jsonTexts.has(l.file)) continue;
    const list = byFile.get(l.file) ?? [];
    list.push(l);
    byFile.set(l.file, list);
  }
  for (const [file, list] of byFile) {
    const lines = jsonLines(jsonTexts.get(file)!, new Set(list.map(l => l.pointer!)));
    for (const l of list) l.line = lines.get(l.pointer!);
  }

  return { project: { storageAccounts: accounts, kubernetes: kube }, files, errors };
}
