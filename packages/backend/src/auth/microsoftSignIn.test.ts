import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { recordingAuditor } from '@internal/test-stand-ins';
import { GraphRiskClient } from './GraphRiskClient';
import {
  createRiskAwareSignInResolver,
  readSignInRiskCheck,
} from './microsoftSignIn';

/** A local server that answers like Microsoft Graph's Identity Protection API. */
async function startFakeGraph(
  riskyUsers: Record<string, { riskLevel: string; riskState: string }>,
) {
  const seen: Array<{ url: string; auth?: string }> = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    const m = /^\/v1\.0\/identityProtection\/riskyUsers\/([^/?]+)$/.exec(
      req.url ?? '',
    );
    if (req.headers.authorization !== 'Bearer graph-token') {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"error":{"code":"InvalidAuthenticationToken"}}');
      return;
    }
    const user = m && riskyUsers[decodeURIComponent(m[1])];
    if (!user) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"ResourceNotFound"}}');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(
        JSON.stringify({
          '@odata.context': 'x',
          id: m![1],
          riskDetail: 'none',
          ...user,
        }),
      );
  });
  server.listen(0, '127.0.0.1');
  await new Promise(r => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    seen,
    close: () => server.close(),
  };
}

// A test credential: the Graph call itself goes over real HTTP to the stand-in.
const credential = {
  getToken: async () => ({
    token: 'graph-token',
    expiresOnTimestamp: Date.now() + 3600_000,
  }),
};

const HIGH = '11111111-1111-1111-1111-111111111111';
const MEDIUM = '22222222-2222-2222-2222-222222222222';
const CLEAN = '33333333-3333-3333-3333-333333333333';

function signInInfo(id: string) {
  return {
    profile: { email: `${id.slice(0, 4)}@example.com` },
    result: {
      fullProfile: { id, provider: 'microsoft', displayName: 'x' },
      session: {} as any,
    },
  } as any;
}

describe('risk-aware Microsoft sign-in (real HTTP to a Graph stand-in)', () => {
  let graph: Awaited<ReturnType<typeof startFakeGraph>>;
  beforeAll(async () => {
    graph = await startFakeGraph({
      [HIGH]: { riskLevel: 'high', riskState: 'atRisk' },
      [MEDIUM]: { riskLevel: 'medium', riskState: 'atRisk' },
    });
  });
  afterAll(() => graph.close());

  function resolver(refuseAt: 'high' | 'medium') {
    const auditor = recordingAuditor();
    const config = mockServices.rootConfig({
      data: {
        frontierGuard: {
          signInRisk: { enabled: true, graphBaseUrl: graph.baseUrl, refuseAt },
        },
      },
    });
    const risk = readSignInRiskCheck(config, credential);
    const signIn = createRiskAwareSignInResolver({
      risk,
      auditor,
      logger: mockServices.logger.mock(),
    });
    const ctx = {
      signInWithCatalogUser: jest.fn(async () => ({
        token: 'backstage-token',
      })),
    } as any;
    return { signIn, ctx, events: auditor.events };
  }

  it('refuses a high-risk user and audits the refusal', async () => {
    const { signIn, ctx, events } = resolver('high');
    await expect(signIn(signInInfo(HIGH), ctx)).rejects.toThrow(/risk is high/);
    expect(ctx.signInWithCatalogUser).not.toHaveBeenCalled();
    expect(events).toEqual([
      expect.objectContaining({
        eventId: 'microsoft-sign-in',
        outcome: 'fail',
        meta: expect.objectContaining({ decision: 'refused' }),
      }),
    ]);
    expect(
      graph.seen.some(
        s => s.url.endsWith(HIGH) && s.auth === 'Bearer graph-token',
      ),
    ).toBe(true);
  });

  it('lets a medium-risk user in unless medium is configured to refuse', async () => {
    const lenient = resolver('high');
    await expect(
      lenient.signIn(signInInfo(MEDIUM), lenient.ctx),
    ).resolves.toEqual({ token: 'backstage-token' });
    const strict = resolver('medium');
    await expect(strict.signIn(signInInfo(MEDIUM), strict.ctx)).rejects.toThrow(
      /medium/,
    );
  });

  it('signs in a user Graph does not list as risky, matched by Entra object id', async () => {
    const { signIn, ctx, events } = resolver('medium');
    await expect(signIn(signInInfo(CLEAN), ctx)).resolves.toEqual({
      token: 'backstage-token',
    });
    expect(ctx.signInWithCatalogUser).toHaveBeenCalledWith({
      annotations: { 'graph.microsoft.com/user-id': CLEAN },
    });
    expect(events).toEqual([
      expect.objectContaining({
        outcome: 'success',
        meta: expect.objectContaining({ decision: 'allowed' }),
      }),
    ]);
  });

  it('fails closed when Graph cannot be reached', async () => {
    const auditor = recordingAuditor();
    const signIn = createRiskAwareSignInResolver({
      risk: {
        client: new GraphRiskClient({
          credential,
          baseUrl: 'http://127.0.0.1:9',
          timeoutMs: 1000,
        }),
        policy: { refuseAt: 'high', failClosed: true },
      },
      auditor,
      logger: mockServices.logger.mock(),
    });
    const ctx = { signInWithCatalogUser: jest.fn() } as any;
    await expect(signIn(signInInfo(CLEAN), ctx)).rejects.toThrow(
      /could not be determined/,
    );
    expect(ctx.signInWithCatalogUser).not.toHaveBeenCalled();
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'microsoft-sign-in',
        outcome: 'fail',
        meta: expect.objectContaining({ decision: 'refused' }),
      }),
    ]);
  });

  it('audits every sign-in, refused when no catalog user matches, also with the risk check off', async () => {
    const auditor = recordingAuditor();
    const signIn = createRiskAwareSignInResolver({
      auditor,
      logger: mockServices.logger.mock(),
    });
    const found = {
      signInWithCatalogUser: jest.fn(async () => ({ token: 't' })),
    } as any;
    await expect(signIn(signInInfo(CLEAN), found)).resolves.toEqual({
      token: 't',
    });
    const missing = {
      signInWithCatalogUser: jest.fn(async () => {
        throw new Error('no such user');
      }),
    } as any;
    await expect(signIn(signInInfo(CLEAN), missing)).rejects.toThrow(
      /no such user/,
    );
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'microsoft-sign-in',
        meta: expect.objectContaining({ riskCheck: 'off' }),
        outcome: 'success',
      }),
      expect.objectContaining({
        eventId: 'microsoft-sign-in',
        meta: expect.objectContaining({ riskCheck: 'off' }),
        outcome: 'fail',
        error: 'no such user',
      }),
    ]);
  });

  it('is off unless enabled in config', () => {
    expect(
      readSignInRiskCheck(mockServices.rootConfig({ data: {} })),
    ).toBeUndefined();
    expect(() =>
      readSignInRiskCheck(
        mockServices.rootConfig({
          data: {
            frontierGuard: { signInRisk: { enabled: true, refuseAt: 'low' } },
          },
        }),
        credential,
      ),
    ).toThrow(/refuseAt/);
  });
});
