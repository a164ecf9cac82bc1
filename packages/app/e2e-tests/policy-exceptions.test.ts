import { test, expect, Page } from '@playwright/test';
import { DemoUser, backstageToken, signInAs } from './helpers';

// A real failing egress finding of the weight inventory's demo data: the demo cluster "training"
// has no default-deny egress NetworkPolicy in its high-risk namespace research-sandbox. The key is
// the one the inventory produces; the request form offers it from the inventory's open findings.
const ENTITY = 'resource:default/cluster-training';
const POSTURE_TAB = '/catalog/default/resource/cluster-training/posture';
const EXCEPTIONS_TAB = '/catalog/default/resource/cluster-training/exceptions';
const CONTROL = 'FG-K8S-EGRESS-DENY';
const FINDING = `${CONTROL}:k8s/Namespace/research-sandbox`;

/** Reloads `url` until `check` passes: the inventory refreshes and the catalog ingests on a schedule. */
async function eventually(page: Page, url: string, check: () => Promise<void>, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url);
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await page.waitForTimeout(3000);
    }
  }
}

async function headers(page: Page, user: DemoUser) {
  return { authorization: `Bearer ${await backstageToken(page, user)}` };
}

async function approveAs(page: Page, user: DemoUser, exceptionId: string) {
  await signInAs(page, user);
  await page.goto('/policy-exceptions?view=queue');
  await expect(page.getByTestId('exception-link').first()).toBeVisible();
  await page.goto(`/policy-exceptions/exceptions/${encodeURIComponent(exceptionId)}`);
  await page.getByTestId('approve-button').click();
  await page.getByTestId('reason-confirm').click();
  await expect(page.getByTestId('action-message')).toContainText('Your approval is recorded');
}

test('exception for a failing egress check: filed with a compensating control, two reviewers approve, the finding shows excepted until the clock passes its end', async ({
  page,
}) => {
  test.setTimeout(330_000);

  // --- the finding fails on the cluster's posture tab (failing first, one page), open ----------
  await signInAs(page, 'alice');
  const status = page.getByTestId(`finding-status-${FINDING}`);
  await eventually(page, POSTURE_TAB, async () => {
    await expect(status).toBeVisible({ timeout: 5000 });
  });
  await expect(status).toContainText('fail');
  await expect(status).toContainText('open');

  // --- alice files the exception, picking the finding the inventory reports -----------------
  await page.goto(`/policy-exceptions/new?entityRef=${encodeURIComponent(ENTITY)}&controlId=${CONTROL}`);
  await expect(page.getByTestId('entity-input')).toHaveValue(ENTITY);
  await page.getByTestId(`finding-${FINDING}`).click();
  await page.getByTestId('justification-input').fill('The RL team mirrors a public dataset from data.example.org for this benchmark.');
  await page.locator('[aria-labelledby^="likelihood-label"]').click();
  await page.getByTestId('likelihood-high').click();
  await expect(page.getByTestId('approvals-needed')).toHaveText('Two different security reviewers must approve.');
  await page.getByTestId('add-catalog-control').click();
  await page.getByTestId('compensating-0').locator('[role="button"]').first().click();
  await page.getByTestId('compensating-option-FG-WEIGHTS-DETECTIVE').click();
  await page.getByRole('button', { name: '7 days' }).click();
  await page.getByTestId('submit-exception').click();

  await page.waitForURL(/\/policy-exceptions\/exceptions\/[^/?]+/, { timeout: 30_000 });
  const exceptionId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  await expect(page.getByTestId('created-message')).toContainText('Two different reviewers must approve');
  await expect(page.getByTestId('coverage')).toContainText('its findings stay open until it is approved');
  // the requester is offered no approval, and the backend refuses one anyway
  await expect(page.getByTestId('approve-button')).toHaveCount(0);
  const selfApproval = await page.request.post(`/api/policy-exceptions/exceptions/${exceptionId}/reviews`, {
    headers: await headers(page, 'alice'),
    data: { decision: 'approve' },
  });
  expect(selfApproval.status()).toBe(403);

  // the finding is open on the posture tab while the exception waits
  await page.goto(POSTURE_TAB);
  await expect(status).toContainText('open');
  await expect(status.getByTestId('excepted-chip')).toHaveCount(0);

  // --- bob is notified; the notification's link opens the exception page ----------------------
  await signInAs(page, 'bob');
  await page.goto('/notifications');
  const note = page.getByText(/asks for an exception to "Deny-by-default egress with an allowlist" \(high risk\); 2 approvals needed/).first();
  await expect(note).toBeVisible({ timeout: 30_000 });
  await note.click();
  await page.waitForURL(new RegExp(`/policy-exceptions/exceptions/${exceptionId}$`), { timeout: 30_000 });
  await expect(page.getByTestId('approve-button')).toBeVisible();

  // --- two security reviewers approve -------------------------------------------------------
  await approveAs(page, 'bob', exceptionId);
  await expect(page.getByTestId('review-state')).toContainText('1 of 2 approvals');
  await approveAs(page, 'carol', exceptionId);
  await expect(page.getByTestId('status-active')).toBeVisible();
  await expect(page.getByTestId('coverage')).toContainText('excepted until');

  // --- the finding shows as excepted on the posture tab, until …, by both reviewers; still failing
  await signInAs(page, 'alice');
  await page.goto(POSTURE_TAB);
  await expect(status.getByTestId('excepted-chip')).toBeVisible();
  const coverage = status.getByTestId('finding-coverage');
  await expect(coverage).toContainText('excepted until');
  await expect(coverage).toContainText('bob');
  await expect(coverage).toContainText('carol');
  await expect(status).toContainText('fail');
  await expect(status).not.toContainText('pass');
  await expect(page.getByText(/failing \(1 excepted\)/)).toBeVisible();
  // the entity's Exceptions tab gives the same answer
  await page.goto(EXCEPTIONS_TAB);
  await expect(page.getByRole('row').filter({ hasText: FINDING }).getByTestId('coverage-excepted')).toContainText('until in 7 d');

  // --- the clock moves past the end (test-only endpoint; refused to researchers) ------------
  const refused = await page.request.post('/api/policy-exceptions/admin/clock', {
    headers: await headers(page, 'alice'),
    data: { advanceSeconds: 9 * 86_400 },
  });
  expect(refused.status()).toBe(403);
  const moved = await page.request.post('/api/policy-exceptions/admin/clock', {
    headers: await headers(page, 'dave'),
    data: { advanceSeconds: 9 * 86_400 },
  });
  expect(moved.status()).toBe(200);

  // --- the finding is open again on the next read; the exception reads expired ----------------
  await page.goto(POSTURE_TAB);
  await expect(status).toContainText('open');
  await expect(status.getByTestId('excepted-chip')).toHaveCount(0);
  await expect(page.getByText(/excepted\)/)).toHaveCount(0);
  await page.goto(`/policy-exceptions/exceptions/${encodeURIComponent(exceptionId)}`);
  await expect(page.getByTestId('status-expired')).toBeVisible();
  await expect(page.getByTestId('coverage')).toContainText('It has ended: its findings are open again.');
});
