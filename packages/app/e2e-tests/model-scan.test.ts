import { test, expect, Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { backstageToken, DemoUser, followNotification, signInAs } from './helpers';

/**
 * A PyTorch-style checkpoint (zip with archive/data.pkl) whose pickle calls
 * os.system('echo pwned') when loaded: GLOBAL os.system, a 1-tuple, REDUCE.
 */
function maliciousCheckpoint(): Buffer {
  const pickle = Buffer.concat([
    Buffer.from([0x80, 0x02]), // PROTO 2
    Buffer.from('cos\nsystem\n', 'latin1'), // GLOBAL os.system
    Buffer.from([0x58]), // BINUNICODE
    u32(Buffer.byteLength('echo pwned')),
    Buffer.from('echo pwned', 'latin1'),
    Buffer.from([0x85, 0x52, 0x2e]), // TUPLE1, REDUCE, STOP
  ]);
  return storedZip([
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);
}

function u16(n: number) {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n: number) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** A zip with stored (uncompressed) members, as torch.save writes them. */
function storedZip(entries: Array<{ name: string; data: Buffer }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const common = Buffer.concat([
      u16(0), // flags
      u16(0), // method: stored
      u16(0), // time
      u16(0x21), // date 1980-01-01
      u32(crc),
      u32(data.length),
      u32(data.length),
      u16(nameBytes.length),
      u16(0), // extra length
    ]);
    const local = Buffer.concat([u32(0x04034b50), u16(20), common, nameBytes, data]);
    centrals.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(20), // made by
        u16(20), // needed
        common,
        u16(0), // comment length
        u16(0), // disk
        u16(0), // internal attrs
        u32(0), // external attrs
        u32(offset),
        nameBytes,
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(central.length),
    u32(offset),
    u16(0),
  ]);
  return Buffer.concat([...locals, central, end]);
}

test('an uploaded malicious checkpoint is found, explained with ATLAS, and refused at the gate', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await signInAs(page, 'alice');

  await page.goto('/model-scan/new');
  await expect(page.getByRole('heading', { name: 'Scan a model', exact: true })).toBeVisible();
  await page.getByTestId('scan-file-input').setInputFiles({
    name: 'evil.pt',
    mimeType: 'application/octet-stream',
    buffer: maliciousCheckpoint(),
  });
  await page.getByRole('button', { name: 'Upload and scan' }).click();

  // The form navigates to the scan page, which polls while the scan runs.
  await page.waitForURL(/\/model-scan\/scans\/[^/]+$/, { timeout: 30_000 });
  const scanId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  const status = page.getByTestId('scan-status');
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
  await expect(status.getByTestId('verdict-chip')).toHaveAttribute('data-verdict', 'malicious');

  // The file, its finding in plain words and the ATLAS technique links.
  const file = page.getByTestId('scanned-file').first();
  await expect(file).toHaveAttribute('data-verdict', 'malicious');
  await expect(file.getByTestId('finding').first()).toBeVisible();
  const atlas = file.getByRole('link', { name: /AML\.T0011\.000|AML\.T0010\.003/ }).first();
  await expect(atlas).toBeVisible();
  await expect(atlas).toHaveAttribute(
    'href',
    /^https:\/\/atlas\.mitre\.org\/techniques\/AML\.T001[01]\.00[03]$/,
  );
  // Nobody may accept a malicious verdict: the button is never offered.
  await expect(page.getByRole('button', { name: 'Accept suspicious verdict' })).toHaveCount(0);

  // The gate, as shown on the page ...
  await expect(page.getByTestId('gate-decision')).toHaveAttribute('data-allowed', 'false');

  // ... and as a deployment pipeline asks it.
  const token = await backstageToken(page, 'alice');
  const headers = { authorization: `Bearer ${token}` };
  const scanRes = await page.request.get(`/api/model-scan/scans/${encodeURIComponent(scanId)}`, {
    headers,
  });
  expect(scanRes.status()).toBe(200);
  const { scan } = await scanRes.json();
  expect(scan.verdict).toBe('malicious');
  const gateRes = await page.request.get(
    `/api/model-scan/gate?target=${encodeURIComponent(scan.target)}`,
    { headers },
  );
  expect(gateRes.status()).toBe(200);
  const gate = await gateRes.json();
  expect(gate.allowed).toBe(false);
  expect(gate.files).toEqual(
    expect.arrayContaining([expect.objectContaining({ verdict: 'malicious' })]),
  );

  // The scan is listed on the dashboard with its verdict.
  await page.goto('/model-scan');
  await expect(page.getByRole('heading', { name: 'Scans', exact: true })).toBeVisible();
  await expect(
    page.locator('[data-testid="verdict-chip"][data-verdict="malicious"]').first(),
  ).toBeVisible();
});

async function authHeaders(page: Page, user: DemoUser) {
  return { authorization: `Bearer ${await backstageToken(page, user)}` };
}

test('a malicious upload tied to a model: ML-BOM download, notifications, ask for review; screenshot of the scan page', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAs(page, 'alice');

  // --- upload, tied to a catalog model chosen in the form --------------------------------------
  await page.goto('/model-scan/new');
  await page.getByTestId('scan-model-input').click();
  await page.getByRole('option', { name: /Frontier 7B chat/ }).click();
  await page.getByTestId('scan-file-input').setInputFiles({
    name: 'evil-review.pt',
    mimeType: 'application/octet-stream',
    buffer: maliciousCheckpoint(),
  });
  await page.getByRole('button', { name: 'Upload and scan' }).click();
  await page.waitForURL(/\/model-scan\/scans\/[^/]+$/, { timeout: 30_000 });
  const scanPath = new URL(page.url()).pathname;
  const scanId = decodeURIComponent(scanPath.split('/').pop()!);
  const status = page.getByTestId('scan-status');
  await expect(status).toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
  await expect(status.getByTestId('verdict-chip')).toHaveAttribute('data-verdict', 'malicious');
  // the model is a link to its catalog page, by display name
  const model = status.getByTestId('entity-link');
  await expect(model).toHaveText('Frontier 7B chat');
  await expect(model).toHaveAttribute('href', '/catalog/default/component/frontier-7b-chat');

  // --- the scan detail page at 1440x900, kept in the test report --------------------------------
  await expect(page.getByTestId('gate-decision')).toHaveAttribute('data-allowed', 'false');
  const shot = await page.screenshot({ fullPage: false });
  await testInfo.attach('scan-detail-page-malicious.png', { body: shot, contentType: 'image/png' });

  // --- Download ML-BOM: a real file, fetched with the user's token -----------------------------
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download ML-BOM (CycloneDX)' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`model-scan-${scanId}.cdx.json`);
  const bom = JSON.parse(await readFile((await download.path())!, 'utf8'));
  expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
  const { scan } = await (
    await page.request.get(`/api/model-scan/scans/${encodeURIComponent(scanId)}`, { headers: await authHeaders(page, 'alice') })
  ).json();
  expect(bom.components).toEqual(
    scan.files.map((f: { path: string; sha256: string }) =>
      expect.objectContaining({ name: f.path, hashes: [{ alg: 'SHA-256', content: f.sha256 }] }),
    ),
  );
  expect(bom.components.map((c: { name: string }) => c.name)).toEqual(['evil-review.pt']);
  expect(bom.vulnerabilities.length).toBeGreaterThan(0);

  // --- the uploader is notified; the link opens the scan page ----------------------------------
  await followNotification(page, /Your scan of evil-review\.pt is malicious/);
  await expect(page).toHaveURL(new RegExp(`${scanPath}$`));

  // --- ask for review (a note is required), then the mark ---------------------------------------
  await page.getByRole('button', { name: 'Ask for review' }).click();
  const send = page.getByRole('button', { name: 'Send to reviewers' });
  await expect(send).toBeDisabled();
  await page.getByLabel(/Note to the reviewers/).fill('Our own fine-tune from the eval cluster; the system call is the test harness.');
  await send.click();
  await expect(page.getByTestId('review-sent')).toBeVisible();
  await expect(page.getByTestId('review-requested')).toContainText('Alice Researcher');
  await expect(page.getByRole('button', { name: 'Ask for review' })).toHaveCount(0);

  // --- a reviewer: notified of the upload and of the request; sees the mark; cannot ask ---------
  await signInAs(page, 'carol');
  await followNotification(page, /Malicious model file: evil-review\.pt/);
  await expect(page).toHaveURL(new RegExp(`${scanPath}$`));
  await followNotification(page, /Review requested by Alice Researcher: evil-review\.pt \(malicious\)/);
  await expect(page).toHaveURL(new RegExp(`${scanPath}$`));
  await expect(page.getByTestId('review-requested')).toContainText('the system call is the test harness');
  await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', 'completed');
  await expect(page.getByRole('button', { name: 'Ask for review' })).toHaveCount(0);
  await page.goto('/model-scan');
  await expect(page.getByTestId('review-requested-mark').first()).toBeVisible();

  // someone else may read the scan but not ask for its review on the uploader's behalf
  const refused = await page.request.post(`/api/model-scan/scans/${encodeURIComponent(scanId)}/review-request`, {
    headers: await authHeaders(page, 'bob'),
    data: { note: 'asking on behalf of alice' },
  });
  expect(refused.status()).toBe(403);
});
