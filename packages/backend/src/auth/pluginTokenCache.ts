import { createServiceFactory } from '@backstage/backend-plugin-api';
import { pluginTokenHandlerDecoratorServiceRef } from '@backstage/backend-defaults/auth';

/** Backstage's plugin token handler (sign plugin-to-plugin tokens, verify incoming ones). */
export interface PluginTokenHandler {
  verifyToken(token: string): Promise<{ subject: string; limitedUserToken?: string } | undefined>;
  issueToken(options: {
    pluginId: string;
    targetPluginId: string;
    onBehalfOf?: { limitedUserToken: string; expiresAt: Date };
  }): Promise<{ token: string }>;
}

export interface PluginTokenCacheOptions {
  /** An issued token is reused for at most this long (default 10 min) ... */
  reuseMs?: number;
  /** ... and never once it has less than this left before it expires (default 2 min). */
  minRemainingMs?: number;
  /** A verified incoming token is trusted again without a signature check for this long (default 60 s, never past its expiry). */
  verifiedMs?: number;
  /** Entries per cache (default 1000; the oldest go first). */
  maxEntries?: number;
  now?: () => number;
}

/** `exp` of a JWT in ms (the signature is not checked: only used for tokens we issued or verified). */
function expiresAtMs(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

class BoundedMap<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }
  set(key: string, value: V) {
    if (!this.has(key) && this.size >= this.max) {
      // the oldest entry (insertion order)
      this.delete(this.keys().next().value as string);
    }
    return super.set(key, value);
  }
}

/**
 * Reuses plugin-to-plugin tokens instead of signing one per call, and skips re-verifying the
 * exact same incoming token for a short while.
 *
 * Backstage's default handler (backend-defaults 0.19) signs a fresh ES256 JWT for every
 * `auth.getPluginRequestToken` (so every internal call: permission checks, catalog look-ups,
 * notification sends, events-bus posts) and verifies every incoming one against the JWKS: under
 * load that was ~19 % of the backend's CPU (bench/access-requests). With this decorator:
 *
 * - issuing: a token for the same (caller, target, on-behalf-of user token) is reused while it
 *   has at least `minRemainingMs` left and is younger than `reuseMs`. A token on behalf of a user
 *   is keyed by that user's own (limited) token, so it never outlives it (Backstage already caps
 *   its `exp` at the user token's) and never serves another user or another session;
 * - verifying: a token that verified is accepted again without a signature check for
 *   `verifiedMs` (60 s), never past its `exp`; the cache is keyed by the whole token string, so
 *   only that exact signed token matches. Tokens that fail, and tokens that are not plugin tokens
 *   (user tokens are verified by the user token handler, untouched), are never cached.
 */
export class CachingPluginTokenHandler implements PluginTokenHandler {
  private readonly issued: BoundedMap<{ token: string; reuseUntil: number }>;
  private readonly pending = new Map<string, Promise<{ token: string }>>();
  private readonly verified: BoundedMap<{ result: { subject: string; limitedUserToken?: string }; until: number }>;
  private readonly o: Required<Omit<PluginTokenCacheOptions, 'now'>> & { now: () => number };

  constructor(private readonly inner: PluginTokenHandler, options: PluginTokenCacheOptions = {}) {
    this.o = {
      reuseMs: options.reuseMs ?? 10 * 60_000,
      minRemainingMs: options.minRemainingMs ?? 2 * 60_000,
      verifiedMs: options.verifiedMs ?? 60_000,
      maxEntries: options.maxEntries ?? 1000,
      now: options.now ?? Date.now,
    };
    this.issued = new BoundedMap(this.o.maxEntries);
    this.verified = new BoundedMap(this.o.maxEntries);
  }

  async issueToken(options: Parameters<PluginTokenHandler['issueToken']>[0]): Promise<{ token: string }> {
    const key = `${options.pluginId}\n${options.targetPluginId}\n${options.onBehalfOf?.limitedUserToken ?? ''}`;
    const hit = this.issued.get(key);
    if (hit && this.o.now() < hit.reuseUntil) return { token: hit.token };
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const p = this.inner.issueToken(options).then(
      result => {
        this.pending.delete(key);
        const now = this.o.now();
        const exp = expiresAtMs(result.token);
        const reuseUntil = Math.min(now + this.o.reuseMs, (exp ?? now) - this.o.minRemainingMs);
        if (reuseUntil > now) this.issued.set(key, { token: result.token, reuseUntil });
        else this.issued.delete(key);
        return result;
      },
      error => {
        this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, p);
    return p;
  }

  async verifyToken(token: string) {
    const now = this.o.now();
    const hit = this.verified.get(token);
    if (hit) {
      if (now < hit.until) return hit.result;
      this.verified.delete(token);
    }
    const result = await this.inner.verifyToken(token);
    if (result) {
      const exp = expiresAtMs(token);
      const until = Math.min(now + this.o.verifiedMs, exp ?? now);
      if (until > now) this.verified.set(token, { result, until });
    }
    return result;
  }
}

/** Installs {@link CachingPluginTokenHandler} around every plugin's default token handler. */
export const pluginTokenCacheServiceFactory = createServiceFactory({
  service: pluginTokenHandlerDecoratorServiceRef,
  deps: {},
  async factory() {
    return (defaultImplementation: PluginTokenHandler) => new CachingPluginTokenHandler(defaultImplementation);
  },
});
