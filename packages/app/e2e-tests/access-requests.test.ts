import { test, expect, Page } from '@playwright/test';
import { backstageToken, signInAs } from './helpers';

const RESOURCE = 'resource:default/weights-frontier-7b';
const DURATION_MINUTES = 60;

async function api(page: Page, user: 'alice' | 'bob' | 'carol' | 'dave') {
  const token = await backstageToken(page, user);
  return { authorization: `Bearer ${token}` };
}

test('weight-store access: request, self-approval refused, two reviewers approve, grant expires and is deprovisioned', async ({
  page,
}) => {
  test.setTimeout(240_000);

  // --- alice finds the weight store and requests the reader role -------------------------
  await signInAs(page, 'alice');
  await page.goto('/access');
  await page
    .getByLabel('Describe the resource and what you need to do')
    .fill('read the frontier 7b model weights for an evaluation run');
  await page.getByRole('button', { name: 'Search', exact: true }).click();

  await expect(page.getByTestId('role-suggestion')).toBeVisible();
  const result = page.locator(
    `[data-testid="resource-result"][data-entity-ref="${RESOURCE}"]`,
  );
  await expect(result).toBeVisible();
  await result.getByRole('button', { name: /Request access/ }).click();

  const form = page.getByTestId('request-form');
  await expect(form).toBeVisible();
  await form.getByTestId('request-role-select').click();
  await page.getByRole('option', { name: /Storage Blob Data Reader/ }).click();
  await form.getByLabel('Duration (minutes)').fill(String(DURATION_MINUTES));
  await form.getByLabel(/Justification/).fill('Evaluate the 7B checkpoint on the held-out set');
  await form.getByRole('button', { name: 'Submit request' }).click();

  await page.waitForURL(/\/access\/requests\/[^/]+$/, { timeout: 30_000 });
  const requestId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  await expect(page.getByTestId('request-status')).toHaveAttribute('data-status', 'pending');
  await expect(page.getByTestId('remaining-approvals')).toHaveAttribute('data-missing', '2');

  // --- alice may not approve her own request: the page does not offer it; the backend refuses --
  await expect(page.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);
  const selfReview = await page.request.post(`/api/access-requests/requests/${encodeURIComponent(requestId)}/reviews`, {
    headers: await api(page, 'alice'),
    data: { decision: 'approve' },
  });
  expect(selfReview.status()).toBe(403);
  await page.reload();
  await expect(page.getByTestId('request-status')).toHaveAttribute('data-status', 'pending');
  await expect(page.getByTestId('remaining-approvals')).toHaveAttribute('data-missing', '2');

  // --- bob approves from his inbox --------------------------------------------------------
  await signInAs(page, 'bob');
  await page.goto('/access/inbox');
  const bobItem = page.locator(`[data-testid="inbox-item"][data-request-id="${requestId}"]`);
  await expect(bobItem).toBeVisible();
  // The reviewer sees the frozen policy and what is still needed, from whom.
  await bobItem.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByTestId('approve-dialog').getByLabel('Comment (optional)').fill('Evaluation use, read only');
  await page.getByTestId('approve-dialog').getByRole('button', { name: 'Approve' }).click();
  // Once decided by bob, the request leaves his inbox (he cannot review it twice).
  await expect(bobItem).toHaveCount(0);
  await page.goto(`/access/requests/${encodeURIComponent(requestId)}`);
  await expect(page.getByTestId('remaining-approvals')).toHaveAttribute('data-missing', '1');
  await expect(page.getByTestId('request-status')).toHaveAttribute('data-status', 'pending');

  // --- carol approves: the request is approved and the grant is provisioned -----------------
  await signInAs(page, 'carol');
  await page.goto('/access/inbox');
  const carolItem = page.locator(`[data-testid="inbox-item"][data-request-id="${requestId}"]`);
  await expect(carolItem).toBeVisible();
  await carolItem.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByTestId('approve-dialog').getByRole('button', { name: 'Approve' }).click();
  await expect(carolItem).toHaveCount(0);

  // --- alice sees the active grant with its time left --------------------------------------
  await signInAs(page, 'alice');
  const aliceHeaders = await api(page, 'alice');
  const detail = await page.request.get(
    `/api/access-requests/requests/${encodeURIComponent(requestId)}`,
    { headers: aliceHeaders },
  );
  expect(detail.status()).toBe(200);
  const { request } = await detail.json();
  expect(request.status).toBe('approved');
  const grantId: string = request.grantId;
  expect(grantId).toBeTruthy();

  await page.goto('/access/requests');
  const state = page.locator(`[data-testid="grant-state"][data-grant-id="${grantId}"]`);
  const timeLeft = page.locator(`[data-testid="grant-time-left"][data-grant-id="${grantId}"]`);
  await expect(state).toHaveAttribute('data-status', 'active');
  await expect(timeLeft).toHaveText(/^(\d+m \d+s|\d+h \d+m|\d+s) left$/);

  // --- the clock moves past expiry (test-only admin endpoint; only platform admins) ----------
  const refused = await page.request.post('/api/access-requests/admin/clock', {
    headers: aliceHeaders,
    data: { advanceSeconds: DURATION_MINUTES * 60 + 60 },
  });
  expect(refused.status()).toBe(403);
  const daveHeaders = await api(page, 'dave');
  const moved = await page.request.post('/api/access-requests/admin/clock', {
    headers: daveHeaders,
    data: { advanceSeconds: DURATION_MINUTES * 60 + 60 },
  });
  expect(moved.status()).toBe(200);

  // --- alice sees the grant expired and deprovisioned -------------------------------------
  await expect(async () => {
    await page.goto('/access/requests');
    await expect(state).toHaveAttribute('data-status', 'expired', { timeout: 5_000 });
    await expect(
      page.locator(`[data-testid="grant-provisioning"][data-grant-id="${grantId}"]`),
    ).toHaveAttribute('data-state', 'deprovisioned', { timeout: 5_000 });
  }).toPass({ timeout: 60_000 });
  await expect(timeLeft).toHaveText('expired');
});
