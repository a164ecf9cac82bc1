import type { PostureProject } from '@internal/posture-checks';
import type { StoreKind, StoreSource, WeightFile } from '@internal/plugin-weight-inventory-common';

/** One store as a source discovered it, with the project the posture engine evaluates. */
export interface DiscoveredStore {
  id: string;
  kind: StoreKind;
  name: string;
  source: StoreSource;
  demo: boolean;
  subscriptionId?: string;
  resourceGroup?: string;
  resourceId?: string;
  owner?: string;
  tags: Record<string, string>;
  project: PostureProject;
  weights: Omit<WeightFile, 'storeId'>[];
  /** Set when the store was found but could not be read completely. */
  error?: string;
}

export interface InventorySource {
  /** e.g. `azure:<subscription>`, `kubernetes:<cluster>`, `demo`. */
  readonly name: string;
  discover(): Promise<DiscoveredStore[]>;
  /**
   * Optional streaming form: hands each store over as soon as it is read (memory stays bounded by
   * the source's concurrency instead of the whole subscription). Rejects when the listing fails.
   */
  discoverEach?(handle: (store: DiscoveredStore) => Promise<void>): Promise<void>;
}

/** Owner entity ref from an `owner` tag or label (`group:default/x`, `user:…`, or a bare group name). */
export function ownerFrom(tags: Record<string, string> | undefined): string | undefined {
  if (!tags) return undefined;
  const key = Object.keys(tags).find(k => k.toLowerCase() === 'owner' || k === 'frontier-guard.io/owner');
  const v = key ? tags[key]?.trim() : undefined;
  if (!v) return undefined;
  if (/^(group|user):/i.test(v)) return v.includes('/') ? v : v.replace(':', ':default/');
  return /^[A-Za-z0-9._-]+$/.test(v) ? `group:default/${v}` : undefined;
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}
