import { test, expect, Page } from '@playwright/test';
import { backstageToken, signInAs } from './helpers';

const FAILING = 'storage-evalcheckpoints';
const FAILING_REF = `resource:default/${FAILING}`;

async function auth(page: Page, user: 'alice' | 'bob' | 'carol' | 'dave') {
  return { authorization: `Bearer ${await backstageToken(page, user)}` };
}

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

test('weight inventory: demo stores listed, failing posture with remediation, access tab shows a new grant', async ({ page }) => {
  test.setTimeout(300_000);
  await signInAs(page, 'alice');

  // --- the inventory lists the demo stores, failing first, labelled as demo ----------------
  await eventually(page, '/weight-inventory', async () => {
    await expect(page.getByRole('link', { name: 'legacyweights' })).toBeVisible({ timeout: 5000 });
  });
  for (const name of ['legacyweights', 'evalcheckpoints', 'frontierweights', 'training']) {
    await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  }
  await expect(page.getByTestId('demo-banner')).toBeVisible();
  await expect(page.getByTestId(`failing-${FAILING}`)).toContainText('high');
  // a researcher may not start a refresh, so the button is not offered
  await expect(page.getByRole('button', { name: /Refresh now/ })).toHaveCount(0);

  // --- the failing store's posture tab: failing checks with evidence and remediation --------
  await eventually(page, `/catalog/default/resource/${FAILING}/posture`, async () => {
    await expect(page.getByTestId('posture-findings')).toBeVisible({ timeout: 5000 });
  });
  const findings = page.getByTestId('posture-findings');
  const publicNetwork = findings.locator('tr', { hasText: 'FG-STORAGE-PUBLIC-NETWORK' });
  await expect(publicNetwork).toContainText('fail');
  await expect(publicNetwork).toContainText('properties.publicNetworkAccess');
  await expect(publicNetwork.getByTestId('remediation')).toContainText('publicNetworkAccess to "Disabled"');
  await expect(findings.locator('tr', { hasText: 'FG-STORAGE-SHARED-KEY' })).toContainText('fail');
  await expect(findings.locator('tr', { hasText: 'FG-K8S-PRIVATE-LINK' })).toContainText('Pending');

  // --- a grant made now: alice asks for blob-reader, two security reviewers approve ---------
  const created = await page.request.post('/api/access-requests/requests', {
    headers: await auth(page, 'alice'),
    data: { resourceRef: FAILING_REF, roleId: 'blob-reader', durationMinutes: 60, justification: 'Compare eval checkpoints for the weight-inventory browser test' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const requestId = (await created.json()).request.id;
  for (const reviewer of ['bob', 'carol'] as const) {
    const review = await page.request.post(`/api/access-requests/requests/${encodeURIComponent(requestId)}/reviews`, {
      headers: await auth(page, reviewer),
      data: { decision: 'approve', comment: 'read-only evaluation' },
    });
    expect(review.ok(), await review.text()).toBeTruthy();
  }

  // --- the access (Grants) tab shows the grant: alice sees her own; a reviewer sees everyone's -------
  await page.goto(`/catalog/default/resource/${FAILING}/grants`);
  const grants = page.getByTestId('access-grants');
  await expect(grants).toContainText('Alice', { timeout: 30_000 });
  await expect(grants).toContainText('blob-reader');
  await expect(grants.getByTestId('grant-until')).toHaveCount(1);

  await signInAs(page, 'bob');
  await page.goto(`/catalog/default/resource/${FAILING}/grants`);
  await expect(page.getByTestId('access-grants')).toContainText('Alice', { timeout: 30_000 });
  await expect(page.getByTestId('access-grants')).not.toContainText('You see your own grants');

  // --- the weights tab lists the files of the store ----------------------------------------
  await page.goto(`/catalog/default/resource/${FAILING}/weights`);
  await expect(page.getByText('step-12000/checkpoint.ckpt')).toBeVisible({ timeout: 30_000 });
});
