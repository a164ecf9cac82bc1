import { test, expect, Page, TestInfo } from '@playwright/test';
import { backstageToken, DemoUser, signInAs } from './helpers';

/**
 * The access-requests pages as a requester and a reviewer meet them: who was notified and how
 * long it usually takes after submitting, bulk approval in the reviewer inbox (with a refusal
 * shown per request), how to use a grant, and the resource's access timeline and history
 * (requests too, per the read rule). 1440×900 screenshots are kept in the HTML report.
 */
const RESOURCE = 'resource:default/weights-frontier-7b';
const ACCESS_TAB = '/catalog/default/resource/weights-frontier-7b/access';

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForTimeout(500);
  await testInfo.attach(`${name}.png`, { body: await page.screenshot({ fullPage: false }), contentType: 'image/png' });
}

async function headers(page: Page, user: DemoUser) {
  return { authorization: `Bearer ${await backstageToken(page, user)}` };
}

async function ask(page: Page, user: DemoUser, justification: string, roleId = 'blob-reader'): Promise<string> {
  const res = await page.request.post('/api/access-requests/requests', {
    headers: await headers(page, user),
    data: { resourceRef: RESOURCE, roleId, durationMinutes: 60, justification },
  });
  expect(res.status()).toBe(201);
  return (await res.json()).request.id;
}

async function review(page: Page, user: DemoUser, id: string, decision: 'approve' | 'deny', comment?: string) {
  const res = await page.request.post(`/api/access-requests/requests/${encodeURIComponent(id)}/reviews`, {
    headers: await headers(page, user),
    data: { decision, ...(comment ? { comment } : {}) },
  });
  expect(res.status()).toBe(200);
  return (await res.json()).request;
}

test.describe.configure({ mode: 'serial' });

test('after submitting: who was notified and how long it usually takes; bulk approval in the inbox; how to use the grant; the access timeline and history', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1440, height: 900 });

  // --- an earlier decided request of alice's, so there is a decision time to report -----------
  const earlier = await ask(page, 'alice', 'Earlier evaluation run (decision-time history)');
  await review(page, 'bob', earlier, 'approve');
  await review(page, 'carol', earlier, 'approve');

  // --- alice submits through the form and is told who was notified and how long it takes ------
  await signInAs(page, 'alice');
  await page.goto(`/access?resource=${encodeURIComponent(RESOURCE)}`);
  const form = page.getByTestId('request-form');
  await expect(form).toBeVisible();
  await form.getByLabel(/Justification/).fill('Evaluate the 7B checkpoint on the held-out set');
  await form.getByRole('button', { name: 'Submit request' }).click();
  await page.waitForURL(/\/access\/requests\/[^/?]+\?submitted=1$/, { timeout: 30_000 });
  const submitted = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  const confirmation = page.getByTestId('submitted-confirmation');
  await expect(confirmation.getByTestId('notified-approvers')).toContainText('Sent to Bob Reviewer and Carol Reviewer');
  await expect(confirmation.getByTestId('notified-approvers')).toContainText('2 approvals needed');
  await expect(confirmation).not.toContainText('user:default/');
  await expect(confirmation.getByTestId('decision-time')).toHaveAttribute('data-basis', 'resource');
  await expect(confirmation.getByTestId('decision-time')).toContainText('usually decided within');
  await shot(page, testInfo, 'request-submitted-alice');

  // --- more requests: erin's, a high-risk (write) one, and bob's own ---------------------------
  const second = await ask(page, 'alice', 'Second evaluation run (bulk approval)');
  const erins = await ask(page, 'erin', 'Erin: tokenizer study (bulk approval, withdrawn meanwhile)');
  const risky = await ask(page, 'alice', 'Write access to fix a corrupt shard', 'blob-contributor');
  const bobs = await ask(page, 'bob', 'Bob asks too (never in his own inbox)');

  // --- bob selects the safe ones and approves them together -----------------------------------
  await signInAs(page, 'bob');
  await page.goto('/access/inbox');
  const box = (id: string) => page.locator(`[data-testid="bulk-select"][data-request-id="${id}"]`);
  await expect(box(submitted)).toBeEnabled();
  await expect(box(risky)).toBeDisabled(); // high-risk: one at a time
  await expect(box(bobs)).toHaveCount(0); // his own request is not his to decide
  for (const id of [submitted, second, erins]) await box(id).check();
  await expect(page.getByTestId('bulk-count')).toHaveAttribute('data-count', '3');
  await shot(page, testInfo, 'inbox-bulk-selection-bob');
  await page.getByTestId('bulk-approve').click();
  const dialog = page.getByTestId('bulk-approve-dialog');
  await expect(dialog.getByText('Approve 3 requests?')).toBeVisible();
  await expect(dialog.getByTestId('bulk-approve-list').locator('li')).toHaveCount(3);
  await expect(dialog.getByRole('button', { name: /^Deny/ })).toHaveCount(0);
  // meanwhile erin withdraws hers: that one approval is refused by the backend, the others go through
  const withdrawn = await page.request.post(`/api/access-requests/requests/${encodeURIComponent(erins)}/withdraw`, {
    headers: await headers(page, 'erin'),
    data: {},
  });
  expect(withdrawn.status()).toBe(200);
  await dialog.getByLabel('Comment (optional)').fill('Evaluation runs, read only');
  await dialog.getByRole('button', { name: 'Approve 3 requests' }).click();
  const result = (id: string) => page.locator(`[data-testid="bulk-result"][data-request-id="${id}"]`);
  await expect(result(submitted)).toHaveAttribute('data-ok', 'true');
  await expect(result(submitted)).toContainText('1 more approval needed');
  await expect(result(second)).toHaveAttribute('data-ok', 'true');
  await expect(result(erins)).toHaveAttribute('data-ok', 'false');
  await expect(page.getByTestId('bulk-results')).toContainText('2 of 3 approved; 1 refused');
  await shot(page, testInfo, 'inbox-bulk-results-bob');
  // decided by bob: gone from his inbox
  await expect(page.locator(`[data-testid="inbox-item"][data-request-id="${submitted}"]`)).toHaveCount(0);

  // --- carol completes alice's request; bob denies the second; dave uses and ends break-glass -----
  const approved = await review(page, 'carol', submitted, 'approve');
  expect(approved.status).toBe('approved');
  const denied = await review(page, 'carol', second, 'deny', 'One evaluation run at a time');
  expect(denied.status).toBe('denied');
  const bg = await page.request.post('/api/access-requests/break-glass', {
    headers: await headers(page, 'dave'),
    data: { resourceRef: RESOURCE, roleId: 'blob-reader', durationMinutes: 30, justification: 'Incident INC-91: restore eval shard' },
  });
  expect(bg.status()).toBe(201);
  const bgId = (await bg.json()).grant.id as string;
  const revoked = await page.request.post(`/api/access-requests/grants/${encodeURIComponent(bgId)}/revoke`, {
    headers: await headers(page, 'dave'),
    data: { reason: 'Incident closed' },
  });
  expect(revoked.status()).toBe(200);

  // --- alice: how to use the access, on the request page and the grant page ----------------------
  // The pages decide "active" with the browser's clock; other browser tests may have moved the
  // backend's test clock forward, so the browser reads the backend's time from here on.
  const clock = await page.request.get('/api/access-requests/admin/clock', { headers: await headers(page, 'dave') });
  expect(clock.status()).toBe(200);
  const { offsetSeconds, now: serverNow } = await clock.json();
  if (offsetSeconds > 0) await page.clock.install({ time: new Date(serverNow) });
  await signInAs(page, 'alice');
  await expect(async () => {
    await page.goto(`/access/requests/${encodeURIComponent(submitted)}`);
    await expect(page.getByTestId('usage-instructions')).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId('usage-instructions')).toContainText('https://frontierweights.blob.core.windows.net/frontier-7b');
  await expect(page.getByTestId('usage-instructions')).toContainText('az storage blob list --account-name frontierweights --container-name frontier-7b');
  await page.getByText('Open the access granted').click();
  await expect(page).toHaveURL(new RegExp(`/access/grants/${approved.grantId}$`));
  await expect(page.getByTestId('usage-instructions')).toContainText('https://frontierweights.blob.core.windows.net/frontier-7b');

  // --- alice's Access tab: her own grants and requests only (no read-all) ------------------------
  await page.goto(ACCESS_TAB);
  const entry = (id: string) => page.locator(`[data-testid="timeline-entry"][data-grant-id="${id}"]`);
  await expect(page.getByTestId('access-timeline')).toBeVisible();
  await expect(entry(approved.grantId)).toBeVisible();
  await expect(entry(bgId)).toHaveCount(0);
  const historyRow = (id: string, event: string) =>
    page.locator(`[data-testid="history-row"][data-request-id="${id}"][data-event="${event}"]`);
  await expect(historyRow(second, 'request-denied')).toBeVisible();
  await expect(historyRow(second, 'review-deny')).toContainText('One evaluation run at a time');
  await expect(historyRow(erins, 'request-created')).toHaveCount(0);

  // --- bob (read-all): everyone's access, break-glass marked and revoked; erin's withdrawn request --
  await signInAs(page, 'bob');
  await page.goto(ACCESS_TAB);
  await expect(entry(bgId)).toHaveAttribute('data-break-glass', 'true');
  await expect(page.locator(`[data-testid="timeline-end"][data-grant-id="${bgId}"]`)).toHaveAttribute('data-ended', 'revoked');
  await expect(page.locator(`[data-testid="timeline-end"][data-grant-id="${bgId}"]`)).toContainText('Incident closed');
  await expect(entry(approved.grantId)).toHaveAttribute('data-break-glass', 'false');
  await expect(page.locator('[data-testid="history-row"][data-event="request-withdrawn"]').first()).toBeVisible();
  await page.getByTestId('access-timeline').scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'access-timeline-bob');
});

test('the request page speaks in words: policy titles and what roles allow, the exact values on hover', async ({ page }, testInfo) => {
  await signInAs(page, 'alice');
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto('/access');
  // the sidebar's "Access" leads here, and the page is titled so (the tab says which part)
  await expect(page.getByRole('heading', { level: 1 }).first()).toHaveText('Access');
  await expect(page.getByTestId('access-tab-find')).toHaveAttribute('aria-selected', 'true');

  const cluster = page.locator('[data-testid="resource-result"][data-entity-ref="resource:default/training-cluster"]');
  await expect(cluster).toBeVisible();
  await expect(cluster.getByTestId('policy-title')).toHaveText('Training cluster');
  await expect(cluster.getByTestId('policy-kind')).toHaveText(/^fixed approvers/);
  await expect(cluster.getByTestId('policy-kind')).toHaveAttribute('data-kind', 'rigid');
  const viewer = cluster.getByTestId('allowed-action').first();
  await expect(viewer).toHaveText('Read and list pods');
  await expect(viewer).toHaveAttribute('data-permissions', 'pods:get pods:list');
  await expect(cluster.getByTestId('allowed-action').filter({ hasText: /^Full control/ })).toHaveCount(1);
  // no policy ids, kinds or raw verbs in the text
  await expect(cluster).not.toContainText('training-cluster');
  await expect(cluster).not.toContainText('pods:get');
  await expect(cluster).not.toContainText('(rigid)');
  // approval steps name groups by their catalog title; the ref stays in data-group
  const reviewersStep = cluster.locator('[data-testid="approval-step"][data-group="group:default/security-reviewers"]');
  await expect(reviewersStep.first()).toHaveText(/^\d from Security reviewers$/);
  await expect(cluster).not.toContainText('security-reviewers');
  // the exact value is one hover away
  await viewer.hover();
  await expect(page.getByRole('tooltip')).toHaveText('Policy value: pods:get, pods:list');
  await shot(page, testInfo, 'find-resources-in-words-alice');

  // the request form says the same
  await page.locator(`[data-testid="resource-result"][data-entity-ref="${RESOURCE}"]`).getByRole('button', { name: /Request access/ }).click();
  const form = page.getByTestId('request-form');
  await form.getByTestId('request-role-select').click();
  await page.getByRole('option', { name: /Storage Blob Data Reader/ }).click();
  await expect(form.getByTestId('allowed-actions')).toHaveText('Read and list files');
  await expect(form).not.toContainText('blob:read');
  await expect(form).toContainText('Needs 2 from Security reviewers.');
  await expect(form).not.toContainText('security-reviewers');
  await shot(page, testInfo, 'request-form-in-words-alice');

  // a refusal the portal passes on names the policy by its title; its id is in the error body
  const refused = await page.request.post('/api/access-requests/break-glass', {
    headers: await headers(page, 'dave'),
    data: { resourceRef: 'resource:default/weights-frontier-70b', roleId: 'blob-reader', durationMinutes: 10, justification: 'Checking the refusal wording' },
  });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error).toMatchObject({
    message: 'the Frontier 70B weights policy does not allow break-glass access',
    ids: { policy: 'weights-frontier-70b' },
  });
});
