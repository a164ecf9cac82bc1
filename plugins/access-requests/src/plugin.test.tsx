import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import {
  AccessRequest,
  FrozenPolicy,
  Grant,
} from '@internal/plugin-access-requests-common';
import accessRequestsPlugin from './index';
import { AccessRequestsApi, accessRequestsApiRef } from './api/AccessRequestsApi';

const policy: FrozenPolicy = {
  name: 'weights-frontier-7b',
  kind: 'rigid',
  maxDurationMinutes: 480,
  requireJustification: true,
  requireTicket: false,
  roleId: 'blob-reader',
  frozenAt: '2026-01-01T00:00:00Z',
  roles: [
    {
      id: 'blob-reader',
      title: 'Storage Blob Data Reader',
      allows: ['blob:read', 'blob:list'],
      privilege: 1,
      approvals: [{ group: 'group:default/security-reviewers', count: 2 }],
    },
  ],
};

const pending: AccessRequest = {
  id: 'req-42',
  resourceRef: 'resource:default/weights-frontier-7b',
  roleId: 'blob-reader',
  requester: 'user:default/alice',
  justification: 'Evaluate the 7B checkpoint',
  durationMinutes: 60,
  status: 'pending',
  createdAt: '2026-01-01T00:00:00Z',
  expiresAt: '2026-01-02T00:00:00Z',
  policy,
  reviews: [],
  remaining: [{ group: 'group:default/security-reviewers', needed: 2, have: 0 }],
};

function fakeApi(): jest.Mocked<AccessRequestsApi> {
  return {
    searchResources: jest.fn(),
    getResource: jest.fn(),
    createRequest: jest.fn(),
    listRequests: jest.fn(),
    getRequest: jest.fn(),
    review: jest.fn(),
    withdraw: jest.fn(),
    listGrants: jest.fn(),
    revokeGrant: jest.fn(),
    retryGrant: jest.fn(),
    renewGrant: jest.fn(),
    decisionTime: jest.fn().mockResolvedValue({ basis: 'resource', decided: 4, medianMinutes: 180 }),
  } as any;
}

describe('access-requests plugin pages', () => {
  it('searches, shows the suggestion, requests, and offers the requester no Approve/Deny on the request page', async () => {
    const api = fakeApi();
    api.searchResources.mockResolvedValue({
      items: [
        {
          entityRef: 'resource:default/weights-frontier-7b',
          title: 'Frontier 7B weights',
          description: 'Azure blob container with the 7B weights',
          type: 'weight-store',
          policy,
        },
      ],
      suggestion: {
        resourceRef: 'resource:default/weights-frontier-7b',
        roleId: 'blob-reader',
        explanation: 'Reading weights needs blob:read and blob:list only.',
        source: 'deterministic',
      },
    });
    api.createRequest.mockResolvedValue({ request: pending });
    api.getRequest.mockResolvedValue({ request: pending });
    api.review.mockRejectedValue(
      Object.assign(new Error('Request failed with 403'), {
        response: { status: 403 },
        body: { error: { name: 'NotAllowedError', message: 'requesters cannot approve their own request' } },
      }),
    );

    renderTestApp({
      features: [accessRequestsPlugin],
      initialRouteEntries: ['/access'],
      apis: [[accessRequestsApiRef, api], mockApis.identity({ userEntityRef: 'user:default/alice', ownershipEntityRefs: ['user:default/alice'] })],
    });

    const search = await screen.findByLabelText(
      'Describe the resource and what you need to do',
      {},
      { timeout: 15000 },
    );
    fireEvent.change(search, { target: { value: 'read 7b weights' } });
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(api.searchResources).toHaveBeenCalledWith('read 7b weights');
    expect(await screen.findByTestId('role-suggestion')).toHaveTextContent(
      'Reading weights needs blob:read and blob:list only.',
    );
    expect(screen.getByTestId('suggestion-source')).toHaveAttribute('data-source', 'deterministic');

    await userEvent.click(
      screen.getByRole('button', { name: 'Request access to Frontier 7B weights' }),
    );
    const form = await screen.findByTestId('request-form');
    fireEvent.change(within(form).getByLabelText(/Justification/), {
      target: { value: 'Evaluate the 7B checkpoint' },
    });
    await userEvent.click(within(form).getByRole('button', { name: 'Submit request' }));
    expect(api.createRequest).toHaveBeenCalledWith({
      resourceRef: 'resource:default/weights-frontier-7b',
      roleId: 'blob-reader',
      durationMinutes: 60,
      justification: 'Evaluate the 7B checkpoint',
    });

    // Navigated to /access/requests/req-42
    expect(
      await screen.findByTestId('request-status', {}, { timeout: 10000 }),
    ).toHaveAttribute('data-status', 'pending');
    expect(api.getRequest).toHaveBeenCalledWith('req-42');
    expect(screen.getByTestId('remaining-approvals')).toHaveAttribute('data-missing', '2');
    // right after submitting: who was told, how many approvals, and how long it usually takes
    const confirmation = await screen.findByTestId('submitted-confirmation');
    expect(await within(confirmation).findByText(/usually decided within 3h/)).toBeInTheDocument();
    expect(within(confirmation).getByTestId('notified-approvers')).toHaveTextContent('2 approvals needed');
    expect(within(confirmation).getByTestId('notified-approvers')).toHaveTextContent('security-reviewers');
    expect(api.decisionTime).toHaveBeenCalledWith({ resourceRef: 'resource:default/weights-frontier-7b', policy: policy.name });

    // the requester may not review their own request: no Approve / Deny, but Withdraw
    expect(await screen.findByRole('button', { name: 'Withdraw request' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Deny' })).not.toBeInTheDocument();
    expect(api.review).not.toHaveBeenCalled();
  }, 60_000);

  it('shows my grants with time left and an expired one as expired', async () => {
    const api = fakeApi();
    const now = Date.now();
    const active: Grant = {
      id: 'g-active',
      resourceRef: 'resource:default/weights-frontier-7b',
      roleId: 'blob-reader',
      userRef: 'user:default/alice',
      status: 'active',
      startsAt: new Date(now - 60_000).toISOString(),
      expiresAt: new Date(now + 2 * 3600_000 + 30_000).toISOString(),
      breakGlass: false,
      provisioning: { state: 'provisioned' },
      history: [],
    };
    const expired: Grant = {
      ...active,
      id: 'g-old',
      status: 'expired',
      expiresAt: new Date(now - 1000).toISOString(),
      provisioning: { state: 'deprovisioned' },
    };
    api.listGrants.mockResolvedValue({ items: [active, expired] });
    api.listRequests.mockResolvedValue({ items: [pending] });

    renderTestApp({
      features: [accessRequestsPlugin],
      initialRouteEntries: ['/access/requests'],
      apis: [[accessRequestsApiRef, api]],
    });

    await waitFor(
      () => expect(screen.getAllByTestId('grant-state')).toHaveLength(2),
      { timeout: 15000 },
    );
    expect(api.listGrants).toHaveBeenCalledWith({ scope: 'mine' });
    expect(api.listRequests).toHaveBeenCalledWith({ scope: 'mine' });
    const times = screen.getAllByTestId('grant-time-left');
    const byId = (id: string) => times.find(t => t.getAttribute('data-grant-id') === id)!;
    expect(byId('g-active')).toHaveTextContent(/^(2h 0m|1h 59m) left$/);
    expect(byId('g-old')).toHaveTextContent('expired');
    const provisioning = screen
      .getAllByTestId('grant-provisioning')
      .find(p => p.getAttribute('data-grant-id') === 'g-old');
    expect(provisioning).toHaveAttribute('data-state', 'deprovisioned');
    expect(screen.getByTestId('request-missing-approvals')).toHaveTextContent('2');
  }, 60_000);
});
