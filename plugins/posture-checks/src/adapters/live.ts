/**
 * Live shapes: storage accounts as `@azure/arm-storage` deserializes them (JS names such as
 * `networkRuleSet`, `enableHttpsTrafficOnly`, `encryption.keyVaultProperties`), blob service
 * properties, containers, private endpoint connections and `@azure/arm-monitor` diagnostic
 * settings. Plain objects in, the normalized model out (no SDK import here).
 */
import type { Evidence, StorageAccountModel } from '../types';

function ev<T>(value: T | undefined | null, path: string): Evidence<T> {
  return value === undefined || value === null ? { present: false, value: undefined, path } : { present: true, value, path };
}

export interface LiveStorageAccount {
  id?: string;
  name?: string;
  tags?: Record<string, string>;
  publicNetworkAccess?: string | null;
  allowBlobPublicAccess?: boolean | null;
  allowSharedKeyAccess?: boolean | null;
  minimumTlsVersion?: string | null;
  networkRuleSet?: { defaultAction?: string | null } | null;
  encryption?: { keySource?: string | null } | null;
  privateEndpointConnections?: { name?: string; privateLinkServiceConnectionState?: { status?: string | null } | null }[] | null;
}

export interface LiveBlobServiceProperties {
  deleteRetentionPolicy?: { enabled?: boolean | null } | null;
  containerDeleteRetentionPolicy?: { enabled?: boolean | null } | null;
}

export interface LiveContainer {
  name?: string;
  publicAccess?: string | null;
}

export interface LiveDiagnosticSetting {
  name?: string;
  logs?: { category?: string | null; categoryGroup?: string | null; enabled?: boolean | null }[] | null;
}

export function storageAccountFromLive(input: {
  account: LiveStorageAccount;
  blobService?: LiveBlobServiceProperties;
  containers?: LiveContainer[];
  privateEndpointConnections?: LiveStorageAccount['privateEndpointConnections'];
  /** Settings listed on `<accountId>/blobServices/default`. */
  blobDiagnosticSettings?: LiveDiagnosticSetting[];
}): StorageAccountModel {
  const a = input.account;
  const id = a.id ?? '';
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)/i.exec(id);
  const pecs = input.privateEndpointConnections ?? a.privateEndpointConnections ?? [];
  return {
    id,
    name: a.name ?? id.split('/').pop() ?? '',
    subscriptionId: m?.[1],
    resourceGroup: m?.[2],
    tags: { ...(a.tags ?? {}) },
    publicNetworkAccess: ev(a.publicNetworkAccess, 'properties.publicNetworkAccess'),
    allowBlobPublicAccess: ev(a.allowBlobPublicAccess, 'properties.allowBlobPublicAccess'),
    allowSharedKeyAccess: ev(a.allowSharedKeyAccess, 'properties.allowSharedKeyAccess'),
    minimumTlsVersion: ev(a.minimumTlsVersion, 'properties.minimumTlsVersion'),
    networkDefaultAction: ev(a.networkRuleSet?.defaultAction, 'properties.networkAcls.defaultAction'),
    keySource: ev(a.encryption?.keySource, 'properties.encryption.keySource'),
    blobSoftDelete: ev(input.blobService?.deleteRetentionPolicy?.enabled, 'blobServices/default: properties.deleteRetentionPolicy.enabled'),
    containerSoftDelete: ev(input.blobService?.containerDeleteRetentionPolicy?.enabled, 'blobServices/default: properties.containerDeleteRetentionPolicy.enabled'),
    containers: (input.containers ?? []).map(c => ({ name: c.name ?? '', publicAccess: ev(c.publicAccess, `containers/${c.name}: properties.publicAccess`) })),
    privateEndpointConnections: pecs.map((p, i) => ({
      name: p.name ?? String(i),
      status: p.privateLinkServiceConnectionState?.status ?? undefined,
      path: `properties.privateEndpointConnections[${i}].properties.privateLinkServiceConnectionState.status`,
    })),
    diagnosticSettings: (input.blobDiagnosticSettings ?? []).map(d => ({
      name: d.name ?? '',
      target: 'blob' as const,
      logs: (d.logs ?? []).map(l => ({ category: l.category ?? undefined, categoryGroup: l.categoryGroup ?? undefined, enabled: l.enabled === true })),
      path: `blobServices/default/providers/Microsoft.Insights/diagnosticSettings/${d.name}: properties.logs`,
    })),
  };
}
