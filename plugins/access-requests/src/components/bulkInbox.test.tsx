import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AccessRequest } from '@internal/plugin-access-requests-common';
import { AccessRequestsApi, accessRequestsApiRef } from '../api/AccessRequestsApi';
import { rootRouteRef } from '../routes';
import { InboxPage } from './InboxPage';

const SEC = 'group:default/security-reviewers';
const BOB = 'user:default/bob';

function pending(id: string, requester: string, roleId = 'blob-reader'): AccessRequest {
  return {
    id, resourceRef: 'resource:default/weights-frontier-7b', roleId, requester, justification: 'eval',
    durationMinutes: 60, status: 'pending', createdAt: new Date(Date.now() - 60_000).toISOString(),
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    policy: {
      name: 'weights-frontier-7b', kind: 'rigid', roleId, frozenAt: '', maxDurationMinutes: 480, requireJustification: true, requireTicket: false,
      roles: [
        { id: 'blob-reader', title: 'Storage Blob Data Reader', allows: ['blob:read'], privilege: 1, approvals: [{ group: SEC, count: 2 }] },
        { id: 'blob-contributor', title: 'Storage Blob Data Contributor', allows: ['blob:read', 'blob:write'], privilege: 2, approvals: [{ group: SEC, count: 2 }] },
      ],
    },
    reviews: [], remaining: [{ group: SEC, needed: 2, have: 0 }],
  };
}

describe('reviewer inbox bulk approval', () => {
  it('selects only safe requests, confirms how many and which, approves each and shows per-request results', async () => {
    const items = [pending('r-alice', 'user:default/alice'), pending('r-erin', 'user:default/erin'), pending('r-high', 'user:default/erin', 'blob-contributor'), pending('r-own', BOB)];
    const api = {
      listRequests: jest.fn().mockResolvedValue({ items }),
      review: jest.fn(async (id: string) => {
        if (id === 'r-erin') throw Object.assign(new Error('Request failed with 409 Conflict'), { name: 'ResponseError', response: { status: 409 }, body: { error: { message: 'you have already reviewed this request' } } });
        return { request: { ...pending(id, 'user:default/alice'), remaining: [{ group: SEC, needed: 2, have: 1 }] } };
      }),
    } as unknown as jest.Mocked<AccessRequestsApi>;
    await renderInTestApp(<InboxPage />, {
      apis: [[accessRequestsApiRef, api], mockApis.identity({ userEntityRef: BOB, ownershipEntityRefs: [BOB, SEC] })],
      mountedRoutes: { '/access': rootRouteRef },
    });
    const boxes = await screen.findAllByTestId('bulk-select');
    const byId = Object.fromEntries(boxes.map(b => [b.getAttribute('data-request-id'), b as HTMLInputElement]));
    // the reviewer's own request and the high-risk (write) one cannot be bulk-approved
    expect(byId['r-own'].disabled).toBe(true);
    expect(byId['r-high'].disabled).toBe(true);
    expect(byId['r-alice'].disabled).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: /Select all 2 I may approve/ }));
    expect(screen.getByTestId('bulk-count')).toHaveAttribute('data-count', '2');
    fireEvent.click(screen.getByTestId('bulk-approve'));
    const dialog = await screen.findByTestId('bulk-approve-dialog');
    expect(within(dialog).getByText('Approve 2 requests?')).toBeInTheDocument();
    const listed = within(dialog).getByTestId('bulk-approve-list').querySelectorAll('li');
    expect([...listed].map(li => li.getAttribute('data-request-id'))).toEqual(['r-alice', 'r-erin']);
    expect(within(dialog).queryByRole('button', { name: /Deny/ })).toBeNull();
    fireEvent.change(within(dialog).getByTestId('reason-input'), { target: { value: 'Evaluation runs' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve 2 requests' }));

    const results = await screen.findAllByTestId('bulk-result');
    expect(results.map(r => [r.getAttribute('data-request-id'), r.getAttribute('data-ok')])).toEqual([
      ['r-alice', 'true'],
      ['r-erin', 'false'],
    ]);
    expect(results[0]).toHaveTextContent('1 more approval needed');
    expect(screen.getByTestId('bulk-results')).toHaveTextContent('1 of 2 approved; 1 refused');
    expect(api.review.mock.calls.map(c => c[0])).toEqual(['r-alice', 'r-erin']);
    expect(api.review).toHaveBeenCalledWith('r-alice', { decision: 'approve', comment: 'Evaluation runs' });
    // the inbox is reloaded
    await waitFor(() => expect(api.listRequests).toHaveBeenCalledTimes(2));
  }, 30_000);
});
