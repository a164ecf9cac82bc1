import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider, entityRouteRef } from '@backstage/plugin-catalog-react';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { PostureFinding, WeightStore } from '@internal/plugin-weight-inventory-common';
import { weightInventoryApiRef } from '../api';
import { InventoryPage } from './InventoryPage';
import { EntityPostureContent } from './EntityTabs';
import { blobUrl, formatBytes, isInventoryEntity } from './format';

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
    expect(await screen.findByText('bad')).toBeInTheDocument();
    expect(screen.getByTestId('failing-storage-bad')).toHaveTextContent('1 critical · 2 high');
    expect(screen.getByTestId('demo-banner')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Refresh now/ })).toBeNull();
  }, 30_000);

});

describe('EntityPostureContent', () => {
  it('shows failing checks with evidence path and remediation', async () => {
    const api = { getEntityPosture: jest.fn().mockResolvedValue({ store: store({ id: 'storage-bad', posture: 'failing' }), findings: [finding] }) };
    const entity = { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'storage-bad' }, spec: { type: 'weight-store', owner: 'x' } };
    await renderInTestApp(<EntityProvider entity={entity}><EntityPostureContent /></EntityProvider>, { apis: [[weightInventoryApiRef, api as any]], mountedRoutes });
    expect(await screen.findByTestId('evidence-path')).toHaveTextContent('properties.publicNetworkAccess');
    expect(screen.getByTestId('remediation')).toHaveTextContent('Disabled');
    expect(api.getEntityPosture).toHaveBeenCalledWith('resource:default/storage-bad');
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
