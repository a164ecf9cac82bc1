import { test, expect } from '@playwright/test';
import { signInAs, backstageToken } from './helpers';

test('a demo user signs in; the security controls are on the controls page', async ({ page }) => {
  await signInAs(page, 'alice');
  await expect(page.getByRole('heading', { name: 'Frontier Guard' })).toBeVisible();
  await page.goto('/controls');
  await expect(page.getByText('Model scanning with safe/unsafe verdicts')).toBeVisible();
  await expect(page.getByText('Multi-party approval for sensitive resources')).toBeVisible();
  await expect(page.getByRole('link', { name: 'AML.T0010.003' }).first()).toBeVisible();
});

test('the catalog lists the portal and the demo organisation', async ({ page }) => {
  await signInAs(page, 'bob');
  await page.goto('/catalog');
  await expect(page.getByRole('link', { name: 'Frontier Guard portal' })).toBeVisible();
  await page.goto('/catalog?filters[kind]=user');
  await expect(page.getByText('Alice Researcher').first()).toBeVisible();
});

test('the backend refuses unauthenticated API calls and serves signed-in ones', async ({ page, request }) => {
  const anonymous = await request.get('/api/catalog/entities');
  expect(anonymous.status()).toBe(401);
  const token = await backstageToken(page, 'alice');
  const res = await request.get('/api/catalog/entities?filter=kind=group', {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status()).toBe(200);
  const names = (await res.json()).map((e: any) => e.metadata.name);
  expect(names).toEqual(expect.arrayContaining(['researchers', 'security-reviewers', 'platform-admins']));
});

test('the demo provider refuses someone who is not a demo user', async ({ request }) => {
  const res = await request.get('/api/auth/demo/refresh', {
    headers: { 'x-frontier-guard-demo-user': 'mallory' },
  });
  expect(res.status()).toBe(401);
});

test('every plugin route refuses an unauthenticated request with 401', async ({ request }) => {
  const routes: Array<[method: 'get' | 'post', path: string]> = [
    ['get', '/api/catalog/entities'],
    ['get', '/api/kubernetes/clusters'],
    ['get', '/api/notifications'],
    ['get', '/api/user-settings/buckets/default/keys/theme'],
    ['post', '/api/permission/authorize'],
    ['get', '/api/model-scan/scans'],
    ['get', '/api/model-scan/stats'],
    ['get', '/api/model-scan/gate?target=hf%3A%2F%2Forg%2Frepo'],
    ['post', '/api/model-scan/scans'],
    ['get', '/api/model-scan/hf/api/models/org/repo'],
    ['get', '/api/access-requests/requests'],
    ['get', '/api/access-requests/grants'],
    ['get', '/api/access-requests/resources?query=weights'],
    ['post', '/api/access-requests/requests'],
    ['post', '/api/access-requests/break-glass'],
    ['get', '/api/audit/events'],
    ['get', '/api/audit/verify'],
  ];
  for (const [method, path] of routes) {
    const res = await request[method](path, method === 'post' ? { data: {} } : undefined);
    expect([method, path, res.status()]).toEqual([method, path, 401]);
  }
});

test('only security reviewers and admins read the audit trail, and its chain verifies', async ({ page, request }) => {
  const researcher = await backstageToken(page, 'alice');
  const denied = await request.get('/api/audit/events', { headers: { authorization: `Bearer ${researcher}` } });
  expect(denied.status()).toBe(403);

  const reviewer = await backstageToken(page, 'bob');
  const events = await request.get('/api/audit/events?limit=50', { headers: { authorization: `Bearer ${reviewer}` } });
  expect(events.status()).toBe(200);
  const body = await events.json();
  // The researcher's refused attempt above is itself in the trail.
  expect(JSON.stringify(body)).toContain('user:default/alice');

  const verify = await request.get('/api/audit/verify', { headers: { authorization: `Bearer ${reviewer}` } });
  expect(verify.status()).toBe(200);
  expect((await verify.json()).ok).toBe(true);
});
