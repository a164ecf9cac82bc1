/**
 * Catalog entity names of stores (same rule as `@internal/plugin-weight-inventory-common`
 * naming.ts; the backend tests that both agree). Used by the CLI to name the entity a finding
 * belongs to, so policy exceptions scoped to catalog entities cover IaC findings too.
 */

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
