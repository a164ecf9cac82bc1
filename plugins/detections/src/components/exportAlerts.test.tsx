import { fireEvent, screen, waitFor } from '@testing-library/react';
import { mockApis } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { alert, fakeApi } from '../__testUtils__/fakeApi';
import { renderWith } from '../__testUtils__/render';
import { DashboardPage } from './DashboardPage';
import { alertsToCsv, EXPORT_MAX, fetchAllAlerts } from './exportAlerts';

/** What a download was made of (the Blob's parts), read back without jsdom's FileReader. */
class RecordingBlob {
  constructor(readonly parts: string[], readonly options?: { type?: string }) {}
}
const readBlob = async (b: Blob) => (b as unknown as RecordingBlob).parts.join('');

describe('alert export', () => {
  it('writes CSV with a header, quoted fields and formulas defused', () => {
    const csv = alertsToCsv([
      alert({ title: 'Read of "frontier", again', principal: '=HYPERLINK("x")', assignee: undefined }),
    ]);
    const [header, row, end] = csv.split('\r\n');
    expect(header).toBe('id,severity,status,closeReason,title,rule,principal,principalRef,resource,resourceRef,count,firstSeen,lastSeen,assignee');
    expect(row).toBe('a1,critical,new,,"Read of ""frontier"", again",weight-store-read-without-grant,"\'=HYPERLINK(""x"")",user:default/erin,frontierweights/frontier-7b,resource:default/weights-frontier-7b,3,2026-12-07T10:02:00.000Z,2026-12-07T10:40:00.000Z,');
    expect(end).toBe('');
  });

  it('follows the cursor through every page and stops at the cap', async () => {
    const listAlerts = jest.fn()
      .mockResolvedValueOnce({ items: [alert({ id: 'a1' })], nextCursor: 'c1' })
      .mockResolvedValueOnce({ items: [alert({ id: 'a2' })] });
    const all = await fetchAllAlerts({ listAlerts }, { status: ['new'], q: 'erin' });
    expect(all.items.map(a => a.id)).toEqual(['a1', 'a2']);
    expect(all.truncated).toBe(false);
    expect(listAlerts).toHaveBeenNthCalledWith(1, { status: ['new'], q: 'erin', limit: 500 });
    expect(listAlerts).toHaveBeenNthCalledWith(2, { status: ['new'], q: 'erin', limit: 500, cursor: 'c1' });

    const many = Array.from({ length: 500 }, (_, i) => alert({ id: `x${i}` }));
    const endless = jest.fn().mockResolvedValue({ items: many, nextCursor: 'more' });
    const capped = await fetchAllAlerts({ listAlerts: endless }, {});
    expect(capped.items).toHaveLength(EXPORT_MAX);
    expect(capped.truncated).toBe(true);
    expect(endless).toHaveBeenCalledTimes(EXPORT_MAX / 500);
  });

  it('exports the queue with its current filters from the dashboard, and says how many', async () => {
    const created: Blob[] = [];
    const original = { create: URL.createObjectURL, revoke: URL.revokeObjectURL, Blob: globalThis.Blob };
    globalThis.Blob = RecordingBlob as unknown as typeof Blob;
    URL.createObjectURL = jest.fn((b: Blob) => {
      created.push(b);
      return 'blob:test';
    }) as any;
    URL.revokeObjectURL = jest.fn();
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    try {
      const listAlerts = jest.fn().mockResolvedValue({ items: [alert(), alert({ id: 'a2', title: 'Password spray', severity: 'high' })], totalCount: 2 });
      await renderWith(<DashboardPage />, {
        path: '/detections',
        at: '/detections?severity=critical,high&q=erin',
        api: fakeApi({ listAlerts }),
        permission: mockApis.permission({ authorize: () => AuthorizeResult.ALLOW }),
      });
      fireEvent.click(await screen.findByTestId('export-csv'));
      expect(await screen.findByTestId('export-result')).toHaveTextContent('Exported 2 alerts matching the filters.');
      expect(listAlerts).toHaveBeenLastCalledWith(expect.objectContaining({ severity: ['critical', 'high'], q: 'erin', status: ['new', 'acknowledged'], limit: 500 }));
      const csv = await readBlob(created[0]);
      expect((created[0] as unknown as RecordingBlob).options?.type).toBe('text/csv');
      expect(csv.split('\r\n')).toHaveLength(4);
      expect(csv).toContain('a2,high,new,,Password spray');
      expect(click).toHaveBeenCalledTimes(1);

      fireEvent.click(screen.getByTestId('export-json'));
      await waitFor(() => expect(created).toHaveLength(2));
      const json = JSON.parse(await readBlob(created[1]));
      expect(json.filters).toMatchObject({ severity: ['critical', 'high'], q: 'erin' });
      expect(json.items.map((a: { id: string }) => a.id)).toEqual(['a1', 'a2']);

      // a failed export says so in a sentence
      listAlerts.mockRejectedValueOnce(new Error('Request failed with 500 Internal Server Error'));
      fireEvent.click(screen.getByTestId('export-csv'));
      await waitFor(() => expect(screen.getByTestId('export-result')).toHaveTextContent('The export failed.'));
      expect(screen.getByTestId('export-result')).not.toHaveTextContent('500');
    } finally {
      URL.createObjectURL = original.create;
      URL.revokeObjectURL = original.revoke;
      globalThis.Blob = original.Blob;
      click.mockRestore();
    }
  }, 30_000);
});
