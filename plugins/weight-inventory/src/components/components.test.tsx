import { screen, waitFor } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider, entityRouteRef } from '@backstage/plugin-catalog-react';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { PostureFinding, WeightStore } from '@internal/plugin-weight-inventory-common';
import { weightInventoryApiRef, weightInventoryLinkedApiRef } from '../api';
import { InventoryPage } from './InventoryPage';
import { EntityPostureContent } from './EntityTabs';
import { blobUrl, formatBytes, isInventoryEntity } from './format';
import { countExcepted } from './exceptedCounts';
import { PostureSummaryCard } from '../home/PostureSummaryCard';

const store = (over: Partial<WeightStore>): WeightStore => ({
  id: 'storage-a', kind: 'storage-account', name: 'a', entityRef: 'resource:default/storage-a', source: 'demo', demo: true, tags: {},
  posture: 'passing', failing: { critical: 0, high: 0, medium: 0, low: 0 }, passing: 10, weights: { files: 1, bytes: 1024 }, ...over,
});

const finding: PostureFinding = {
  storeId: 'storage-bad', entityRef: 'resource:default/storage-bad', findingKey: 'FG-STORAGE-PUBLIC-NETWORK:storage-account/bad', controlId: 'FG-STORAGE-PUBLIC-NETWORK',
  checkId: 'FG-STORAGE-PUBLIC-NETWORK', title: 'Weight storage: public network access disabled', severity: 'high', status: 'fail', subjectKey: 'storage-account/bad',
  subjectType: 'storage-account', subjectName: 'bad', path: 'properties.publicNetworkAccess', message: 'Public network access is enabled', rationale: 'r',
  remediation: 'Set properties.publicNetworkAccess to "Disabled"', lastChangedAt: '2026-12-07T10:00:00Z', lastEvaluatedAt: '2026-12-07T10:00:00Z',
};

const permissions = (allowed: boolean) => ({ authorize: async () => ({ result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY }) });

describe('InventoryPage', () => {
  it('lists stores with posture, labels demo data, and hides refresh without permission', async () => {
    const api = { listStores: jest.fn().mockResolvedValue({ items: [store({ id: 'storage-bad', name: 'bad', entityRef: 'resource:default/storage-bad', posture: 'failing', failing: { critical: 1, high: 2, medium: 0, low: 0 } }), store({})] }) };
    await renderInTestApp(<InventoryPage />, { apis: [[weightInventoryApiRef, api as any], [permissionApiRef, permissions(false) as any]], mountedRoutes });
    // the table re-renders once the excepted counts are in: query the settled DOM
    await waitFor(() => expect(screen.getByText('bad')).toBeInTheDocument(), { timeout: 10_000 });
    expect(screen.getByTestId('failing-storage-bad')).toHaveTextContent('1 critical · 2 high');
    expect(screen.getByTestId('demo-banner')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Refresh now/ })).toBeNull();
  }, 30_000);

  it('counts failing findings covered by an active exception as "(N excepted)", still failing', async () => {
    const api = {
      listStores: jest.fn().mockResolvedValue({ items: [store({ id: 'storage-bad', name: 'bad', entityRef: 'resource:default/storage-bad', posture: 'failing', failing: { critical: 0, high: 2, medium: 0, low: 0 } })] }),
      listFindings: jest.fn().mockResolvedValue({ items: [finding, { ...finding, findingKey: 'FG-STORAGE-SHARED-KEY:storage-account/bad', controlId: 'FG-STORAGE-SHARED-KEY' }] }),
    };
    const isExceptedMany = jest.fn().mockImplementation(async (qs: any[]) => qs.map(q => ({ excepted: q.controlId === 'FG-STORAGE-PUBLIC-NETWORK', controlId: q.controlId, subject: q, at: 'now' })));
    await renderInTestApp(<InventoryPage />, {
      apis: [[weightInventoryApiRef, api as any], [weightInventoryLinkedApiRef, { policyExceptions: { isExceptedMany } } as any], [permissionApiRef, permissions(false) as any]],
      mountedRoutes,
    });
    await waitFor(() => expect(screen.getByText(/2 high · 0 medium · 0 low \(1 excepted\)/)).toBeInTheDocument(), { timeout: 10_000 });
    expect(screen.getByTestId('failing-storage-bad')).toHaveTextContent('2 high');
    expect(api.listFindings).toHaveBeenCalledWith({ status: 'fail' });
  }, 30_000);

});

describe('EntityPostureContent', () => {
  const entity = { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'storage-bad' }, spec: { type: 'weight-store', owner: 'x' } };
  const passingFinding: PostureFinding = { ...finding, findingKey: 'FG-STORAGE-TLS:storage-account/bad', controlId: 'FG-STORAGE-TLS', checkId: 'FG-STORAGE-TLS', status: 'pass', path: 'properties.minimumTlsVersion' };
  const posture = () => ({ getEntityPosture: jest.fn().mockResolvedValue({ store: store({ id: 'storage-bad', posture: 'failing', failing: { critical: 0, high: 1, medium: 0, low: 0 } }), findings: [finding, passingFinding] }) });
  const linkedWith = (isExceptedMany: jest.Mock) => ({ accessRequests: {}, modelScan: {}, policyExceptions: { isExceptedMany } });
  const render = (api: any, linked: any) =>
    renderInTestApp(<EntityProvider entity={entity}><EntityPostureContent /></EntityProvider>, { apis: [[weightInventoryApiRef, api], [weightInventoryLinkedApiRef, linked]], mountedRoutes });

  it('shows failing checks with evidence path and remediation, open when no exception covers them', async () => {
    const api = posture();
    const isExceptedMany = jest.fn().mockResolvedValue([{ excepted: false, controlId: finding.controlId, subject: { entityRef: finding.entityRef, findingKey: finding.findingKey }, at: '2026-12-07T12:00:00Z' }]);
    await render(api, linkedWith(isExceptedMany));
    expect((await screen.findAllByTestId('evidence-path'))[0]).toHaveTextContent('properties.publicNetworkAccess');
    expect(screen.getByTestId('remediation')).toHaveTextContent('Disabled');
    expect(api.getEntityPosture).toHaveBeenCalledWith('resource:default/storage-bad');
    // Only failing findings are asked about, with the inventory's own entity ref and finding key.
    expect(isExceptedMany).toHaveBeenCalledWith([{ controlId: 'FG-STORAGE-PUBLIC-NETWORK', entityRef: 'resource:default/storage-bad', findingKey: 'FG-STORAGE-PUBLIC-NETWORK:storage-account/bad' }]);
    expect(screen.getByTestId(`finding-status-${finding.findingKey}`)).toHaveTextContent(/fail\s*open/);
    expect(screen.queryByTestId('excepted-chip')).toBeNull();
  }, 30_000);

  it('shows a covered failing check as "excepted until …, by …", still failing, and counts it in the summary', async () => {
    const isExceptedMany = jest.fn().mockResolvedValue([
      { excepted: true, controlId: finding.controlId, subject: { entityRef: finding.entityRef, findingKey: finding.findingKey }, at: '2026-12-07T12:00:00Z', exceptionId: 'ex-1', until: '2026-12-21T00:00:00.000Z', approvedBy: ['user:default/bob', 'user:default/carol'], owner: 'user:default/alice' },
    ]);
    await render(posture(), linkedWith(isExceptedMany));
    expect(await screen.findByTestId('finding-coverage')).toHaveTextContent('excepted until 2026-12-21T00:00:00.000Z, by bob, carol');
    const status = screen.getByTestId(`finding-status-${finding.findingKey}`);
    expect(status).toHaveTextContent('fail');
    expect(status).not.toHaveTextContent(/pass/);
    expect(screen.getByTestId('excepted-chip')).toBeInTheDocument();
    expect(screen.getByText(/1 high, 0 medium, 0 low failing \(1 excepted\)/)).toBeInTheDocument();
  }, 30_000);

  it('keeps failing checks failing and says so when policy exceptions cannot be read', async () => {
    await render(posture(), linkedWith(jest.fn().mockRejectedValue(new Error('HTTP 503'))));
    expect(await screen.findByTestId('coverage-error')).toHaveTextContent('HTTP 503');
    expect(screen.queryByTestId('excepted-chip')).toBeNull();
    expect(screen.getByTestId(`finding-status-${finding.findingKey}`)).toHaveTextContent('fail');
  }, 30_000);
});

describe('excepted counts', () => {
  it('asks in batches of at most 1000 and counts covered failing findings per store', async () => {
    const many: PostureFinding[] = Array.from({ length: 2500 }, (_, i) => ({ ...finding, storeId: i % 2 ? 'storage-a' : 'storage-b', findingKey: `k${i}` }));
    const sizes: number[] = [];
    const counts = await countExcepted([...many, { ...finding, status: 'pass' }], {
      isExceptedMany: async qs => {
        sizes.push(qs.length);
        return qs.map(q => ({ excepted: Number(q.findingKey!.slice(1)) % 10 === 0, controlId: q.controlId, subject: q, at: 'now' }));
      },
    });
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(counts.total).toBe(250);
    expect(counts.byStore).toEqual({ 'storage-b': 250 });
  });

  it('the home card says how many failing checks are excepted', async () => {
    const api = {
      getSummary: jest.fn().mockResolvedValue({ storageAccounts: { failing: 1, passing: 0, unknown: 0 }, clusters: { failing: 0, passing: 0, unknown: 0 }, failingBySeverity: { critical: 0, high: 1, medium: 0, low: 0 }, lastRefreshAt: '2026-12-07T10:00:00Z' }),
      listFindings: jest.fn().mockResolvedValue({ items: [finding] }),
    };
    const isExceptedMany = jest.fn().mockResolvedValue([{ excepted: true, controlId: finding.controlId, subject: {}, at: 'now' }]);
    await renderInTestApp(<PostureSummaryCard />, { apis: [[weightInventoryApiRef, api as any], [weightInventoryLinkedApiRef, { policyExceptions: { isExceptedMany } } as any]] });
    expect(await screen.findByText(/1 high, 0 medium, 0 low \(1 excepted\)/)).toBeInTheDocument();
  }, 30_000);
});

describe('format', () => {
  it('formats and filters', () => {
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(isInventoryEntity({ apiVersion: 'v1', kind: 'Resource', metadata: { name: 'x' }, spec: { type: 'kubernetes-cluster' } })).toBe(true);
    expect(isInventoryEntity({ apiVersion: 'v1', kind: 'Component', metadata: { name: 'x' }, spec: { type: 'weight-store' } })).toBe(false);
    expect(blobUrl('acct', 'c', 'a b/x.safetensors')).toBe('https://acct.blob.core.windows.net/c/a%20b/x.safetensors');
  });
});
