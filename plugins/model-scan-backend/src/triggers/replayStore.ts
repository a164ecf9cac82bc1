import type { CacheService } from '@backstage/backend-plugin-api';
import { createHash } from 'node:crypto';

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

/** The part of the ScanStore a {@link DatabaseReplayStore} uses. */
export interface WebhookDeliveryTable {
  recordWebhookDelivery(
    delivery: { source: string; key: string },
    now: Date,
    ttlMs: number,
  ): Promise<boolean>;
  forgetWebhookDelivery(delivery: {
    source: string;
    key: string;
  }): Promise<void>;
}

/**
 * Replay store in the plugin's database (table `webhook_deliveries`, UNIQUE(source,
 * delivery_key)): the first insert of a delivery wins, a second one — from any replica, even
 * at the same millisecond — violates the constraint and is refused. The default when the
 * plugin runs. Rows past the TTL are deleted by the plugin's housekeeping task.
 */
export class DatabaseReplayStore implements WebhookReplayStore {
  constructor(
    private readonly table: WebhookDeliveryTable,
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {}

  async remember(key: string, ttlMs: number): Promise<boolean> {
    return this.table.recordWebhookDelivery(
      splitReplayKey(key),
      this.clock.now(),
      ttlMs,
    );
  }

  async forget(key: string): Promise<void> {
    await this.table.forgetWebhookDelivery(splitReplayKey(key));
  }
}

/**
 * `mlflow:<delivery id>` → `{ source: 'mlflow', key: '<delivery id>' }`. Keys longer than the
 * column (128) are stored as their SHA-256.
 */
export function splitReplayKey(replayKey: string): {
  source: string;
  key: string;
} {
  const colon = replayKey.indexOf(':');
  const source =
    colon > 0 && colon <= 32 ? replayKey.slice(0, colon) : 'unknown';
  const rest =
    colon > 0 && colon <= 32 ? replayKey.slice(colon + 1) : replayKey;
  const key =
    rest.length <= 128
      ? rest
      : `sha256:${createHash('sha256').update(rest).digest('hex')}`;
  return { source, key };
}
