import { accessAppLink, defaultAccessAppRoutes } from './links';

describe('access app links', () => {
  it('joins the app base URL and the route path, encoding the id', () => {
    const routes = defaultAccessAppRoutes();
    expect(accessAppLink('http://portal.example/', routes, 'request', 'a/b c')).toBe(
      'http://portal.example/access/requests/a%2Fb%20c',
    );
    expect(accessAppLink('http://portal.example', routes, 'grant', 'g1')).toBe('http://portal.example/access/grants/g1');
    expect(accessAppLink(undefined, routes, 'inbox')).toBe('/access/inbox');
  });

  it('follows a different mount path', () => {
    expect(defaultAccessAppRoutes('/jit/').myAccess).toBe('/jit/requests');
  });
});
