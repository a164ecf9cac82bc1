import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import modelScanPlugin from './index';
import { ModelScanApi, modelScanApiRef } from './api/ModelScanApi';
import { Scan } from './api/types';

const running: Scan = {
  id: 'scan-1',
  target: `upload://${'b'.repeat(64)}/evil.pt`,
  trigger: 'upload',
  status: 'running',
  requestedBy: 'user:default/alice',
  createdAt: '2026-01-01T00:00:00Z',
  progress: { filesDone: 0, filesTotal: 1, bytesDone: 100, bytesTotal: 400 },
};

const completed: Scan = {
  ...running,
  status: 'completed',
  verdict: 'malicious',
  severity: 'critical',
  files: [
    {
      path: 'evil.pt',
      sha256: 'b'.repeat(64),
      size: 400,
      format: 'pytorch-zip',
      verdict: 'malicious',
      severity: 'critical',
      errors: [],
      findings: [
        {
          ruleId: 'PICKLE_DANGEROUS_CALL',
          severity: 'critical',
          message: 'The pickle calls os.system("echo pwned") via REDUCE.',
          location: { member: 'archive/data.pkl', offset: 29, opcode: 'REDUCE' },
          cwe: ['CWE-502'],
          atlas: ['AML.T0011.000'],
        },
      ],
    },
  ],
};

function fakeApi(): jest.Mocked<ModelScanApi> {
  return {
    listScans: jest.fn(),
    getScan: jest.fn(),
    createScan: jest.fn(),
    uploadScan: jest.fn(),
    rescan: jest.fn(),
    requestReview: jest.fn(),
    getBom: jest.fn(),
    getStats: jest.fn(),
    acceptVerdict: jest.fn(),
    listAcceptances: jest.fn(),
    gate: jest.fn(),
  } as any;
}

/** The catalog the model picker reads: one model, one weight store, one service (not offered). */
const catalog = catalogApiMock({
  entities: [
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'frontier-7b-chat', namespace: 'default', title: 'Frontier 7B Chat' }, spec: { type: 'model' } },
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'weights-frontier-7b', namespace: 'default' }, spec: { type: 'weight-store' } },
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'portal-web', namespace: 'default' }, spec: { type: 'website' } },
  ],
});

describe('model-scan plugin pages', () => {
  it('uploads from the form, then follows the scan live until its verdict and gate decision', async () => {
    const api = fakeApi();
    api.uploadScan.mockImplementation(async (_file, options) => {
      options?.onProgress?.(400, 400);
      return { ...running, status: 'queued', progress: undefined };
    });
    api.getScan
      .mockResolvedValueOnce(running)
      .mockResolvedValueOnce(running)
      .mockResolvedValue(completed);
    api.gate.mockResolvedValue({
      allowed: false,
      target: running.target,
      reasons: ['evil.pt is malicious'],
      files: [{ path: 'evil.pt', sha256: 'b'.repeat(64), verdict: 'malicious' }],
    });

    renderTestApp({
      features: [modelScanPlugin],
      initialRouteEntries: ['/model-scan/new'],
      apis: [
        [modelScanApiRef, api],
        [permissionApiRef, mockApis.permission({ authorize: AuthorizeResult.ALLOW })],
        [catalogApiRef, catalog],
      ],
    });

    const input = (await screen.findByTestId(
      'scan-file-input',
      {},
      { timeout: 15000 },
    )) as HTMLInputElement;
    // the upload is tied to a model chosen from the catalog's models (services are not offered)
    await userEvent.click(screen.getByTestId('scan-model-input'));
    expect(await screen.findByText('weights-frontier-7b')).toBeInTheDocument();
    expect(screen.queryByText('portal-web')).not.toBeInTheDocument();
    await userEvent.click(screen.getByText('Frontier 7B Chat'));
    const file = new File([new Uint8Array(400)], 'evil.pt');
    await userEvent.upload(input, file);
    await userEvent.click(screen.getByRole('button', { name: 'Upload and scan' }));
    expect(api.uploadScan).toHaveBeenCalledWith(
      file,
      expect.objectContaining({ entityRef: 'component:default/frontier-7b-chat' }),
    );

    // The scan page shows progress while running, then the verdict (polled every second).
    expect(await screen.findByTestId('scan-progress')).toHaveTextContent(
      '0 of 1 files',
    );
    await waitFor(
      () =>
        expect(screen.getByTestId('scan-status')).toHaveAttribute(
          'data-status',
          'completed',
        ),
      { timeout: 8000 },
    );
    expect(api.getScan).toHaveBeenCalledWith('scan-1');
    expect(api.getScan.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(
      screen.getAllByTestId('verdict-chip').map(c => c.getAttribute('data-verdict')),
    ).toContain('malicious');
    expect(screen.getByRole('link', { name: /AML\.T0011\.000/ })).toBeInTheDocument();
    expect(await screen.findByTestId('gate-decision')).toHaveAttribute(
      'data-allowed',
      'false',
    );
    expect(api.gate).toHaveBeenCalledWith(running.target);
    // Even a reviewer is never offered to accept a malicious verdict.
    expect(
      screen.queryByRole('button', { name: 'Accept suspicious verdict' }),
    ).not.toBeInTheDocument();
  }, 60_000);

  it("preselects the model named in ?entityRef= (the model's Model scans tab links so)", async () => {
    const api = fakeApi();
    api.createScan.mockResolvedValue({ ...completed, id: 'scan-4', target: 'hf://org/repo', trigger: 'manual' });
    api.getScan.mockResolvedValue({ ...completed, id: 'scan-4', target: 'hf://org/repo', verdict: 'safe', severity: 'none', files: [] });
    api.gate.mockResolvedValue({ allowed: true, target: 'hf://org/repo', reasons: [], files: [] });
    renderTestApp({
      features: [modelScanPlugin],
      initialRouteEntries: ['/model-scan/new?entityRef=resource%3Adefault%2Fweights-frontier-7b'],
      apis: [
        [modelScanApiRef, api],
        [permissionApiRef, mockApis.permission({ authorize: AuthorizeResult.ALLOW })],
        [catalogApiRef, catalog],
      ],
    });
    await waitFor(() => expect(screen.getByTestId('scan-model-input')).toHaveValue('weights-frontier-7b'), { timeout: 15000 });
    await userEvent.type(screen.getByLabelText('Model location'), 'hf://org/repo');
    await userEvent.click(screen.getByRole('button', { name: 'Start scan' }));
    expect(api.createScan).toHaveBeenCalledWith({ target: 'hf://org/repo', entityRef: 'resource:default/weights-frontier-7b' });
  }, 60_000);

  it('scans a target from the form and rescans from the scan page', async () => {
    const api = fakeApi();
    const target = 'hf://org/repo@main';
    api.createScan.mockResolvedValue({ ...completed, id: 'scan-2', target, trigger: 'manual' });
    api.getScan.mockImplementation(async id => ({
      ...completed,
      id,
      target,
      verdict: 'safe',
      severity: 'none',
      files: [],
    }));
    api.rescan.mockResolvedValue({ ...running, id: 'scan-3', target, status: 'queued' });
    api.gate.mockResolvedValue({ allowed: true, target, reasons: [], files: [] });

    renderTestApp({
      features: [modelScanPlugin],
      initialRouteEntries: ['/model-scan/new'],
      apis: [
        [modelScanApiRef, api],
        [permissionApiRef, mockApis.permission({ authorize: AuthorizeResult.ALLOW })],
        [catalogApiRef, catalog],
      ],
    });
    const input = await screen.findByLabelText('Model location', {}, { timeout: 15000 });

    // An unsupported location is refused in the form, nothing is sent.
    await userEvent.type(input, 'ftp://example.com/m.pt');
    await userEvent.click(screen.getByRole('button', { name: 'Start scan' }));
    expect(await screen.findByText(/Use an https:\/\/ URL/)).toBeInTheDocument();
    expect(api.createScan).not.toHaveBeenCalled();

    await userEvent.clear(input);
    await userEvent.type(input, target);
    await userEvent.click(screen.getByRole('button', { name: 'Start scan' }));
    expect(api.createScan).toHaveBeenCalledWith({ target });

    expect(
      await screen.findByTestId('gate-decision', {}, { timeout: 10000 }),
    ).toHaveAttribute('data-allowed', 'true');
    expect(api.getScan).toHaveBeenCalledWith('scan-2');

    await userEvent.click(screen.getByRole('button', { name: 'Rescan' }));
    expect(api.rescan).toHaveBeenCalledWith('scan-2');
    await waitFor(() => expect(api.getScan).toHaveBeenCalledWith('scan-3'));
  }, 60_000);
});
