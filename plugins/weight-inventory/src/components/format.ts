import type { Entity } from '@backstage/catalog-model';

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  const i = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** i).toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatTime(iso?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const STORE_ENTITY_TYPES = ['weight-store', 'kubernetes-cluster'];

/** Entities the posture / access / weights tabs apply to: stores and clusters of the inventory. */
export function isInventoryEntity(entity: Entity): boolean {
  return entity.kind.toLowerCase() === 'resource' && STORE_ENTITY_TYPES.includes(String((entity.spec as any)?.type ?? ''));
}

/** The blob URL model-scan uses as a scan target for a file of a storage account. */
export function blobUrl(account: string, container: string, path: string): string {
  return `https://${account}.blob.core.windows.net/${encodeURIComponent(container)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}
