import { test, expect, Page, TestInfo } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoUser, signInAs } from './helpers';

/**
 * The app shell at 1440×900 for a researcher, a reviewer and an admin: one header style, sidebar
 * labels that fit, no page wider than the window, a home grid without holes, catalog names that
 * wrap between words, the Kubernetes tab on clusters and namespaces. Every page visited is kept
 * as a screenshot in the HTML report (and in $LAYOUT_SHOTS_DIR when set).
 */

const ROLES: Array<{ user: DemoUser; role: string; auditor: boolean }> = [
  { user: 'alice', role: 'researcher', auditor: false },
  { user: 'bob', role: 'reviewer', auditor: true },
  { user: 'dave', role: 'admin', auditor: true },
];

/** The portal's main pages and the heading each shows (titles match the navigation labels). */
const PAGES: Array<{ path: string; heading: string | RegExp }> = [
  { path: '/', heading: 'Frontier Guard' },
  { path: '/catalog', heading: 'Catalog' },
  { path: '/controls', heading: 'Controls' },
  { path: '/access', heading: 'Access' },
  { path: '/access/requests', heading: 'Access' },
  { path: '/model-scan', heading: 'Scans' },
  { path: '/weight-inventory', heading: 'Inventory' },
  { path: '/policy-exceptions', heading: 'Exceptions' },
  { path: '/audit', heading: 'Audit trail' },
  // pages whose header the app draws (PortalPageLayout)
  { path: '/notifications', heading: 'Notifications' },
  { path: '/settings', heading: 'Settings' },
  { path: '/catalog/default/component/frontier-7b-chat', heading: 'Catalog' },
];

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await page.waitForTimeout(300);
  const body = await page.screenshot({ fullPage: false });
  await testInfo.attach(`${name}.png`, { body, contentType: 'image/png' });
  const dir = process.env.LAYOUT_SHOTS_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.png`), body);
  }
}

/** Elements (by selector) whose content is wider than their box, and the page's own overflow. */
async function overflows(page: Page, selectors: string[]) {
  return page.evaluate(sels => {
    const found: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) found.push(`page is ${doc.scrollWidth}px wide in a ${doc.clientWidth}px window`);
    for (const sel of sels) {
      for (const el of Array.from(document.querySelectorAll<HTMLElement>(sel))) {
        if (el.offsetParent === null) continue;
        if (el.scrollWidth > el.clientWidth + 1) {
          found.push(`${sel} "${(el.textContent ?? '').trim().slice(0, 40)}" needs ${el.scrollWidth}px, has ${el.clientWidth}px`);
        }
        const parent = el.parentElement?.getBoundingClientRect();
        const box = el.getBoundingClientRect();
        if (parent && box.right > parent.right + 1 && getComputedStyle(el.parentElement!).overflowX === 'visible') {
          found.push(`${sel} "${(el.textContent ?? '').trim().slice(0, 40)}" sticks out of its container by ${Math.round(box.right - parent.right)}px`);
        }
      }
    }
    return found;
  }, selectors);
}

/** The page header's background (the header style), read from Backstage's Header. */
async function headerStyle(page: Page) {
  const header = page.locator('header').first();
  await expect(header).toBeVisible();
  return header.evaluate(el => getComputedStyle(el).backgroundImage);
}

const SIDEBAR_LABELS = 'nav a span, nav a div';
const KEY_ELEMENTS = [SIDEBAR_LABELS, 'header h1', 'main table', '[data-testid="home-cards"] > div'];

for (const { user, role, auditor } of ROLES) {
  test(`the shell fits 1440×900 for a ${role} (${user}): one header style, labels and pages that fit`, async ({ page }, testInfo) => {
    test.setTimeout(240_000);
    await page.setViewportSize({ width: 1440, height: 900 });
    await signInAs(page, user);

    // The sidebar: short labels that fit, no "Catalog Graph" entry (an empty canvas without an entity).
    const nav = page.locator('nav');
    for (const label of ['Home', 'Catalog', 'Access', 'Scans', 'Inventory', 'Exceptions']) {
      // (the logo is a "Home" link too; the entry is the last one)
      await expect(nav.getByRole('link', { name: label, exact: true }).last()).toBeVisible();
    }
    // The audit trail is offered only to those who may read it (the backend refuses the others).
    await expect(nav.getByRole('link', { name: 'Audit trail', exact: true })).toHaveCount(auditor ? 1 : 0);
    await expect(nav.getByRole('link', { name: /Catalog Graph/i })).toHaveCount(0);

    // Every sidebar entry opens a page titled with the entry's label ("you are here"); the
    // home page, reached by the logo and "Home", carries the portal's name instead.
    // (the controls page has no entry: it is one click from home)
    const labels = ['Catalog', 'Access', 'Scans', 'Inventory', 'Exceptions', ...(auditor ? ['Audit trail', 'Detections'] : [])];
    for (const label of labels) {
      await nav.getByRole('link', { name: label, exact: true }).last().click({ timeout: 30_000 });
      await expect(page.getByRole('heading', { level: 1 }).first()).toHaveText(label);
    }

    let homeHeader: string | undefined;
    for (const { path, heading } of PAGES) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1, name: heading }).first()).toBeVisible();
      await page.waitForLoadState('networkidle');
      const style = await headerStyle(page);
      homeHeader ??= style;
      expect([path, style]).toEqual([path, homeHeader]);
      expect([path, await overflows(page, KEY_ELEMENTS)]).toEqual([path, []]);
      // tabbed sub-pages (settings) navigate by their tabs, not by a back link
      if (path === '/settings') await expect(page.getByTestId('page-back-link')).toHaveCount(0);
      await shot(page, testInfo, `${user}-${path === '/' ? 'home' : path.slice(1).replace(/\//g, '-')}`);
    }
  });
}

test('home has no holes where a card has nothing to say', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAs(page, 'alice');
  await expect(page.getByTestId('home-my-access')).toBeVisible();
  await page.waitForLoadState('networkidle');
  const cells = await page.getByTestId('home-card-cell').evaluateAll(els =>
    els.map(el => ({ shown: getComputedStyle(el).display !== 'none', empty: el.childElementCount === 0, height: el.getBoundingClientRect().height })),
  );
  expect(cells.length).toBeGreaterThan(0);
  // an empty cell (a card that rendered nothing) takes no place in the grid
  expect(cells.filter(c => c.empty && c.shown)).toEqual([]);
  expect(cells.filter(c => c.shown).every(c => c.height > 0)).toBe(true);
  await shot(page, testInfo, 'home-grid-alice');
});

test('catalog names wrap between words and the table fits its column', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAs(page, 'bob');
  await page.goto('/catalog?filters[kind]=component&filters[user]=all');
  const table = page.getByTestId('catalog-table');
  const name = table.getByRole('link', { name: 'Tokenizer safety classifier' });
  await expect(name).toBeVisible();
  // The name is at most two lines: each word on one line, never one letter per line.
  const lines = await name.evaluate(el => {
    const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 20;
    return Math.round(el.getBoundingClientRect().height / lineHeight);
  });
  expect(lines).toBeLessThanOrEqual(2);
  const widthOfLongestWord = await name.evaluate(el => {
    const probe = document.createElement('span');
    probe.style.whiteSpace = 'nowrap';
    probe.style.font = getComputedStyle(el).font;
    probe.textContent = 'classifier';
    document.body.appendChild(probe);
    const w = probe.getBoundingClientRect().width;
    probe.remove();
    return w;
  });
  expect((await name.boundingBox())!.width).toBeGreaterThanOrEqual(widthOfLongestWord - 1);
  expect(await overflows(page, ['main table', '[data-testid="catalog-table"]'])).toEqual([]);
  // no Tags column (a filter on the left instead); the star is the one row action
  await expect(table.getByRole('columnheader', { name: /^Tags$/i })).toHaveCount(0);
  const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: 'Tokenizer safety classifier' }) });
  await expect(row.getByRole('button')).toHaveCount(1);
  await shot(page, testInfo, 'catalog-components-bob');
});

test('clusters and namespaces have a Kubernetes tab that says plainly there is no cluster to ask', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAs(page, 'alice');
  for (const name of ['training-cluster', 'research-sandbox-namespace']) {
    await page.goto(`/catalog/default/resource/${name}`);
    await page.getByRole('tab', { name: 'Kubernetes' }).or(page.getByRole('link', { name: 'Kubernetes', exact: true })).first().click();
    await expect(page).toHaveURL(new RegExp(`/catalog/default/resource/${name}/kubernetes$`));
    const empty = page.getByTestId('kubernetes-tab-no-cluster');
    await expect(empty).toBeVisible();
    await expect(empty).toContainText('This portal is not connected to any Kubernetes cluster');
    await expect(empty).toContainText(/Training cluster \(AKS\)|Research sandbox namespace/);
    await shot(page, testInfo, `kubernetes-tab-${name}`);
  }
  // an entity page has the portal's header with a way back to the catalog
  await page.getByTestId('page-back-link').click();
  await expect(page).toHaveURL(/\/catalog$/);
  // A weight store is not a Kubernetes object: no Kubernetes tab there.
  await page.goto('/catalog/default/resource/weights-frontier-7b');
  await expect(page.getByText('Frontier 7B weights').first()).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Kubernetes' }).or(page.getByRole('link', { name: 'Kubernetes', exact: true }))).toHaveCount(0);
  // Nor a model: no "Model scans" tab on a weight store (its files' verdicts are on its Weights tab).
  const modelScansTab = page.getByRole('tab', { name: 'Model scans' }).or(page.getByRole('link', { name: 'Model scans', exact: true }));
  await expect(page.getByRole('tab', { name: 'Weights' }).or(page.getByRole('link', { name: 'Weights', exact: true })).first()).toBeVisible();
  await expect(modelScansTab).toHaveCount(0);
  await shot(page, testInfo, 'entity-weight-store');
  // ... while a model has it
  await page.goto('/catalog/default/component/frontier-7b-chat');
  await expect(modelScansTab.first()).toBeVisible();
});
