import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { ModelScanApi, modelScanApiRef } from '../api/ModelScanApi';
import { Finding, ScannedFile } from '../api/types';
import { AcceptVerdictButton } from './AcceptVerdictDialog';
import { atlasTechniqueUrl } from './atlas';
import { hasModelScansTab, isModelEntity, modelSourceTargets } from './entityFilter';
import { FindingExplanation, describeLocation } from './FindingExplanation';
import { validateTarget } from './NewScanPage';
import { explainRuleFamily } from './ruleFamilies';
import { VerdictChip } from './VerdictChip';

const reduceFinding: Finding = {
  ruleId: 'PICKLE_DANGEROUS_GLOBAL',
  severity: 'critical',
  message: 'The pickle calls os.system, which runs a shell command when the file is loaded.',
  location: { member: 'archive/data.pkl', offset: 2, opcode: 'GLOBAL' },
  cwe: ['CWE-502'],
  atlas: ['AML.T0010.003', 'AML.T0011.000'],
};

function file(overrides: Partial<ScannedFile>): ScannedFile {
  return {
    path: 'model.pt',
    sha256: 'a'.repeat(64),
    size: 1234,
    format: 'pytorch-zip',
    verdict: 'suspicious',
    severity: 'medium',
    findings: [],
    errors: [],
    ...overrides,
  };
}

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

describe('VerdictChip', () => {
  it('labels each verdict and its severity', async () => {
    await renderInTestApp(
      <>
        <VerdictChip verdict="malicious" severity="critical" />
        <VerdictChip verdict="safe" severity="none" />
        <VerdictChip />
      </>,
    );
    const chips = screen.getAllByTestId('verdict-chip');
    expect(chips.map(c => c.getAttribute('data-verdict'))).toEqual([
      'malicious',
      'safe',
      'pending',
    ]);
    expect(chips[0]).toHaveTextContent('Malicious · critical');
    expect(chips[1]).toHaveTextContent(/^Safe$/);
    expect(chips[2]).toHaveTextContent('Pending');
  });
});

describe('FindingExplanation', () => {
  it('explains a finding with its rule, location, CWE and ATLAS links', async () => {
    await renderInTestApp(<FindingExplanation finding={reduceFinding} />);
    expect(screen.getByText(/runs a shell command/)).toBeInTheDocument();
    expect(screen.getByText('PICKLE_DANGEROUS_GLOBAL')).toBeInTheDocument();
    expect(screen.getByTestId('rule-background')).toHaveTextContent(
      /Pickle data can run any Python code while it is being loaded/,
    );
    expect(
      screen.getByText(/archive member archive\/data\.pkl, byte offset 2, opcode GLOBAL/),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /CWE-502/ })).toHaveAttribute(
      'href',
      'https://cwe.mitre.org/data/definitions/502.html',
    );
    const atlas = screen.getByRole('link', { name: /AML\.T0010\.003/ });
    expect(atlas).toHaveAttribute(
      'href',
      'https://atlas.mitre.org/techniques/AML.T0010.003',
    );
    expect(screen.getByRole('link', { name: /AML\.T0011\.000/ })).toHaveAttribute(
      'href',
      'https://atlas.mitre.org/techniques/AML.T0011.000',
    );
  });

  it('explains rule families and stays silent for unknown ones', () => {
    expect(explainRuleFamily('KERAS_LAMBDA_LAYER')).toMatch(/Lambda layers/);
    expect(explainRuleFamily('ZIP_DUPLICATE_NAME')).toMatch(/zip archive/);
    expect(explainRuleFamily('PICKLEISH_THING')).toBeUndefined();
    expect(explainRuleFamily('SOMETHING_NEW')).toBeUndefined();
  });

  it('describes locations only with what is known', () => {
    expect(describeLocation(undefined)).toBeUndefined();
    expect(describeLocation({ path: 'config.layers[3]' })).toBe('at config.layers[3]');
    expect(atlasTechniqueUrl('AML.T0076')).toBe(
      'https://atlas.mitre.org/techniques/AML.T0076',
    );
  });
});

describe('AcceptVerdictButton', () => {
  it('lets a reviewer accept a suspicious file with a justification and expiry', async () => {
    const api = fakeApi();
    // what POST /acceptances answers: the exception request another reviewer approves
    api.acceptVerdict.mockResolvedValue({
      exception: { id: 'exc-1', status: 'submitted' },
    });
    const onAccepted = jest.fn();
    const asked: string[] = [];
    await renderInTestApp(
      <AcceptVerdictButton file={file({})} onAccepted={onAccepted} />,
      {
        apis: [
          [modelScanApiRef, api],
          [
            permissionApiRef,
            mockApis.permission({
              authorize: req => {
                asked.push(req.permission.name);
                return AuthorizeResult.ALLOW;
              },
            }),
          ],
        ],
      },
    );
    const button = await screen.findByRole('button', {
      name: 'Accept suspicious verdict',
    });
    expect(asked).toContain('model-scan.verdict.accept');
    await userEvent.click(button);
    const dialog = await screen.findByRole('dialog');
    // Submitting without a justification is refused in the form.
    await userEvent.click(within(dialog).getByRole('button', { name: 'Accept' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'A justification is required.',
    );
    expect(api.acceptVerdict).not.toHaveBeenCalled();

    fireEvent.change(within(dialog).getByLabelText(/Justification/), {
      target: { value: 'Custom layer reviewed by the security team' },
    });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Accept' }));
    expect(api.acceptVerdict).toHaveBeenCalledWith(
      expect.objectContaining({
        sha256: 'a'.repeat(64),
        justification: 'Custom layer reviewed by the security team',
      }),
    );
    const { expiresAt } = api.acceptVerdict.mock.calls[0][0];
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
    await waitFor(() => expect(onAccepted).toHaveBeenCalled());
  }, 30_000);

  it('is never offered for a malicious file, even to a reviewer', async () => {
    await renderInTestApp(
      <AcceptVerdictButton file={file({ verdict: 'malicious', severity: 'critical' })} />,
      {
        apis: [
          [modelScanApiRef, fakeApi()],
          [permissionApiRef, mockApis.permission({ authorize: AuthorizeResult.ALLOW })],
        ],
      },
    );
    await new Promise(r => setTimeout(r, 50));
    expect(
      screen.queryByRole('button', { name: 'Accept suspicious verdict' }),
    ).not.toBeInTheDocument();
  });
});

describe('model entities and targets', () => {
  const entity = (kind: string, type?: string, annotations?: Record<string, string>) =>
    ({
      apiVersion: 'backstage.io/v1alpha1',
      kind,
      metadata: { name: 'x', annotations },
      spec: type ? { type } : {},
    }) as any;

  it('recognises models, weight stores and annotated entities', () => {
    expect(isModelEntity(entity('Component', 'model'))).toBe(true);
    expect(isModelEntity(entity('Resource', 'weight-store'))).toBe(true);
    expect(isModelEntity(entity('Component', 'service'))).toBe(false);
    expect(
      isModelEntity(
        entity('Component', 'service', {
          'frontier-guard.io/model-source': 'hf://org/repo',
        }),
      ),
    ).toBe(true);
    expect(
      modelSourceTargets(
        entity('Resource', 'weight-store', {
          'frontier-guard.io/model-source': ' hf://a/b@v1 , mlflow://m/3 ',
        }),
      ),
    ).toEqual(['hf://a/b@v1', 'mlflow://m/3']);
  });

  it('shows the Model scans tab on models only, not on weight stores or other entities', () => {
    expect(hasModelScansTab(entity('Component', 'model'))).toBe(true);
    expect(hasModelScansTab(entity('component', 'Model'))).toBe(true);
    expect(hasModelScansTab(entity('Component', 'service', { 'frontier-guard.io/model-source': 'hf://org/repo' }))).toBe(true);
    expect(hasModelScansTab(entity('Resource', 'weight-store'))).toBe(false);
    expect(hasModelScansTab(entity('Resource', 'Weight-Store', { 'frontier-guard.io/model-source': 'hf://org/repo' }))).toBe(false);
    expect(hasModelScansTab(entity('Resource', 'cluster'))).toBe(false);
    expect(hasModelScansTab(entity('Component', 'service'))).toBe(false);
    expect(hasModelScansTab(entity('User'))).toBe(false);
  });

  it('accepts the shared target notation and refuses anything else', () => {
    expect(validateTarget('hf://org/repo@main')).toBeUndefined();
    expect(validateTarget('mlflow://fraud-model/3')).toBeUndefined();
    expect(
      validateTarget('https://acct.blob.core.windows.net/weights/frontier-7b/'),
    ).toBeUndefined();
    expect(validateTarget('')).toBe('Enter a model location.');
    expect(validateTarget('ftp://example.com/model.pt')).toMatch(/Use an https/);
    expect(validateTarget('http://insecure.example.com/m.pt')).toMatch(/Use an https/);
  });
});
