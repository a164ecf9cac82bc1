import { expect, Page } from '@playwright/test';

export type DemoUser = 'alice' | 'erin' | 'bob' | 'carol' | 'dave';

const DISPLAY: Record<DemoUser, string> = {
  alice: 'Alice',
  erin: 'Erin',
  bob: 'Bob',
  carol: 'Carol',
  dave: 'Dave',
};

/** Signs the browser out of any demo session and in as `user`, then waits for the portal. */
export async function signInAs(page: Page, user: DemoUser) {
  await signOut(page);
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${DISPLAY[user]}` }).click();
  // The signed-in portal shows its sidebar (the demo sign-in page has none).
  await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();
}

/** Forgets the demo user; the next page load shows the demo sign-in page. */
export async function signOut(page: Page) {
  await page.context().clearCookies();
  if (page.url().startsWith('http')) {
    await page.evaluate(() => window.localStorage.clear());
  } else {
    await page.goto('/');
    await page.evaluate(() => window.localStorage.clear());
  }
}

/** The Backstage token of the signed-in demo user, for API calls from a test. */
export async function backstageToken(page: Page, user: DemoUser): Promise<string> {
  const res = await page.request.get('/api/auth/demo/refresh', {
    headers: { 'x-frontier-guard-demo-user': user },
  });
  expect(res.ok()).toBeTruthy();
  return (await res.json()).backstageIdentity.token;
}

/** Opens the notifications page and follows the notification whose title matches, in the same tab. */
export async function followNotification(page: Page, title: RegExp) {
  await page.goto('/notifications');
  const link = page.getByRole('link', { name: title }).first();
  await expect(link).toBeVisible();
  expect(await link.getAttribute('target')).toBeNull();
  const pagesBefore = page.context().pages().length;
  await link.click();
  expect(page.context().pages().length).toBe(pagesBefore);
}
