/** Catalog entity names of stores, shared by the entity provider, the API and the CLI. */

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 54) || 'unnamed';
}

export function storageStoreId(accountName: string): string {
  return `storage-${slug(accountName)}`;
}

export function clusterStoreId(clusterName: string): string {
  return `cluster-${slug(clusterName)}`;
}

export function storeEntityRef(storeId: string): string {
  return `resource:default/${storeId}`;
}
