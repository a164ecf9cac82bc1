import express from 'express';
import { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { createIpAccessListMiddleware } from './ipAccessListMiddleware';

async function serve(allowedNetworks: string[] | undefined) {
  const app = express();
  const mw = createIpAccessListMiddleware({
    config: mockServices.rootConfig({
      data: allowedNetworks ? { frontierGuard: { ipAccessList: { allowedNetworks } } } : {},
    }),
    logger: mockServices.logger.mock(),
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

  it('lets a client inside the allowed networks through', async () => {
    const s = await serve(['10.0.0.0/8', '127.0.0.0/8']);
    try {
      const res = await fetch(s.url);
      expect(res.status).toBe(200);
    } finally {
      s.close();
    }
  });

  it('is off when no list is configured', async () => {
    const s = await serve(undefined);
    try {
      expect((await fetch(s.url)).status).toBe(200);
    } finally {
      s.close();
    }
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
});
