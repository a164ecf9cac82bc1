import { screen, waitFor } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { ModelScanApi, modelScanApiRef } from '../api/ModelScanApi';
import { Scan } from '../api/types';
import { rootRouteRef } from '../routes';
import { DashboardPage } from './DashboardPage';
import { EntityModelScansContent } from './EntityModelScansContent';
import { scanTitle } from './ScanPage';

function fakeApi(): jest.Mocked<ModelScanApi> {
  return {
    listScans: jest.fn(),
    getScan: jest.fn(),
    createScan: jest.fn(),
    uploadScan: jest.fn(),
    rescan: jest.fn(),
    getStats: jest.fn(),
    acceptVerdict: jest.fn(),
    listAcceptances: jest.fn(),
    gate: jest.fn(),
  } as any;
}

const scan: Scan = {
  id: 'scan-7',
  target: 'mlflow://frontier-7b-chat/3',
  entityRef: 'component:default/frontier-7b-chat',
  trigger: 'webhook',
  status: 'completed',
  verdict: 'suspicious',
  severity: 'medium',
  requestedBy: 'user:default/alice',
  createdAt: '2026-01-01T00:00:00Z',
};

describe('DashboardPage', () => {
  it('shows the figures, ATLAS techniques with links, top rules and the scan list', async () => {
    const api = fakeApi();
    api.getStats.mockResolvedValue({
      filesScanned: 42,
      byVerdict: { safe: 30, suspicious: 8, malicious: 3, error: 1 },
      bySeverity: { none: 30, low: 2, medium: 6, high: 1, critical: 3 },
      byDay: [{ day: '2026-01-01', safe: 30, suspicious: 8, malicious: 3, error: 1 }],
      byAtlas: [{ technique: 'AML.T0011.000', count: 3 }],
      topRules: [{ ruleId: 'PICKLE_DANGEROUS_GLOBAL', count: 3 }],
    });
    api.listScans.mockResolvedValue({ items: [scan], total: 1 });
    await renderInTestApp(<DashboardPage />, { apis: [[modelScanApiRef, api]] });

    expect(await screen.findByTestId('files-scanned')).toHaveTextContent('42');
    expect(screen.getByTestId('count-malicious')).toHaveTextContent('3');
    expect(screen.getByTestId('count-suspicious')).toHaveTextContent('8');
    expect(screen.getByRole('link', { name: /AML\.T0011\.000/ })).toHaveAttribute(
      'href',
      'https://atlas.mitre.org/techniques/AML.T0011.000',
    );
    expect(screen.getByText('PICKLE_DANGEROUS_GLOBAL')).toBeInTheDocument();
    expect(await screen.findByText('mlflow://frontier-7b-chat/3')).toBeInTheDocument();
    expect(api.getStats).toHaveBeenCalledWith(30);
  }, 30_000);
});

describe('EntityModelScansContent', () => {
  it('shows the gate for each model source and the scans of the entity', async () => {
    const api = fakeApi();
    api.listScans.mockResolvedValue({ items: [scan], total: 1 });
    api.gate.mockImplementation(async target => ({
      allowed: target.startsWith('hf://'),
      target,
      reasons: target.startsWith('hf://') ? [] : ['model.pt is suspicious and not accepted'],
      files: [],
    }));
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'frontier-7b-chat',
        namespace: 'default',
        annotations: {
          'frontier-guard.io/model-source': 'mlflow://frontier-7b-chat/3, hf://org/repo@main',
        },
      },
      spec: { type: 'model' },
    };
    await renderInTestApp(
      <EntityProvider entity={entity}>
        <EntityModelScansContent />
      </EntityProvider>,
      {
        apis: [[modelScanApiRef, api]],
        mountedRoutes: { '/model-scan': rootRouteRef },
      },
    );
    await waitFor(() => expect(screen.getAllByTestId('gate-decision')).toHaveLength(2));
    const decisions = screen.getAllByTestId('gate-decision');
    expect(decisions.map(d => d.getAttribute('data-allowed')).sort()).toEqual(['false', 'true']);
    expect(screen.getByText('model.pt is suspicious and not accepted')).toBeInTheDocument();
    expect(api.listScans).toHaveBeenCalledWith({
      entityRef: 'component:default/frontier-7b-chat',
      limit: 100,
    });
    const link = await screen.findByTestId('scan-link');
    expect(link).toHaveTextContent('mlflow://frontier-7b-chat/3');
    expect(link).toHaveAttribute('href', '/model-scan/scans/scan-7');
    // a scan of a new file starts with this model chosen
    expect(screen.getByTestId('scan-for-entity')).toHaveAttribute(
      'href',
      '/model-scan/new?entityRef=component%3Adefault%2Ffrontier-7b-chat',
    );
  }, 30_000);
});

describe('scanTitle', () => {
  it("titles an upload by its file name, not its content-hash id; other targets as given", () => {
    const sha = 'a11e59db4008d0e0986701995feac329fb008ced1029f4c713fb92053d6c6ee0';
    expect(scanTitle(`upload://${sha}/evil-review.pt`)).toBe('evil-review.pt');
    expect(scanTitle('hf://org/model@main')).toBe('hf://org/model@main');
    expect(scanTitle(undefined)).toBe('Model scan');
  });
});
