import { screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { modelScanApiRef } from '../api/ModelScanApi';
import { ScannedFile } from '../api/types';
import { AcceptVerdictButton } from './AcceptVerdictDialog';

// Its own file: usePermission caches answers per permission for the module's lifetime.

const suspicious: ScannedFile = {
  path: 'model.pt',
  sha256: 'a'.repeat(64),
  size: 1234,
  format: 'pytorch-zip',
  verdict: 'suspicious',
  severity: 'medium',
  findings: [],
  errors: [],
};

describe('AcceptVerdictButton without permission', () => {
  it('is hidden without the verdict.accept permission', async () => {
    const authorize = jest.fn((): AuthorizeResult.DENY => AuthorizeResult.DENY);
    await renderInTestApp(<><p>File model.pt</p><AcceptVerdictButton file={suspicious} /></>, {
      apis: [
        [modelScanApiRef, {}],
        [permissionApiRef, mockApis.permission({ authorize })],
      ],
    });
    // The rest of the page renders; the button does not, once the answer is in.
    expect(await screen.findByText('File model.pt')).toBeInTheDocument();
    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          permission: expect.objectContaining({ name: 'model-scan.verdict.accept' }),
        }),
      ),
    );
    await new Promise(r => setTimeout(r, 100));
    expect(
      screen.queryByRole('button', { name: 'Accept suspicious verdict' }),
    ).not.toBeInTheDocument();
  });
});
