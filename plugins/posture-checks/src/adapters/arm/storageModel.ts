/**
 * Builds storage-account models from expanded ARM resources: the account, its blob service,
 * containers, private endpoint connections (child resources, inline, or Microsoft.Network
 * private endpoints pointing at it) and diagnostic settings (child `providers/diagnosticSettings`
 * or extension `Microsoft.Insights/diagnosticSettings` with a scope).
 */
import {
  Evidence,
  SourceLocation,
  StorageAccountModel,
  UNKNOWN,
} from '../../types';
import type { ArmResource } from './template';

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ci(o: unknown, key: string): { found: boolean; value: unknown; key: string } {
  if (!isObj(o)) return { found: false, value: undefined, key };
  if (key in o) return { found: true, value: o[key], key };
  const k = Object.keys(o).find(x => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? { found: false, value: undefined, key } : { found: true, value: o[k], key: k };
}

/** Reads `a.b.c` case-insensitively and reports the exact path as written. */
export function readPath(root: unknown, path: string[], prefix: string): { present: boolean; value: unknown; path: string } {
  let cur: unknown = root;
  const parts: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const r = ci(cur, path[i]);
    parts.push(r.key);
    if (!r.found || r.value === null) {
      return { present: false, value: undefined, path: [prefix, ...parts, ...path.slice(i + 1)].filter(Boolean).join('.') };
    }
    cur = r.value;
  }
  return { present: true, value: cur, path: [prefix, ...parts].filter(Boolean).join('.') };
}

function normBool(v: unknown): boolean | typeof UNKNOWN | undefined {
  if (v === UNKNOWN) return UNKNOWN;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (v.toLowerCase() === 'true') return true;
    if (v.toLowerCase() === 'false') return false;
    return UNKNOWN;
  }
  return v === undefined ? undefined : UNKNOWN;
}

function normString(v: unknown): string | typeof UNKNOWN | undefined {
  if (v === UNKNOWN) return UNKNOWN;
  if (typeof v === 'string') return v;
  return v === undefined ? undefined : UNKNOWN;
}

function evidence<T>(root: unknown, path: string[], prefix: string, norm: (v: unknown) => T | typeof UNKNOWN | undefined, location?: SourceLocation): Evidence<T> {
  const r = readPath(root, path, prefix);
  return { present: r.present, value: r.present ? norm(r.value) : undefined, path: r.path, location };
}

function loc(r: ArmResource): SourceLocation {
  return { file: r.file, pointer: r.pointer };
}

function lowerType(r: ArmResource): string {
  return r.type.toLowerCase();
}

/** Storage account name in a resource id or scope path (`.../storageAccounts/<name>/...`). */
export function accountNameFromId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  const m = /storageAccounts\/([^/]+)/i.exec(id);
  return m ? m[1] : undefined;
}

function subscriptionOf(id: string): { sub?: string; rg?: string } {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)/i.exec(id);
  return m ? { sub: m[1], rg: m[2] } : {};
}

export function storageAccountsFromArm(resources: ArmResource[], defaults: { subscriptionId?: string; resourceGroup?: string } = {}): StorageAccountModel[] {
  const accounts = new Map<string, StorageAccountModel>();
  const byName = (name: string | undefined) => (name === undefined ? undefined : accounts.get(name.toLowerCase()));
  for (const r of resources) {
    if (lowerType(r) !== 'microsoft.storage/storageaccounts') continue;
    const p = r.properties;
    const l = loc(r);
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.tags ?? {})) if (typeof v === 'string') tags[k] = v;
    const sub = defaults.subscriptionId ?? '00000000-0000-0000-0000-000000000000';
    const rg = defaults.resourceGroup ?? 'resource-group';
    const model: StorageAccountModel = {
      id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${r.name}`,
      name: r.name,
      subscriptionId: defaults.subscriptionId,
      resourceGroup: defaults.resourceGroup,
      tags,
      location: l,
      publicNetworkAccess: evidence(p, ['publicNetworkAccess'], 'properties', normString),
      allowBlobPublicAccess: evidence(p, ['allowBlobPublicAccess'], 'properties', normBool),
      allowSharedKeyAccess: evidence(p, ['allowSharedKeyAccess'], 'properties', normBool),
      minimumTlsVersion: evidence(p, ['minimumTlsVersion'], 'properties', normString),
      networkDefaultAction: evidence(p, ['networkAcls', 'defaultAction'], 'properties', normString),
      keySource: evidence(p, ['encryption', 'keySource'], 'properties', normString),
      blobSoftDelete: { present: false, value: undefined, path: 'blobServices/default: properties.deleteRetentionPolicy.enabled' },
      containerSoftDelete: { present: false, value: undefined, path: 'blobServices/default: properties.containerDeleteRetentionPolicy.enabled' },
      containers: [],
      privateEndpointConnections: [],
      diagnosticSettings: [],
    };
    const inline = ci(p, 'privateEndpointConnections').value;
    if (Array.isArray(inline)) {
      inline.forEach((c, i) => {
        const st = readPath(c, ['properties', 'privateLinkServiceConnectionState', 'status'], '');
        model.privateEndpointConnections.push({ name: String(c?.name ?? i), status: normString(st.value), path: `properties.privateEndpointConnections[${i}].${st.path}`, location: l });
      });
    }
    accounts.set(r.name.toLowerCase(), model);
  }
  if (accounts.size === 0) return [];
  const single = accounts.size === 1 ? [...accounts.values()][0] : undefined;

  for (const r of resources) {
    const t = lowerType(r);
    const segs = r.name.split('/');
    if (t === 'microsoft.storage/storageaccounts/blobservices') {
      const a = byName(segs[0]);
      if (!a) continue;
      a.blobSoftDelete = evidence(r.properties, ['deleteRetentionPolicy', 'enabled'], 'properties', normBool, loc(r));
      a.containerSoftDelete = evidence(r.properties, ['containerDeleteRetentionPolicy', 'enabled'], 'properties', normBool, loc(r));
    } else if (t === 'microsoft.storage/storageaccounts/blobservices/containers') {
      const a = byName(segs[0]);
      if (!a) continue;
      a.containers.push({ name: segs[segs.length - 1], publicAccess: evidence(r.properties, ['publicAccess'], 'properties', normString, loc(r)), location: loc(r) });
    } else if (t === 'microsoft.storage/storageaccounts/privateendpointconnections') {
      const a = byName(segs[0]);
      if (!a) continue;
      const st = readPath(r.properties, ['privateLinkServiceConnectionState', 'status'], 'properties');
      a.privateEndpointConnections.push({ name: segs[segs.length - 1], status: st.present ? normString(st.value) : undefined, path: st.path, location: loc(r) });
    } else if (t === 'microsoft.network/privateendpoints') {
      for (const [field, manual] of [['privateLinkServiceConnections', false], ['manualPrivateLinkServiceConnections', true]] as const) {
        const conns = ci(r.properties, field).value;
        if (!Array.isArray(conns)) continue;
        conns.forEach((c, i) => {
          const target = readPath(c, ['properties', 'privateLinkServiceId'], '').value;
          const name = accountNameFromId(target);
          const a = byName(name) ?? (target === UNKNOWN ? single : undefined);
          if (!a) return;
          const groups = readPath(c, ['properties', 'groupIds'], '').value;
          if (Array.isArray(groups) && groups.length > 0 && !groups.some(g => typeof g === 'string' && /^blob/i.test(g))) return;
          const explicit = readPath(c, ['properties', 'privateLinkServiceConnectionState', 'status'], '');
          const implicitStatus = manual ? 'Pending' : 'Approved';
          const status = explicit.present ? normString(explicit.value) : implicitStatus;
          a.privateEndpointConnections.push({
            name: `${r.name}/${String(c?.name ?? i)}`,
            status,
            path: `properties.${field}[${i}].properties.${explicit.present ? 'privateLinkServiceConnectionState.status' : 'privateLinkServiceId'}`,
            location: loc(r),
          });
        });
      }
    } else if (t.endsWith('/providers/diagnosticsettings') || t === 'microsoft.insights/diagnosticsettings') {
      let accountName: string | undefined;
      let target: 'blob' | 'account' | 'other' | 'unknown' = 'unknown';
      if (t === 'microsoft.insights/diagnosticsettings') {
        const scope = r.scope;
        if (typeof scope === 'string') {
          accountName = accountNameFromId(scope);
          if (/blobServices/i.test(scope)) target = 'blob';
          else if (/\/(queue|table|file)Services/i.test(scope)) target = 'other';
          else target = accountName ? 'account' : 'other';
        }
      } else if (t.startsWith('microsoft.storage/storageaccounts')) {
        accountName = segs[0];
        if (t.startsWith('microsoft.storage/storageaccounts/blobservices/')) target = 'blob';
        else target = t === 'microsoft.storage/storageaccounts/providers/diagnosticsettings' ? 'account' : 'other';
      } else continue;
      const a = byName(accountName) ?? (accountName === undefined && target === 'unknown' ? single : undefined);
      if (!a) continue;
      const logs = ci(r.properties, 'logs').value;
      a.diagnosticSettings.push({
        name: segs[segs.length - 1],
        target,
        logs: Array.isArray(logs)
          ? logs.map(l => ({
            category: typeof ci(l, 'category').value === 'string' ? (ci(l, 'category').value as string) : undefined,
            categoryGroup: typeof ci(l, 'categoryGroup').value === 'string' ? (ci(l, 'categoryGroup').value as string) : undefined,
            enabled: normBool(ci(l, 'enabled').value) === true,
          }))
          : [],
        path: 'properties.logs',
        location: loc(r),
      });
    }
  }
  for (const a of accounts.values()) {
    const { sub, rg } = subscriptionOf(a.id);
    a.subscriptionId = a.subscriptionId ?? sub;
    a.resourceGroup = a.resourceGroup ?? rg;
  }
  return [...accounts.values()];
}
