import express from 'express';
import { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { createIpAccessListMiddleware } from './ipAccessListMiddleware';
import { RefusedRequests } from './RefusedRequests';

async function serve(allowedNetworks: string[] | undefined, refusals?: RefusedRequests) {
  const app = express();
  const mw = createIpAccessListMiddleware({
    config: mockServices.rootConfig({
      data: allowedNetworks ? { frontierGuard: { ipAccessList: { allowedNetworks } } } : {},
    }),
    logger: mockServices.logger.mock(),
    refusals,
  });
  if (mw) app.use(mw);
  app.get('/api/catalog/entities', (_req, res) => {
    res.json([]);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise(resolve => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/catalog/entities`, close: () => server.close() };
}

describe('IP access list middleware (real HTTP)', () => {
  it('refuses a client outside the allowed networks with 403', async () => {
    const s = await serve(['10.0.0.0/8']);
    try {
      const res = await fetch(s.url);
      expect(res.status).toBe(403);
      expect((await res.json()).error.name).toBe('NotAllowedError');
    } finally {
      s.close();
    }
  });

  it('lets a client inside the allowed networks through, and counts only refusals', async () => {
    const refusals = new RefusedRequests();
    const open = await serve(['10.0.0.0/8', '127.0.0.0/8'], refusals);
    try {
      expect((await fetch(open.url)).status).toBe(200);
    } finally {
      open.close();
    }
    expect(refusals.takeSummary()).toBeUndefined();
    const closed = await serve(['10.0.0.0/8'], refusals);
    try {
      expect((await fetch(`${closed.url}?q=1`)).status).toBe(403);
      expect((await fetch(closed.url)).status).toBe(403);
    } finally {
      closed.close();
    }
    expect(refusals.takeSummary()).toMatchObject({
      total: 2,
      clients: [{ client: '127.0.0.1', count: 2, samplePaths: ['GET /api/catalog/entities?q=1', 'GET /api/catalog/entities'] }],
    });
  });

  it('is off when no list is configured', async () => {
    const s = await serve(undefined);
    try {
      expect((await fetch(s.url)).status).toBe(200);
    } finally {
      s.close();
    }
  });

  it("warns at startup when the list would refuse the backend's own loopback calls, and not when it allows them", () => {
    const warnings = (allowedNetworks: string[]) => {
      const logger = mockServices.logger.mock();
      createIpAccessListMiddleware({
        config: mockServices.rootConfig({ data: { frontierGuard: { ipAccessList: { allowedNetworks } } } }),
        logger,
      });
      return (logger.warn as jest.Mock).mock.calls.map(c => String(c[0]));
    };
    const [warning] = warnings(['10.0.0.0/8']);
    expect(warning).toContain('does not allow 127.0.0.1 and ::1');
    expect(warning).toContain('backend.trustProxy');
    expect(warnings(['10.0.0.0/8', '::1/128'])[0]).toContain('does not allow 127.0.0.1:');
    expect(warnings(['10.0.0.0/8', '127.0.0.1/32', '::1/128'])).toEqual([]);
  });

  it('fails startup on an invalid network instead of silently allowing everyone', () => {
    expect(() =>
      createIpAccessListMiddleware({
        config: mockServices.rootConfig({
          data: { frontierGuard: { ipAccessList: { allowedNetworks: ['10.0.0.0/99'] } } },
        }),
        logger: mockServices.logger.mock(),
      }),
    ).toThrow(/allowedNetworks.*10\.0\.0\.0\/99/);
  });

  it('refuses at startup a backend.trustProxy that lets a client that is not the proxy choose its address', () => {
    const start = (trustProxy: unknown) => () =>
      createIpAccessListMiddleware({
        config: mockServices.rootConfig({
          data: { backend: { trustProxy }, frontierGuard: { ipAccessList: { allowedNetworks: ['10.0.0.0/8'] } } } as any,
        }),
        logger: mockServices.logger.mock(),
      });
    for (const unsafe of [true, 'true', 1, '2', ' 1 ']) {
      expect(start(unsafe)).toThrow(/backend\.trustProxy is .*could forge X-Forwarded-For/);
    }
    for (const safe of [undefined, false, '10.0.0.5', '10.0.0.0/8, 192.168.1.1', 'loopback']) {
      expect(start(safe)).not.toThrow();
    }
    // Without an IP access list nothing depends on the forwarded address.
    expect(() =>
      createIpAccessListMiddleware({
        config: mockServices.rootConfig({ data: { backend: { trustProxy: true } } }),
        logger: mockServices.logger.mock(),
      }),
    ).not.toThrow();
  });
});
