import { fireEvent, screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { identityApiRef } from '@backstage/frontend-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExceptionsApiRef } from '../api/apis';
import { rootRouteRef } from '../routes';
import { ExceptionsListPage } from './ExceptionsListPage';
import { REVOKE_AFTER_MS, saveFile } from './saveFile';

/** Replaces URL.createObjectURL/revokeObjectURL and the anchor's click; records what happened. */
function recordDownloads() {
  const original = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
  const blobs: Blob[] = [];
  const clicks: Array<{ href: string; download: string; attached: boolean; revokedBefore: boolean }> = [];
  const revoke = jest.fn();
  URL.createObjectURL = jest.fn((b: Blob) => {
    blobs.push(b);
    return `blob:test/${blobs.length}`;
  }) as any;
  URL.revokeObjectURL = revoke;
  const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function recordClick(this: HTMLAnchorElement) {
    clicks.push({
      href: this.getAttribute('href') ?? '',
      download: this.download,
      attached: document.body.contains(this),
      revokedBefore: revoke.mock.calls.length > 0,
    });
  });
  return {
    blobs,
    clicks,
    revoke,
    restore() {
      URL.createObjectURL = original.create;
      URL.revokeObjectURL = original.revoke;
      click.mockRestore();
    },
  };
}

describe('saveFile', () => {
  afterEach(() => jest.useRealTimers());

  it('clicks a link attached to the document, removes it, and revokes the URL only after a delay', () => {
    jest.useFakeTimers();
    const rec = recordDownloads();
    try {
      saveFile('x.json', '{"a":1}', 'application/json');
      expect(rec.clicks).toEqual([{ href: 'blob:test/1', download: 'x.json', attached: true, revokedBefore: false }]);
      expect(document.querySelector('a[download]')).toBeNull();
      expect(rec.revoke).not.toHaveBeenCalled();
      jest.advanceTimersByTime(REVOKE_AFTER_MS - 1);
      expect(rec.revoke).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(rec.revoke).toHaveBeenCalledWith('blob:test/1');
      expect(rec.blobs[0].type).toBe('application/json');
    } finally {
      rec.restore();
    }
  });
});

describe('ExceptionsListPage export', () => {
  it('downloads the active exceptions as JSON the same way', async () => {
    const rec = recordDownloads();
    try {
      const doc = { exceptions: [{ id: 'e1' }] };
      const api = {
        listExceptions: jest.fn().mockResolvedValue({ items: [] }),
        exportActive: jest.fn().mockResolvedValue(doc),
      };
      await renderInTestApp(<ExceptionsListPage />, {
        apis: [
          [policyExceptionsApiRef, api as any],
          [permissionApiRef, mockApis.permission({ authorize: () => AuthorizeResult.ALLOW })],
          [identityApiRef, mockApis.identity({ userEntityRef: 'user:default/bob' })],
        ],
        mountedRoutes: { '/policy-exceptions': rootRouteRef },
      });
      // the list has loaded (an empty register) before the export is clicked
      expect(await screen.findByText('You have not requested or been named owner of any exception.')).toBeInTheDocument();
      fireEvent.click(screen.getByTestId('export-json'));
      await waitFor(() => expect(rec.clicks).toHaveLength(1));
      expect(rec.clicks[0]).toMatchObject({ href: 'blob:test/1', attached: true, revokedBefore: false });
      expect(rec.clicks[0].download).toMatch(/^policy-exceptions-json-\d{4}-\d{2}-\d{2}\.json$/);
      expect(JSON.parse(await rec.blobs[0].text())).toEqual(doc);
      expect(document.querySelector('a[download]')).toBeNull();
      // revoked after the delay, not at the click
      expect(rec.revoke).not.toHaveBeenCalled();
      await waitFor(() => expect(rec.revoke).toHaveBeenCalledWith('blob:test/1'), { timeout: REVOKE_AFTER_MS * 3 });
    } finally {
      rec.restore();
    }
  }, 30_000);
});
