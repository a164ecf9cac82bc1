import { test, expect, Page, TestInfo } from '@playwright/test';
import { DemoUser, backstageToken, signInAs } from './helpers';
import {
  diagnosticBlobLog,
  firewallStructured,
  GiB,
  graphSignIn,
  hubbleFlow,
  k8sAudit,
} from '../../../plugins/detection-rules/src/testing/builders';

/**
 * Detections end to end: a day of logs from every kind of source, with a planted bulk download
 * of the Frontier 7B weights by Erin, who had no grant, is ingested as a service (the demo log
 * shipper's static external-access token). The alert shows on the dashboard; Bob (security
 * reviewer) acknowledges it, revokes the grant Erin obtained afterwards, and closes it with a
 * reason. Screenshots of the dashboard and the alert page at 1440×900 are kept in the report.
 */

// The demo log shipper's static external-access token (backend.auth.externalAccess of app-config.yaml;
// the production guard refuses it).
const INGEST_TOKEN = 'demo-log-shipper-token-not-secret';
const ERIN_UPN = 'erin@frontier-lab.example';
const ERIN_OID = '0f6d8a2e-1a1b-4c2d-9e3f-000000000e11';
const STORE_REF = 'resource:default/weights-frontier-7b';
const TRAINER_OID = '5d2f9a10-7c44-4b1e-9a6e-00000000c0de';

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForTimeout(500);
  const body = await page.screenshot({ fullPage: false });
  await testInfo.attach(`${name}.png`, { body, contentType: 'image/png' });
}

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function auth(page: Page, user: DemoUser) {
  return { authorization: `Bearer ${await backstageToken(page, user)}` };
}

/** A day of ordinary activity ending now, and the planted incident three hours ago. */
function sampleDay(now: number): Array<Record<string, unknown>> {
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const lines: Array<Record<string, unknown>> = [];
  const people = ['alice', 'bob', 'carol', 'dave', 'erin'];
  // sign-ins: everyone from London in the morning and after lunch; two mistyped passwords
  people.forEach((p, i) => {
    for (const minutesAgo of [1300 - i * 7, 900 - i * 11, 420 - i * 5]) {
      lines.push(graphSignIn({ time: at(minutesAgo), upn: `${p}@frontier-lab.example`, ip: `203.0.113.${10 + i}`, mfa: true }));
    }
  });
  lines.push(graphSignIn({ time: at(905), upn: 'carol@frontier-lab.example', ip: '203.0.113.12', errorCode: 50126 }));
  lines.push(graphSignIn({ time: at(610), upn: 'dave@frontier-lab.example', ip: '198.51.100.7', country: 'NL', city: 'Amsterdam', lat: 52.37, lon: 4.89, errorCode: 50126 }));
  lines.push(graphSignIn({ time: at(600), upn: 'dave@frontier-lab.example', ip: '198.51.100.7', country: 'NL', city: 'Amsterdam', lat: 52.37, lon: 4.89, mfa: true }));
  // the training job reads a few shards of the weights it is allowed to read (a workload, small)
  for (let i = 0; i < 6; i++) {
    lines.push(diagnosticBlobLog({ time: at(1200 - i * 90), account: 'frontierweights', container: 'frontier-7b', blob: `model-0000${i + 1}-of-00008.safetensors`, bytes: 2 * GiB, objectId: TRAINER_OID, appId: '8c1d4f0e-0000-4000-8000-000000000001', ip: '10.20.0.5' }));
  }
  // the cluster: the controller lists pods, a service account reads its config map
  for (let i = 0; i < 5; i++) {
    lines.push(k8sAudit({ time: at(1000 - i * 120), user: 'system:serviceaccount:kube-system:replicaset-controller', verb: 'list', resource: 'pods', namespace: 'training' }));
    lines.push(k8sAudit({ time: at(990 - i * 120), user: 'system:serviceaccount:training:trainer', verb: 'get', resource: 'configmaps', namespace: 'training', name: 'trainer-config' }));
  }
  // egress: the firewall denies unknown destinations; Cilium drops a research pod's call to a paste site
  for (let i = 0; i < 4; i++) {
    lines.push(firewallStructured({ time: at(800 - i * 60), src: '10.20.0.5', fqdn: i % 2 ? 'files.pythonhosted.example' : 'registry.npmjs.example', port: 443, action: 'Deny' }));
  }
  for (let i = 0; i < 3; i++) {
    lines.push(hubbleFlow({ time: at(500 - i * 2), ns: 'research-sandbox', pod: 'notebook-7d9f-abcde', srcIp: '10.244.1.17', dstIp: '104.20.1.1', dstName: 'pastebin.com', port: 443, verdict: 'DROPPED' }));
  }
  // planted: Erin, with no grant on the Frontier 7B weights, downloads all eight shards (32 GiB) in 40 minutes
  for (let i = 0; i < 8; i++) {
    lines.push(diagnosticBlobLog({ time: at(180 - i * 5), account: 'frontierweights', container: 'frontier-7b', blob: `model-0000${i + 1}-of-00008.safetensors`, bytes: 4 * GiB, upn: ERIN_UPN, objectId: ERIN_OID, ip: '203.0.113.14' }));
  }
  return lines;
}

test('detections: a planted bulk download by a user without a grant raises an alert; a reviewer acknowledges it, revokes the grant and closes it with a reason', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1440, height: 900 });

  // --- ingest the day as a service; a user token is refused -----------------------------------
  const ndjson = `${sampleDay(Date.now()).map(l => JSON.stringify(l)).join('\n')}\n`;
  await page.goto('/');
  const asUser = await page.request.post('/api/detections/ingest', {
    headers: { ...(await auth(page, 'dave')), 'content-type': 'application/x-ndjson' },
    data: ndjson,
  });
  expect(asUser.status()).toBe(403);
  const ingested = await page.request.post('/api/detections/ingest', {
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/x-ndjson' },
    data: ndjson,
  });
  expect(ingested.status(), await ingested.text()).toBe(200);
  const result = await ingested.json();
  expect(result.rejected).toEqual([]);
  expect(result.accepted).toBe(ndjson.trim().split('\n').length);
  expect(result.alertsOpened).toBeGreaterThanOrEqual(1);
  // re-delivery is idempotent
  const again = await page.request.post('/api/detections/ingest', {
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/x-ndjson' },
    data: ndjson,
  });
  expect((await again.json())).toMatchObject({ accepted: 0, alertsOpened: 0 });

  // --- a researcher sees no Detections entry and no alerts ------------------------------------
  await signInAs(page, 'alice');
  await expect(page.getByRole('link', { name: 'Catalog' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Detections' })).toHaveCount(0);
  await page.goto('/detections');
  await expect(page.getByTestId('forbidden')).toBeVisible();
  await page.goto('/catalog/default/resource/weights-frontier-7b/detections');
  await expect(page.getByTestId('forbidden')).toContainText('Only security reviewers and platform admins see detections');

  // --- after the download, Erin asked for access and two reviewers approved it ----------------
  const created = await page.request.post('/api/access-requests/requests', {
    headers: await auth(page, 'erin'),
    data: { resourceRef: STORE_REF, roleId: 'blob-reader', durationMinutes: 240, justification: 'Evaluate the 7B checkpoint against the new benchmark suite' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const requestId = (await created.json()).request.id;
  for (const reviewer of ['bob', 'carol'] as const) {
    const review = await page.request.post(`/api/access-requests/requests/${encodeURIComponent(requestId)}/reviews`, {
      headers: await auth(page, reviewer),
      data: { decision: 'approve', comment: 'evaluation run' },
    });
    expect(review.ok(), await review.text()).toBeTruthy();
  }

  // --- Bob, a security reviewer: the home card and the dashboard show the alert ---------------
  await signInAs(page, 'bob');
  await expect(page.getByTestId('home-detections')).toContainText('open alert');
  await page.getByRole('link', { name: 'Detections' }).click();
  await expect(page).toHaveURL(/\/detections/);
  await expect(page.getByTestId('chart-alerts-over-time')).toBeVisible();
  await expect(Number(await page.getByTestId('total-events').innerText())).toBeGreaterThan(0);
  const queue = page.getByTestId('alert-queue');
  // people and stores by display name (resolved from the catalog), the logs' names beneath
  const row = queue.locator('tr', { hasText: 'Weight store read by a principal with no active grant' }).filter({ hasText: 'Erin Researcher' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(ERIN_UPN);
  await expect(row.getByRole('link', { name: 'Frontier 7B weights' })).toBeVisible();
  await expect(queue.locator('tr', { hasText: 'Bulk read of a weight store' }).filter({ hasText: 'Erin Researcher' })).toHaveCount(1);
  await expect(queue).not.toContainText('user:default/');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, testInfo, 'detections-dashboard');
  // the lower half: top lists, sign-ins, egress, weight reads, then the queue
  await page.getByTestId('top-principals').scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'detections-dashboard-lower');
  // weight-store readers and top principals by display name, linked to the person's catalog page
  for (const id of ['chart-weight-reads', 'top-principals']) {
    const card = page.getByTestId(id);
    await expect(card.getByRole('link', { name: 'Erin Researcher' })).toHaveAttribute('href', /\/catalog\/default\/user\/erin$/);
    await expect(card).not.toContainText(ERIN_UPN);
  }
  await page.getByTestId('chart-weight-reads').scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'detections-dashboard-weight-reads');
  await queue.scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'detections-alert-queue');
  // the queue exports as CSV with its filters (every matching alert, not only the loaded page)
  const [download] = await Promise.all([page.waitForEvent('download'), queue.getByTestId('export-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/^alerts-.*\.csv$/);
  const csv = await streamText(await download.createReadStream());
  expect(csv.split('\r\n')[0]).toBe('id,severity,status,closeReason,title,rule,principal,principalRef,resource,resourceRef,count,firstSeen,lastSeen,assignee');
  expect(csv).toContain(`,${ERIN_UPN},user:default/erin,frontierweights/frontier-7b,${STORE_REF},`);
  await expect(queue.getByTestId('export-result')).toContainText(/Exported [1-9]\d* alerts? matching the filters/);

  // --- the alert page says what happened, with the events behind it ---------------------------
  await row.getByTestId('alert-link').click();
  await expect(page).toHaveURL(/\/detections\/alerts\//);
  const alertUrl = page.url();
  const summary = page.getByTestId('alert-summary');
  await expect(summary).toContainText('fired');
  // "… for Erin Researcher (erin@…) on Frontier 7B weights (frontierweights/frontier-7b)", names linking to the entities
  await expect(summary.getByRole('link', { name: 'Erin Researcher' })).toHaveAttribute('href', /\/catalog\/default\/user\/erin$/);
  await expect(summary.getByRole('link', { name: 'Frontier 7B weights' })).toHaveAttribute('href', /\/catalog\/default\/resource\/weights-frontier-7b$/);
  await expect(summary).toContainText(`Erin Researcher(${ERIN_UPN}) on Frontier 7B weights(frontierweights/frontier-7b)`);
  await expect(summary).not.toContainText('noGrant.');
  await expect(page.getByTestId('alert-events')).toContainText('GetBlob');
  await expect(page.getByTestId('status-new')).toBeVisible();

  // acknowledge
  await page.getByTestId('action-acknowledge').click();
  await page.getByTestId('acknowledge-comment').fill('Looking into the download with Erin.');
  await page.getByTestId('acknowledge-dialog-confirm').click();
  await expect(page.getByTestId('action-result')).toContainText('Acknowledged');
  await expect(page.getByTestId('status-acknowledged')).toBeVisible();
  await expect(page.getByTestId('action-acknowledge')).toHaveCount(0);

  // revoke the grant Erin holds on the store, with a reason
  await page.getByTestId('action-revoke').click();
  const revoke = page.getByTestId('revoke-dialog');
  await expect(revoke.getByTestId('revoke-grants')).toContainText('Erin');
  await expect(revoke.getByTestId('revoke-grants')).toContainText('Frontier 7B weights');
  await revoke.getByTestId('revoke-dialog-confirm').click();
  await expect(revoke.getByRole('alert')).toContainText('Give a reason');
  await revoke.getByTestId('revoke-reason').fill('Bulk download of all shards before access was approved.');
  await revoke.getByTestId('revoke-dialog-confirm').click();
  await expect(page.getByTestId('revoke-result')).toContainText('Revoked 1 grant');
  await expect(page.getByTestId('history-grants-revoked')).toContainText('Bulk download of all shards');
  // the grant is over in access-requests
  const grants = await page.request.get(`/api/access-requests/grants?scope=all&resourceRef=${encodeURIComponent(STORE_REF)}`, { headers: await auth(page, 'bob') });
  expect(grants.ok(), await grants.text()).toBeTruthy();
  const erinsGrants = ((await grants.json()).items as Array<{ userRef: string; status: string; active?: boolean }>).filter(g => g.userRef === 'user:default/erin');
  expect(erinsGrants.length).toBeGreaterThan(0);
  expect(erinsGrants.filter(g => g.active || g.status === 'active')).toEqual([]);

  // close with a reason (confirmation needs the reason and a comment)
  await page.getByTestId('action-close').click();
  const close = page.getByTestId('close-dialog');
  await close.getByTestId('close-dialog-confirm').click();
  await expect(close.getByRole('alert')).toContainText('Choose what the alert turned out to be');
  await close.getByTestId('close-reason-true_positive').check();
  await close.getByTestId('close-comment').fill('Confirmed with Erin and her lead; copies deleted, access revoked.');
  await close.getByTestId('close-dialog-confirm').click();
  await expect(page.getByTestId('action-result')).toContainText('Closed as true positive');
  await expect(page.getByTestId('history-closed')).toContainText('closed it as true positive');
  await expect(page.getByTestId('action-reopen')).toBeVisible();
  await expect(page.getByTestId('action-close')).toHaveCount(0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, testInfo, 'detections-alert');

  // --- the reload shows the same state; the original record of an event opens ----------------
  await page.goto(alertUrl);
  await expect(page.getByTestId('status-closed')).toBeVisible();
  await page.getByTestId('event-link').first().click();
  await expect(page).toHaveURL(/\/detections\/events\//);
  await expect(page.getByTestId('event-original')).toContainText('GetBlob');
  await expect(page.getByTestId('event-fields')).toContainText('Azure Storage blob logs');

  // --- the weight store's Detections tab lists its alerts for a reviewer ------------------------
  await page.goto('/catalog/default/resource/weights-frontier-7b/detections');
  await expect(page.getByTestId('entity-detections')).toBeVisible();
  await expect(page.getByTestId('entity-detections')).not.toContainText('user:default/');

  // --- a missing alert is a friendly not-found with a way back ---------------------------------
  await page.goto('/detections/alerts/00000000-0000-4000-8000-000000000000');
  await expect(page.getByTestId('not-found')).toContainText('This alert does not exist');
  await page.getByTestId('not-found').getByText('Back to detections').click();
  await expect(page).toHaveURL(/\/detections$/);
});
