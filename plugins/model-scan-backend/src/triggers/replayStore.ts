import type { CacheService } from '@backstage/backend-plugin-api';

/**
 * Remembers webhook deliveries that were already accepted, so a captured request cannot be
 * replayed. `remember` returns false when the key was seen before (within its TTL).
 */
export interface WebhookReplayStore {
  remember(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets a key (used when processing failed, so the sender's retry is accepted). */
  forget(key: string): Promise<void>;
}

/**
 * In-process store, bounded (oldest entries dropped first). Enough for one replica; with
 * several replicas use {@link CacheReplayStore} backed by a shared cache (Redis/Valkey/
 * memcache configured under backend.cache), or a database-backed store.
 */
export class InMemoryReplayStore implements WebhookReplayStore {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async remember(key: string, ttlMs: number): Promise<boolean> {
    const t = this.now();
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > t) return false;
    this.seen.delete(key);
    this.seen.set(key, t + ttlMs);
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  async forget(key: string): Promise<void> {
    this.seen.delete(key);
  }
}

/**
 * Replay store on Backstage's CacheService (coreServices.cache), shared by every replica
 * when the backend cache is Redis/Valkey/memcache. Get-then-set is not atomic: two replicas
 * receiving the same delivery within milliseconds could both accept it; the effect is one
 * duplicate scan of the same version, never an unsigned request.
 */
export class CacheReplayStore implements WebhookReplayStore {
  constructor(private readonly cache: CacheService) {}

  async remember(key: string, ttlMs: number): Promise<boolean> {
    const k = `webhook-replay:${key}`;
    if ((await this.cache.get(k)) !== undefined) return false;
    await this.cache.set(k, true, { ttl: ttlMs });
    return true;
  }

  async forget(key: string): Promise<void> {
    await this.cache.delete(`webhook-replay:${key}`);
  }
}
