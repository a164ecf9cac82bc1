import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { identityApiRef } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { ModelScanApi, modelScanApiRef } from '../api/ModelScanApi';
import { Scan } from '../api/types';
import { ReviewRequestNotice, ScanActions } from './ScanReview';
import { ScansTable } from './ScansTable';

const ALICE = 'user:default/alice';

const flagged: Scan = {
  id: 'scan-9',
  target: `upload://${'c'.repeat(64)}/evil.pt`,
  trigger: 'upload',
  status: 'completed',
  verdict: 'malicious',
  severity: 'critical',
  requestedBy: ALICE,
  createdAt: '2026-01-01T00:00:00Z',
};

function fakeApi(): jest.Mocked<ModelScanApi> {
  return { requestReview: jest.fn(), getBom: jest.fn(), listScans: jest.fn(), getScan: jest.fn() } as any;
}

async function render(scan: Scan, user: string, api = fakeApi(), onChanged = jest.fn()) {
  await renderInTestApp(
    <>
      <ReviewRequestNotice scan={scan} />
      <ScanActions scan={scan} onChanged={onChanged} />
    </>,
    { apis: [[modelScanApiRef, api], [identityApiRef, mockApis.identity({ userEntityRef: user })]] },
  );
  return { api, onChanged };
}

describe('Ask for review', () => {
  it('is offered to the uploader of a flagged scan; the note is required and counted; sending says what happens next', async () => {
    const { api, onChanged } = await render(flagged, ALICE);
    api.requestReview.mockResolvedValue({ ...flagged, reviewRequest: { requestedBy: ALICE, requestedAt: '2026-01-02T00:00:00Z', note: 'x' } });
    await userEvent.click(await screen.findByRole('button', { name: 'Ask for review' }));
    const send = screen.getByRole('button', { name: 'Send to reviewers' });
    expect(send).toBeDisabled();
    const note = screen.getByLabelText(/Note to the reviewers/);
    await userEvent.type(note, 'too short');
    expect(screen.getByText('9 / 2,000 characters (at least 10)')).toBeInTheDocument();
    expect(send).toBeDisabled();
    await userEvent.type(note, ' — this is our own fine-tune');
    await userEvent.click(send);
    expect(api.requestReview).toHaveBeenCalledWith('scan-9', 'too short — this is our own fine-tune');
    expect(await screen.findByTestId('review-sent')).toHaveTextContent('Sent to the security reviewers');
    expect(onChanged).toHaveBeenCalled();
  }, 30_000);

  it('says so in words when the backend refuses', async () => {
    const api = fakeApi();
    api.requestReview.mockRejectedValue(
      await ResponseError.fromResponse(
        new Response(JSON.stringify({ error: { name: 'ConflictError', message: 'already' } }), { status: 409, headers: { 'content-type': 'application/json' } }) as any,
      ),
    );
    await render(flagged, ALICE, api);
    await userEvent.click(await screen.findByRole('button', { name: 'Ask for review' }));
    await userEvent.type(screen.getByLabelText(/Note to the reviewers/), 'please have a look at it');
    await userEvent.click(screen.getByRole('button', { name: 'Send to reviewers' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('A review of this scan has already been requested.');
  }, 30_000);

  it('is not offered to someone else (who still gets the BOM)', async () => {
    await render(flagged, 'user:default/bob');
    expect(await screen.findByRole('button', { name: 'Download ML-BOM (CycloneDX)' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Ask for review' })).not.toBeInTheDocument();
  });

  it('is not offered for a safe scan', async () => {
    await render({ ...flagged, verdict: 'safe', severity: 'none' }, ALICE);
    expect(await screen.findByRole('button', { name: 'Download ML-BOM (CycloneDX)' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Ask for review' })).not.toBeInTheDocument();
  });

  it('shows who asked and their note, and is not offered again', async () => {
    const asked = { ...flagged, reviewRequest: { requestedBy: ALICE, requestedAt: '2026-01-02T00:00:00Z', note: 'our own fine-tune' } };
    await render(asked, ALICE);
    expect(await screen.findByTestId('review-requested')).toHaveTextContent('our own fine-tune');
    expect(screen.queryByRole('button', { name: 'Ask for review' })).not.toBeInTheDocument();
  });

  it('marks requested reviews in the scan list', async () => {
    const asked = { ...flagged, reviewRequest: { requestedBy: ALICE, requestedAt: '2026-01-02T00:00:00Z', note: 'n' } };
    await renderInTestApp(<ScansTable scans={[asked, { ...flagged, id: 'other', target: 'hf://org/other' }]} />);
    expect(await screen.findAllByTestId('review-requested-mark')).toHaveLength(1);
  });
});

describe('Download ML-BOM', () => {
  it('fetches the BOM through the API (with the token) and saves it under the served name', async () => {
    const created: Blob[] = [];
    const createObjectURL = jest.fn((b: Blob) => {
      created.push(b);
      return 'blob:bom';
    });
    Object.assign(URL, { createObjectURL, revokeObjectURL: jest.fn() });
    const clicks: string[] = [];
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function recordClick(this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    const api = fakeApi();
    const blob = new Blob(['{"bomFormat":"CycloneDX"}'], { type: 'application/vnd.cyclonedx+json' });
    api.getBom.mockResolvedValue({ blob, fileName: 'model-scan-scan-9.cdx.json' });
    await render(flagged, 'user:default/bob', api);
    await userEvent.click(await screen.findByRole('button', { name: 'Download ML-BOM (CycloneDX)' }));
    await waitFor(() => expect(clicks).toEqual(['model-scan-scan-9.cdx.json']));
    expect(api.getBom).toHaveBeenCalledWith('scan-9');
    expect(created).toEqual([blob]);
    click.mockRestore();
  });

  it('is not offered while the scan runs', async () => {
    await render({ ...flagged, status: 'running', verdict: undefined }, ALICE);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Download ML-BOM (CycloneDX)' })).not.toBeInTheDocument());
  });
});
