import { startTestBackend } from '@backstage/backend-test-utils';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { CachingPluginTokenHandler, PluginTokenHandler, pluginTokenCacheServiceFactory } from './pluginTokenCache';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** A token-shaped string: header.payload.signature, with `exp` in seconds. */
const jwt = (payload: object) => `${b64({ alg: 'ES256', typ: 'vnd.backstage.plugin' })}.${b64(payload)}.sig-${Math.random()}`;

function setup(options: { lifetimeS?: number } = {}) {
  let now = Date.parse('2026-12-07T12:00:00Z');
  const issued: Array<Parameters<PluginTokenHandler['issueToken']>[0]> = [];
  const verified: string[] = [];
  const valid = new Set<string>();
  const inner: PluginTokenHandler = {
    async issueToken(o) {
      issued.push(o);
      const exp = Math.floor(now / 1000) + (options.lifetimeS ?? 3600);
      const token = jwt({ sub: o.pluginId, aud: o.targetPluginId, exp: o.onBehalfOf ? Math.min(exp, Math.floor(o.onBehalfOf.expiresAt.getTime() / 1000)) : exp, obo: o.onBehalfOf?.limitedUserToken });
      valid.add(token);
      return { token };
    },
    async verifyToken(token) {
      verified.push(token);
      if (token.startsWith('user.')) return undefined; // not a plugin token
      if (!valid.has(token)) throw new Error('Failed plugin token verification');
      return { subject: 'plugin:caller' };
    },
  };
  const cache = new CachingPluginTokenHandler(inner, { now: () => now });
  return { cache, issued, verified, valid, advance: (ms: number) => (now += ms), now: () => now };
}

describe('CachingPluginTokenHandler', () => {
  it('reuses a service token per caller and target instead of signing one per call', async () => {
    const { cache, issued } = setup();
    const a = await cache.issueToken({ pluginId: 'access-requests', targetPluginId: 'permission' });
    const b = await cache.issueToken({ pluginId: 'access-requests', targetPluginId: 'permission' });
    const [c, d] = await Promise.all([
      cache.issueToken({ pluginId: 'access-requests', targetPluginId: 'catalog' }),
      cache.issueToken({ pluginId: 'access-requests', targetPluginId: 'catalog' }),
    ]);
    expect(b.token).toBe(a.token);
    expect(d.token).toBe(c.token);
    expect(c.token).not.toBe(a.token); // another audience, another token
    expect(issued).toHaveLength(2);
  });

  it('signs a fresh token after the reuse window, and never hands out one close to its expiry', async () => {
    const { cache, issued, advance } = setup();
    const first = await cache.issueToken({ pluginId: 'p', targetPluginId: 't' });
    advance(9 * 60_000);
    expect((await cache.issueToken({ pluginId: 'p', targetPluginId: 't' })).token).toBe(first.token);
    advance(60_001);
    expect((await cache.issueToken({ pluginId: 'p', targetPluginId: 't' })).token).not.toBe(first.token);
    expect(issued).toHaveLength(2);

    const short = setup({ lifetimeS: 90 }); // less than the 2 min it must have left: not reused at all
    const x = await short.cache.issueToken({ pluginId: 'p', targetPluginId: 't' });
    const y = await short.cache.issueToken({ pluginId: 'p', targetPluginId: 't' });
    expect(y.token).not.toBe(x.token);
  });

  it('keys tokens on behalf of a user by that user token: another user or session never gets it', async () => {
    const { cache, issued, now } = setup();
    const expiresAt = new Date(now() + 30 * 60_000);
    const alice1 = await cache.issueToken({ pluginId: 'p', targetPluginId: 'permission', onBehalfOf: { limitedUserToken: 'alice-session-1', expiresAt } });
    const alice1again = await cache.issueToken({ pluginId: 'p', targetPluginId: 'permission', onBehalfOf: { limitedUserToken: 'alice-session-1', expiresAt } });
    const bob = await cache.issueToken({ pluginId: 'p', targetPluginId: 'permission', onBehalfOf: { limitedUserToken: 'bob-session', expiresAt } });
    const alice2 = await cache.issueToken({ pluginId: 'p', targetPluginId: 'permission', onBehalfOf: { limitedUserToken: 'alice-session-2', expiresAt } });
    const service = await cache.issueToken({ pluginId: 'p', targetPluginId: 'permission' });
    expect(alice1again.token).toBe(alice1.token);
    expect(new Set([alice1.token, bob.token, alice2.token, service.token]).size).toBe(4);
    expect(issued.map(i => i.onBehalfOf?.limitedUserToken)).toEqual(['alice-session-1', 'bob-session', 'alice-session-2', undefined]);
  });

  it('does not reuse a token on behalf of a user whose own token is about to expire', async () => {
    const { cache, now } = setup();
    const expiresAt = new Date(now() + 60_000);
    const a = await cache.issueToken({ pluginId: 'p', targetPluginId: 't', onBehalfOf: { limitedUserToken: 'u', expiresAt } });
    const b = await cache.issueToken({ pluginId: 'p', targetPluginId: 't', onBehalfOf: { limitedUserToken: 'u', expiresAt } });
    expect(b.token).not.toBe(a.token);
  });

  it('verifies an exact token once per minute; forged, failed and non-plugin tokens are never cached', async () => {
    const { cache, verified, valid, advance } = setup();
    const { token } = await cache.issueToken({ pluginId: 'p', targetPluginId: 't' });
    expect(await cache.verifyToken(token)).toEqual({ subject: 'plugin:caller' });
    expect(await cache.verifyToken(token)).toEqual({ subject: 'plugin:caller' });
    expect(verified).toHaveLength(1);

    // a token differing only in its signature is checked (and refused) every time
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.forged`;
    await expect(cache.verifyToken(forged)).rejects.toThrow(/verification/);
    await expect(cache.verifyToken(forged)).rejects.toThrow(/verification/);
    expect(verified.filter(t => t === forged)).toHaveLength(2);

    expect(await cache.verifyToken('user.abc')).toBeUndefined();
    expect(await cache.verifyToken('user.abc')).toBeUndefined();
    expect(verified.filter(t => t === 'user.abc')).toHaveLength(2);

    // after a minute the signature is checked again (a revoked key is noticed within 60 s)
    advance(60_001);
    valid.delete(token);
    await expect(cache.verifyToken(token)).rejects.toThrow(/verification/);
  });

  it('never accepts a cached token past its own expiry', async () => {
    const { cache, verified, advance } = setup({ lifetimeS: 30 });
    const { token } = await cache.issueToken({ pluginId: 'p', targetPluginId: 't' });
    await cache.verifyToken(token);
    advance(31_000);
    await cache.verifyToken(token).catch(() => undefined);
    expect(verified).toHaveLength(2);
  });
});

describe('pluginTokenCacheServiceFactory with the real auth service', () => {
  it('reuses real plugin tokens between two plugins, and the target still authenticates them', async () => {
    const tokens: string[] = [];
    let callee: { authenticate(t: string): Promise<unknown> } | undefined;
    const caller = createBackendPlugin({
      pluginId: 'caller',
      register(env) {
        env.registerInit({
          deps: { auth: coreServices.auth },
          async init({ auth }) {
            for (let i = 0; i < 3; i++) {
              tokens.push((await auth.getPluginRequestToken({ onBehalfOf: await auth.getOwnServiceCredentials(), targetPluginId: 'callee' })).token);
            }
          },
        });
      },
    });
    const target = createBackendPlugin({
      pluginId: 'callee',
      register(env) {
        env.registerInit({ deps: { auth: coreServices.auth }, async init({ auth }) { callee = auth; } });
      },
    });
    const backend = await startTestBackend({ features: [authServiceFactory, pluginTokenCacheServiceFactory, caller, target] });
    try {
      expect(new Set(tokens).size).toBe(1);
      const credentials = await callee!.authenticate(tokens[0]);
      expect(credentials).toMatchObject({ principal: { type: 'service', subject: 'plugin:caller' } });
    } finally {
      await backend.stop();
    }
  });
});
