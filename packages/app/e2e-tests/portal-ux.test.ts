import { test, expect, Page, TestInfo } from '@playwright/test';
import { backstageToken, DemoUser, signInAs } from './helpers';

const RESOURCE = 'resource:default/weights-frontier-7b';

/** A 1440×900 screenshot kept in the HTML test report (e2e-test-report) as an attachment. */
async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForTimeout(500);
  const body = await page.screenshot({ fullPage: false });
  await testInfo.attach(`${name}.png`, { body, contentType: 'image/png' });
}

async function headers(page: Page, user: DemoUser) {
  return { authorization: `Bearer ${await backstageToken(page, user)}` };
}

async function createRequest(page: Page, justification: string) {
  const res = await page.request.post('/api/access-requests/requests', {
    headers: await headers(page, 'alice'),
    data: { resourceRef: RESOURCE, roleId: 'blob-reader', durationMinutes: 60, justification },
  });
  expect(res.ok()).toBeTruthy();
  return (await res.json()).request.id as string;
}

/** Opens the notifications page and clicks the notification whose title matches, in the same tab. */
async function clickNotification(page: Page, title: RegExp) {
  await page.goto('/notifications');
  const link = page.getByRole('link', { name: title }).first();
  await expect(link).toBeVisible();
  expect(await link.getAttribute('target')).toBeNull();
  const pagesBefore = page.context().pages().length;
  await link.click();
  expect(page.context().pages().length).toBe(pagesBefore);
}

test.describe.configure({ mode: 'serial' });

test('notification links land on the request and grant pages; deny asks for a reason the requester sees', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  const requestId = await createRequest(page, 'Evaluate the 7B checkpoint (notification link test)');

  // --- bob (security reviewer) follows the "please review" notification -------------------------
  await signInAs(page, 'bob');
  await clickNotification(page, /Alice.* asks for .*Frontier|asks for/);
  await expect(page).toHaveURL(/\/access\/requests\/[^/]+$/);
  const landed = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  expect(landed).toBeTruthy();
  await page.goto(`/access/requests/${encodeURIComponent(requestId)}`);
  await expect(page.getByTestId('request-summary')).toBeVisible();
  // people by display name, not refs
  await expect(page.getByTestId('request-summary')).not.toContainText('user:default/');

  // --- deny needs a reason ---------------------------------------------------------------------
  await page.getByRole('button', { name: 'Deny', exact: true }).click();
  const dialog = page.getByTestId('deny-dialog');
  await expect(dialog.getByTestId('deny-consequence')).toContainText('Denying ends this request now');
  await dialog.getByRole('button', { name: 'Deny request' }).click();
  await expect(dialog.getByText('Please give a reason; the person concerned will see it.')).toBeVisible();
  await dialog.getByLabel('Reason (required)').fill('No ticket for this evaluation run');
  await dialog.getByRole('button', { name: 'Deny request' }).click();
  await expect(page.getByTestId('action-result')).toContainText('Denied');
  await expect(page.getByTestId('request-outcome')).toHaveAttribute('data-status', 'denied');
  // a decided request shows its outcome, not the approvals it still needed
  await expect(page.getByTestId('remaining-approvals')).toHaveCount(0);

  // --- alice follows the "denied" notification and sees the reason; no Approve for her ---------
  await signInAs(page, 'alice');
  await clickNotification(page, /denied your request/);
  await expect(page).toHaveURL(new RegExp(`/access/requests/${requestId}$`));
  await expect(page.getByTestId('denial-reason')).toContainText('No ticket for this evaluation run');
  await expect(page.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Deny', exact: true })).toHaveCount(0);
  await expect(page.getByText('Request again', { exact: true })).toBeVisible();

  // --- a pending request of alice: she sees Withdraw, not Approve; bob sees Approve, not Withdraw
  const pendingId = await createRequest(page, 'Second evaluation run (buttons test)');
  await page.goto(`/access/requests/${encodeURIComponent(pendingId)}`);
  await expect(page.getByRole('button', { name: 'Withdraw request' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);
  await shot(page, testInfo, 'request-page-requester');

  // --- break-glass by dave: the security reviewers' notification links to the grant page -------
  const bg = await page.request.post('/api/access-requests/break-glass', {
    headers: await headers(page, 'dave'),
    data: { resourceRef: RESOURCE, roleId: 'blob-reader', durationMinutes: 30, justification: 'Incident INC-77: restore eval data' },
  });
  expect(bg.ok()).toBeTruthy();
  const grantId = (await bg.json()).grant.id as string;

  await signInAs(page, 'bob');
  await page.goto(`/access/requests/${encodeURIComponent(pendingId)}`);
  await expect(page.getByRole('button', { name: 'Approve', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Withdraw request' })).toHaveCount(0);
  await clickNotification(page, /BREAK-GLASS/);
  await expect(page).toHaveURL(new RegExp(`/access/grants/${grantId}$`));
  await expect(page.getByTestId('grant-page')).toHaveAttribute('data-grant-id', grantId);

  // --- the reviewer inbox: a table, decision confirmed -----------------------------------------
  await page.goto('/access/inbox');
  const row = page.locator(`[data-testid="inbox-item"][data-request-id="${pendingId}"]`);
  await expect(row).toBeVisible();
  await shot(page, testInfo, 'inbox-bob');
  await row.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByTestId('approve-dialog').getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByTestId('inbox-decision-result')).toContainText('1 more approval needed');
  await expect(row).toHaveCount(0);
});

test('a missing id is a friendly not-found page with a way back', async ({ page }) => {
  await signInAs(page, 'alice');
  await page.goto('/access/requests/00000000-0000-0000-0000-000000000000');
  await expect(page.getByTestId('not-found')).toBeVisible();
  await expect(page.getByText(/Request failed|stack|Error:/)).toHaveCount(0);
  await page.getByText('Go to my access', { exact: true }).click();
  await expect(page).toHaveURL(/\/access\/requests$/);
  await page.goto('/access/grants/nope');
  await expect(page.getByTestId('not-found')).toBeVisible();
});

test('the audit page filters and exports, with the chain status', async ({ page }, testInfo) => {
  await signInAs(page, 'bob');
  await page.goto('/audit');
  await expect(page.getByTestId('chain-status')).toHaveAttribute('data-ok', 'true');
  await page.getByTestId('filter-event').fill('request-deny');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const outcomes = page.getByTestId('audit-outcome');
  await expect(outcomes.first()).toBeVisible();
  await expect(page.getByText('request deny').first()).toBeVisible();
  await expect(page.getByText('request create')).toHaveCount(0);
  await shot(page, testInfo, 'audit-page');
  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^audit-.*\.csv$/);
  await expect(page.getByTestId('export-result')).toContainText('Exported');
  // researchers get an explanation, not the trail
  await signInAs(page, 'alice');
  await page.goto('/audit');
  await expect(page.getByText('Only security reviewers and platform admins read the audit trail')).toBeVisible();
});

test('home answers "what needs me?" per role; screenshots of home and a scan page', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  await signInAs(page, 'alice');
  await expect(page.getByTestId('home-my-access')).toBeVisible();
  await shot(page, testInfo, 'home-researcher-alice');

  await signInAs(page, 'carol');
  await expect(page.getByTestId('home-pending-approvals')).toBeVisible();
  await shot(page, testInfo, 'home-reviewer-carol');

  await signInAs(page, 'dave');
  await expect(page.getByTestId('home-my-access')).toBeVisible();
  await shot(page, testInfo, 'home-admin-dave');

  // the controls catalog is one click away
  await page.getByRole('link', { name: 'controls catalog' }).click();
  await expect(page.getByRole('heading', { name: 'Controls', exact: true })).toBeVisible();
  await expect(page.getByText('Model scanning with safe/unsafe verdicts')).toBeVisible();

  await page.goto('/model-scan');
  const scanLink = page.getByTestId('scan-link').first();
  if (await scanLink.count()) {
    await scanLink.click();
    await expect(page.getByTestId('scan-status')).toBeVisible();
  }
  await shot(page, testInfo, 'scan-page');
});
