import { test, expect, Page } from '@playwright/test';
import { DemoUser, backstageToken, signInAs } from './helpers';

// The weight store whose egress check fails. The posture tab of the weight-inventory family is
// not in the portal yet, so the finding is shown (and checked) on the entity's Exceptions tab,
// which lists the entity's findings with what isExcepted says of each.
const ENTITY = 'resource:default/research-sandbox-namespace';
const ENTITY_PAGE = '/catalog/default/resource/research-sandbox-namespace/exceptions';
const CONTROL = 'FG-K8S-EGRESS-ALLOWLIST';
const FINDING = `${CONTROL}:k8s/research-sandbox/NetworkPolicy/egress-data-example-org`;

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
  test.setTimeout(240_000);

  // --- alice files the exception from the entity's Exceptions tab ---------------------------
  await signInAs(page, 'alice');
  await page.goto(
    `/policy-exceptions/new?entityRef=${encodeURIComponent(ENTITY)}&controlId=${CONTROL}&findingKey=${encodeURIComponent(FINDING)}`,
  );
  await expect(page.getByTestId('entity-input')).toHaveValue(ENTITY);
  await expect(page.getByTestId('finding-key-input')).toHaveValue(FINDING);
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

  // the finding is open on the entity's tab while the exception waits
  await page.goto(ENTITY_PAGE);
  const row = page.getByRole('row').filter({ hasText: FINDING });
  await expect(row.getByTestId('coverage-open')).toBeVisible();

  // --- bob is notified; the notification's link opens the exception page ----------------------
  await signInAs(page, 'bob');
  await page.goto('/notifications');
  const note = page.getByText(/asks for an exception to "Egress only to allowlisted destinations" \(high risk\); 2 approvals needed/).first();
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

  // --- the finding shows as excepted, until …, by both reviewers -----------------------------
  await signInAs(page, 'alice');
  await page.goto(ENTITY_PAGE);
  const covered = page.getByRole('row').filter({ hasText: FINDING }).getByTestId('coverage-excepted');
  await expect(covered).toBeVisible();
  await expect(covered).toContainText('until in 7 d');
  await expect(covered).toContainText('Bob');
  await expect(covered).toContainText('Carol');

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
  await page.goto(ENTITY_PAGE);
  await expect(page.getByRole('row').filter({ hasText: FINDING }).getByTestId('coverage-open')).toBeVisible();
  await page.goto(`/policy-exceptions/exceptions/${encodeURIComponent(exceptionId)}`);
  await expect(page.getByTestId('status-expired')).toBeVisible();
  await expect(page.getByTestId('coverage')).toContainText('It has ended: its findings are open again.');
});
