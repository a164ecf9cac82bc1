import { ConfigReader } from '@backstage/config';
import { appRoutesFromConfig } from './appRoutes';

describe('appRoutesFromConfig', () => {
  it('defaults to the paths the portal serves', () => {
    expect(appRoutesFromConfig(undefined)).toMatchObject({
      request: '/access/requests/:id',
      grant: '/access/grants/:id',
      inbox: '/access/inbox',
    });
  });
  it('follows a mount path and single overrides', () => {
    const routes = appRoutesFromConfig(new ConfigReader({ appRoutes: { mountPath: '/jit', grant: '/g/:id' } }));
    expect(routes.request).toBe('/jit/requests/:id');
    expect(routes.grant).toBe('/g/:id');
  });
  it('refuses paths that could not be links to a record', () => {
    expect(() => appRoutesFromConfig(new ConfigReader({ appRoutes: { request: '/requests' } }))).toThrow(/request: must contain :id/);
    expect(() => appRoutesFromConfig(new ConfigReader({ appRoutes: { inbox: 'inbox' } }))).toThrow(/inbox: must start with/);
  });
});
