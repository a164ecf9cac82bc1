/**
 * Terraform plan JSON (`terraform show -json plan`; also state JSON): the planned state of every
 * managed resource in the root and child modules (count/for_each instances included); resources
 * being destroyed do not count. Links between resources (container → account, private endpoint →
 * account, diagnostic setting → account) come from known values or, when the value is only known
 * after apply, from the configuration's references.
 */
import type { Evidence, KubeItem, SourceLocation, StorageAccountModel } from '../types';
import { UNKNOWN } from '../types';
import { formatPath, PathSeg } from './source';
import { toKubeObject } from './kubernetes';

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface TfResource {
  address: string;
  /** Module path, e.g. `module.storage` or `` for the root. */
  module: string;
  type: string;
  name: string;
  values: Record<string, any>;
  unknown: Record<string, any>;
  location: SourceLocation;
}

export function isTerraformPlan(doc: unknown): boolean {
  return isObj(doc) && (typeof doc.format_version === 'string' || typeof doc.terraform_version === 'string') &&
    (isObj(doc.planned_values) || Array.isArray(doc.resource_changes) || isObj(doc.values));
}

function moduleOf(address: string): string {
  const parts = address.match(/(module\.[^.[]+(\[[^\]]*\])?)/g);
  return parts ? parts.join('.') : '';
}

/** `module.a["x"].module.b[0]` -> `module.a.module.b` (config paths have no instance keys). */
function configModulePath(module: string): string[] {
  return [...module.matchAll(/module\.([^.[]+)/g)].map(m => m[1]);
}

export function terraformResources(plan: Record<string, any>, file: string): TfResource[] {
  const out: TfResource[] = [];
  const deleted = new Set<string>();
  const changes = new Map<string, Record<string, any>>();
  if (Array.isArray(plan.resource_changes)) {
    for (const rc of plan.resource_changes) {
      if (!isObj(rc) || typeof rc.address !== 'string') continue;
      const actions: string[] = Array.isArray(rc.change?.actions) ? rc.change.actions : [];
      if (actions.length > 0 && actions.every(a => a === 'delete' || a === 'forget')) deleted.add(rc.address);
      changes.set(rc.address, rc);
    }
  }
  const rootKey = isObj(plan.planned_values?.root_module) ? 'planned_values' : 'values';
  const root = isObj(plan[rootKey]?.root_module) ? plan[rootKey].root_module : undefined;
  const walk = (mod: Record<string, any>, pointer: PathSeg[]) => {
    if (Array.isArray(mod.resources)) {
      mod.resources.forEach((r: any, i: number) => {
        if (!isObj(r) || r.mode === 'data' || typeof r.type !== 'string') return;
        const address = String(r.address ?? `${r.type}.${r.name}`);
        if (deleted.has(address)) return;
        const change = changes.get(address);
        out.push({
          address,
          module: moduleOf(address),
          type: r.type,
          name: String(r.name ?? ''),
          values: isObj(r.values) ? r.values : {},
          unknown: isObj(change?.change?.after_unknown) ? change!.change.after_unknown : {},
          location: { file, pointer: formatPath([...pointer, 'resources', i]) },
        });
      });
    }
    if (Array.isArray(mod.child_modules)) {
      mod.child_modules.forEach((c: any, i: number) => isObj(c) && walk(c, [...pointer, 'child_modules', i]));
    }
  };
  if (root) {
    walk(root, [rootKey, 'root_module']);
  } else if (Array.isArray(plan.resource_changes)) {
    plan.resource_changes.forEach((rc: any, i: number) => {
      if (!isObj(rc) || rc.mode === 'data' || deleted.has(rc.address)) return;
      const after = rc.change?.after;
      if (!isObj(after)) return;
      out.push({
        address: String(rc.address),
        module: moduleOf(String(rc.address)),
        type: String(rc.type),
        name: String(rc.name ?? ''),
        values: after,
        unknown: isObj(rc.change?.after_unknown) ? rc.change.after_unknown : {},
        location: { file, pointer: formatPath(['resource_changes', i, 'change', 'after']) },
      });
    });
  }
  return out;
}

/** Configuration block of a resource (for references), found by module path and resource address. */
function configResource(plan: Record<string, any>, r: TfResource): Record<string, any> | undefined {
  let mod = plan.configuration?.root_module;
  for (const m of configModulePath(r.module)) mod = mod?.module_calls?.[m]?.module;
  if (!isObj(mod) || !Array.isArray(mod.resources)) return undefined;
  const local = `${r.type}.${r.name}`;
  return mod.resources.find((c: any) => c?.address === local && c?.mode !== 'data');
}

function collectRefs(expr: unknown, out: string[]): void {
  if (Array.isArray(expr)) expr.forEach(e => collectRefs(e, out));
  else if (isObj(expr)) {
    if (Array.isArray(expr.references)) out.push(...expr.references.map(String));
    for (const [k, v] of Object.entries(expr)) if (k !== 'references') collectRefs(v, out);
  }
}

/** References of an attribute expression (e.g. `private_service_connection`), module-qualified. */
function refsOf(plan: Record<string, any>, r: TfResource, attribute: string): string[] {
  const cfg = configResource(plan, r);
  const refs: string[] = [];
  collectRefs(cfg?.expressions?.[attribute], refs);
  const prefix = configModulePath(r.module).map(m => `module.${m}.`).join('');
  const out: string[] = [];
  for (const ref of refs) {
    const m = /^module\.([^.[]+)(?:\[[^\]]*\])?\.([^.[]+)/.exec(ref);
    if (m) {
      // module output: follow the output's own references one level down
      let mod = plan.configuration?.root_module;
      for (const p of configModulePath(r.module)) mod = mod?.module_calls?.[p]?.module;
      const inner = mod?.module_calls?.[m[1]]?.module;
      const outRefs: string[] = [];
      collectRefs(inner?.outputs?.[m[2]]?.expression, outRefs);
      for (const o of outRefs) out.push(`${prefix}module.${m[1]}.${o}`);
    } else out.push(prefix + ref);
  }
  return out;
}

function configAddress(r: TfResource): string {
  return `${configModulePath(r.module).map(m => `module.${m}.`).join('')}${r.type}.${r.name}`;
}

function refersTo(refs: string[], target: TfResource): boolean {
  const addr = configAddress(target);
  return refs.some(ref => ref === addr || ref.startsWith(`${addr}.`) || ref.startsWith(`${addr}[`));
}

/** `public_network_access_enabled` in ARM terms: false is Disabled, a written true Enabled, absent the default. */
function publicNetworkAccessValue(pna: Evidence<boolean>): Evidence<string>['value'] {
  if (pna.value === UNKNOWN) return UNKNOWN;
  if (pna.value === false) return 'Disabled';
  return pna.present ? 'Enabled' : undefined;
}

/** The account's key source from its `customer_managed_key` block: a key id means Key Vault, a block without one is not known yet. */
function keySourceOf(cmk: Record<string, any> | undefined): Evidence<string> {
  if (!cmk) return { present: false, value: undefined, path: 'customer_managed_key' };
  const keyId = cmk.key_vault_key_id || cmk.managed_hsm_key_id;
  return keyId
    ? { present: true, value: 'Microsoft.Keyvault', raw: cmk.key_vault_key_id ?? cmk.managed_hsm_key_id, path: 'customer_managed_key[0].key_vault_key_id' }
    : { present: true, value: UNKNOWN, path: 'customer_managed_key[0].key_vault_key_id' };
}

const CONTAINER_ACCESS: Record<string, string> = { private: 'None', blob: 'Blob', container: 'Container' };

/** `container_access_type` in ARM terms (`private` is None); any other text is kept as written. */
function containerPublicAccess(raw: string | typeof UNKNOWN | undefined): Evidence<string>['value'] {
  if (raw === UNKNOWN || raw === undefined) return raw;
  return CONTAINER_ACCESS[raw.toLowerCase()] ?? raw;
}

function firstBlock(v: unknown): Record<string, any> | undefined {
  if (Array.isArray(v)) return isObj(v[0]) ? v[0] : undefined;
  return isObj(v) ? v : undefined;
}

function attr<T>(r: TfResource, name: string, norm: (v: unknown) => T | undefined, location?: SourceLocation): Evidence<T> {
  if (name in r.values && r.values[name] !== null) return { present: true, value: norm(r.values[name]), raw: r.values[name], path: name, location };
  if (r.unknown[name] === true) return { present: true, value: UNKNOWN, path: name, location };
  return { present: false, value: undefined, path: name, location };
}

const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
const string = (v: unknown) => (typeof v === 'string' ? v : undefined);

function linked(plan: Record<string, any>, r: TfResource, account: TfResource, idAttrs: string[], nameAttrs: string[]): boolean {
  const accountName = typeof account.values.name === 'string' ? account.values.name : undefined;
  const accountId = typeof account.values.id === 'string' ? account.values.id : undefined;
  for (const a of idAttrs) {
    const v = r.values[a];
    if (typeof v === 'string' && accountId && v.toLowerCase().startsWith(accountId.toLowerCase())) return true;
    if (typeof v === 'string' && accountName && new RegExp(`/storageAccounts/${accountName}(/|$)`, 'i').test(v)) return true;
  }
  for (const a of nameAttrs) {
    const v = r.values[a];
    if (typeof v === 'string' && accountName && v.toLowerCase() === accountName.toLowerCase()) return true;
  }
  return [...idAttrs, ...nameAttrs].some(a => refersTo(refsOf(plan, r, a), account));
}

export function storageAccountsFromTerraform(plan: Record<string, any>, resources: TfResource[]): StorageAccountModel[] {
  const accounts = resources.filter(r => r.type === 'azurerm_storage_account');
  const findAccount = (r: TfResource, idAttrs: string[], nameAttrs: string[]): TfResource | undefined => {
    const hit = accounts.find(a => linked(plan, r, a, idAttrs, nameAttrs));
    if (hit) return hit;
    // Same module, and the only account there: the reference could not be followed (computed).
    const sameModule = accounts.filter(a => a.module === r.module);
    const anyKnown = [...idAttrs, ...nameAttrs].some(k => typeof r.values[k] === 'string');
    return !anyKnown && sameModule.length === 1 ? sameModule[0] : undefined;
  };
  const models = new Map<TfResource, StorageAccountModel>();
  for (const a of accounts) {
    const v = a.values;
    const name = typeof v.name === 'string' ? v.name : a.address;
    const tags: Record<string, string> = {};
    if (isObj(v.tags)) for (const [k, t] of Object.entries(v.tags)) if (typeof t === 'string') tags[k] = t;
    const pna = attr(a, 'public_network_access_enabled', bool);
    // azurerm 3.x names it allow_nested_items_to_be_public, 2.x allow_blob_public_access
    const nested = !('allow_nested_items_to_be_public' in a.values) && 'allow_blob_public_access' in a.values ? 'allow_blob_public_access' : 'allow_nested_items_to_be_public';
    const anon = attr(a, nested, bool);
    const blobProps = firstBlock(v.blob_properties);
    const netRules = firstBlock(v.network_rules);
    const cmk = firstBlock(v.customer_managed_key);
    const model: StorageAccountModel = {
      id: typeof v.id === 'string' ? v.id : a.address,
      name,
      resourceGroup: typeof v.resource_group_name === 'string' ? v.resource_group_name : undefined,
      tags,
      location: a.location,
      publicNetworkAccess: { ...pna, value: publicNetworkAccessValue(pna) },
      allowBlobPublicAccess: anon,
      allowSharedKeyAccess: attr(a, 'shared_access_key_enabled', bool),
      minimumTlsVersion: attr(a, 'min_tls_version', string),
      networkDefaultAction: netRules && 'default_action' in netRules
        ? { present: true, value: string(netRules.default_action), path: 'network_rules[0].default_action' }
        : { present: false, value: undefined, path: 'network_rules[0].default_action' },
      keySource: keySourceOf(cmk),
      blobSoftDelete: softDelete(blobProps, 'delete_retention_policy'),
      containerSoftDelete: softDelete(blobProps, 'container_delete_retention_policy'),
      containers: [],
      privateEndpointConnections: [],
      diagnosticSettings: [],
    };
    models.set(a, model);
  }
  if (models.size === 0) return [];
  for (const r of resources) {
    switch (r.type) {
      case 'azurerm_storage_account_network_rules': {
        const a = findAccount(r, ['storage_account_id'], ['storage_account_name']);
        if (!a) break;
        const m = models.get(a)!;
        m.networkDefaultAction = { present: 'default_action' in r.values, value: string(r.values.default_action), path: 'default_action', location: r.location };
        break;
      }
      case 'azurerm_storage_account_customer_managed_key': {
        const a = findAccount(r, ['storage_account_id'], []);
        if (!a) break;
        models.get(a)!.keySource = { present: true, value: 'Microsoft.Keyvault', raw: r.values.key_name ?? r.values.key_vault_key_id, path: 'key_vault_key_id', location: r.location };
        break;
      }
      case 'azurerm_storage_container': {
        const a = findAccount(r, ['storage_account_id'], ['storage_account_name']);
        if (!a) break;
        const e = attr(r, 'container_access_type', string, r.location);
        const raw = e.value;
        const value = containerPublicAccess(raw);
        models.get(a)!.containers.push({ name: typeof r.values.name === 'string' ? r.values.name : r.address, publicAccess: { ...e, value, raw }, location: r.location });
        break;
      }
      case 'azurerm_private_endpoint': {
        const conns = Array.isArray(r.values.private_service_connection) ? r.values.private_service_connection : [];
        conns.forEach((c: any, i: number) => {
          if (!isObj(c)) return;
          const subs = Array.isArray(c.subresource_names) ? c.subresource_names : [];
          if (subs.length > 0 && !subs.some((s: unknown) => typeof s === 'string' && /^blob/i.test(s))) return;
          const target = c.private_connection_resource_id;
          let a: TfResource | undefined;
          if (typeof target === 'string') a = accounts.find(x => (typeof x.values.id === 'string' && x.values.id.toLowerCase() === target.toLowerCase()) || (typeof x.values.name === 'string' && new RegExp(`/storageAccounts/${x.values.name}$`, 'i').test(target)));
          if (!a) {
            const refs = refsOf(plan, r, 'private_service_connection');
            a = accounts.find(x => refersTo(refs, x));
          }
          if (!a) return;
          models.get(a)!.privateEndpointConnections.push({
            name: `${r.address}/${String(c.name ?? i)}`,
            status: c.is_manual_connection === true ? 'Pending' : 'Approved',
            path: `private_service_connection[${i}].is_manual_connection`,
            location: r.location,
          });
        });
        break;
      }
      case 'azurerm_monitor_diagnostic_setting': {
        const target = r.values.target_resource_id;
        let a: TfResource | undefined;
        let kind: 'blob' | 'account' | 'other' | 'unknown' = 'unknown';
        if (typeof target === 'string') {
          if (/blobServices/i.test(target)) kind = 'blob';
          else if (/(queue|table|file)Services/i.test(target)) kind = 'other';
          else kind = /storageAccounts\/[^/]+$/i.test(target) ? 'account' : 'other';
          a = accounts.find(x => (typeof x.values.id === 'string' && target.toLowerCase().startsWith(x.values.id.toLowerCase())) || (typeof x.values.name === 'string' && new RegExp(`/storageAccounts/${x.values.name}(/|$)`, 'i').test(target)));
        } else {
          const refs = refsOf(plan, r, 'target_resource_id');
          a = accounts.find(x => refersTo(refs, x));
        }
        if (!a) break;
        const logs: { category?: string; categoryGroup?: string; enabled: boolean }[] = [];
        let field = 'enabled_log';
        if (Array.isArray(r.values.enabled_log)) {
          for (const l of r.values.enabled_log) if (isObj(l)) logs.push({ category: string(l.category), categoryGroup: string(l.category_group), enabled: true });
        }
        if (Array.isArray(r.values.log)) {
          if (logs.length === 0) field = 'log';
          for (const l of r.values.log) if (isObj(l)) logs.push({ category: string(l.category), categoryGroup: string(l.category_group), enabled: l.enabled !== false });
        }
        models.get(a)!.diagnosticSettings.push({ name: typeof r.values.name === 'string' ? r.values.name : r.address, target: kind, logs, path: field, location: r.location });
        break;
      }
      default:
        break;
    }
  }
  return [...models.values()];
}

function softDelete(blobProps: Record<string, any> | undefined, block: string): Evidence<boolean> {
  const path = `blob_properties[0].${block}`;
  if (!blobProps) return { present: false, value: undefined, path: 'blob_properties' };
  const b = firstBlock(blobProps[block]);
  if (!b) return { present: false, value: undefined, path };
  const days = b.days;
  return { present: true, value: days === undefined || days === null || Number(days) > 0, raw: days ?? b, path: `${path}[0].days` };
}

// ---------------------------------------------------------------- kubernetes_* resources

const TF_KIND: Record<string, string> = {
  namespace: 'Namespace', network_policy: 'NetworkPolicy', pod: 'Pod', deployment: 'Deployment',
  stateful_set: 'StatefulSet', daemonset: 'DaemonSet', daemon_set: 'DaemonSet', replication_controller: 'ReplicationController',
  job: 'Job', cron_job: 'CronJob', role: 'Role', cluster_role: 'ClusterRole', role_binding: 'RoleBinding',
  cluster_role_binding: 'ClusterRoleBinding', runtime_class: 'RuntimeClass', persistent_volume_claim: 'PersistentVolumeClaim',
  persistent_volume: 'PersistentVolume', service_account: 'ServiceAccount', pod_security_policy: 'PodSecurityPolicy',
};

/** Nested blocks that are lists in Kubernetes (and their Kubernetes field names). */
const LIST_BLOCKS: Record<string, string> = {
  container: 'containers', init_container: 'initContainers', ephemeral_container: 'ephemeralContainers', volume: 'volumes',
  rule: 'rules', subject: 'subjects', egress: 'egress', ingress: 'ingress', to: 'to', from: 'from', port: 'ports',
  env: 'env', env_from: 'envFrom', ports: 'ports', volume_mount: 'volumeMounts', volume_device: 'volumeDevices', match_expressions: 'matchExpressions', toleration: 'tolerations',
  host_aliases: 'hostAliases', image_pull_secrets: 'imagePullSecrets', topology_spread_constraint: 'topologySpreadConstraints',
};

const RENAMES: Record<string, string> = {
  host_pid: 'hostPID', host_ipc: 'hostIPC', api_groups: 'apiGroups', resource_names: 'resourceNames', non_resource_urls: 'nonResourceURLs',
  policy_types: 'policyTypes', run_as_non_root: 'runAsNonRoot', run_as_user: 'runAsUser', ip_block: 'ipBlock',
};

function camel(k: string): string {
  if (RENAMES[k]) return RENAMES[k];
  return k.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());
}

/** Free-form maps whose keys must not be renamed. */
const MAPS = new Set(['labels', 'annotations', 'match_labels', 'node_selector', 'data', 'selector_labels']);

function convert(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const isBlockList = value.every(isObj);
    if (isBlockList && key !== undefined && !LIST_BLOCKS[key] && value.length <= 1) {
      return value.length === 0 ? undefined : convert(value[0]);
    }
    return value.map(v => convert(v));
  }
  if (!isObj(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (MAPS.has(k)) {
      out[camel(k)] = v;
      continue;
    }
    const name = LIST_BLOCKS[k] ?? camel(k);
    const c = convert(v, k);
    if (c === undefined) continue;
    out[name] = c;
  }
  return out;
}

export function kubeItemsFromTerraform(resources: TfResource[]): KubeItem[] {
  const out: KubeItem[] = [];
  for (const r of resources) {
    if (r.type === 'kubernetes_manifest') {
      const m = r.values.manifest ?? r.values.object;
      if (isObj(m) && typeof m.kind === 'string') out.push({ object: toKubeObject(m), location: r.location });
      continue;
    }
    const m = /^kubernetes_(.+?)(_v\d+(?:beta\d+)?)?$/.exec(r.type);
    if (!m) continue;
    const kind = TF_KIND[m[1]];
    if (!kind) continue;
    const obj = convert(r.values) as Record<string, any>;
    delete obj.id;
    delete obj.waitForRollout;
    out.push({ object: toKubeObject({ apiVersion: 'v1', kind, ...obj }), location: r.location });
  }
  return out;
}

// ---------------------------------------------------------------- azapi_resource (ARM bodies)

/**
 * `azapi_resource` entries whose type is a Microsoft.Storage / Microsoft.Insights /
 * Microsoft.Network resource, as ARM resources (`type@apiVersion`, `body` object or JSON string,
 * `parent_id` naming the parent) for the ARM storage model.
 */
export function armResourcesFromAzapi(resources: TfResource[]): { type: string; name: string; properties: Record<string, any>; tags: Record<string, unknown>; scope?: unknown; file: string; pointer: string; raw: Record<string, any> }[] {
  const out = [];
  const azapi = resources.filter(r => r.type === 'azapi_resource' && typeof r.values.type === 'string');
  const accounts = azapi.filter(r => /^Microsoft\.Storage\/storageAccounts@/i.test(r.values.type));
  for (const r of azapi) {
    const type = String(r.values.type).split('@')[0];
    let body: any = r.values.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        body = {};
      }
    }
    if (!isObj(body)) body = {};
    const own = typeof r.values.name === 'string' ? r.values.name : r.address;
    const depth = type.split('/').length - 2; // child levels below storageAccounts
    let name = own;
    if (depth > 0 && /^Microsoft\.Storage\/storageAccounts\//i.test(type)) {
      const parent = typeof r.values.parent_id === 'string' ? r.values.parent_id : undefined;
      const m = parent ? /storageAccounts\/([^/]+)(?:\/blobServices\/([^/]+))?/i.exec(parent) : undefined;
      const account = m?.[1] ?? (accounts.length === 1 ? String(accounts[0].values.name) : undefined);
      if (!account) continue;
      name = depth === 1 ? `${account}/${own}` : `${account}/${m?.[2] ?? 'default'}/${own}`;
    }
    out.push({
      type,
      name,
      properties: isObj(body.properties) ? body.properties : {},
      tags: [r.values.tags, body.tags].find(isObj) ?? {},
      scope: type.toLowerCase() === 'microsoft.insights/diagnosticsettings' ? r.values.parent_id : undefined,
      file: r.location.file,
      pointer: r.location.pointer ?? '',
      raw: r.values,
    });
  }
  return out;
}
