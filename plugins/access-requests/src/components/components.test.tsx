import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  AccessRequest,
  FrozenPolicy,
  Grant,
} from '@internal/plugin-access-requests-common';
import { AccessRequestsApi, accessRequestsApiRef } from '../api/AccessRequestsApi';
import { RemainingApprovals, approvalsStillNeeded } from './RemainingApprovals';
import { RequestForm, validateRequestForm } from './RequestForm';
import { ReviewPanel } from './ReviewPanel';
import {
  describeError,
  formatMinutes,
  formatRemaining,
  grantDisplayState,
  grantTimeLeft,
} from './format';
import { isRequestableResource } from './entityFilter';

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
    {
      id: 'blob-contributor',
      title: 'Storage Blob Data Contributor',
      allows: ['blob:read', 'blob:write'],
      privilege: 2,
      approvals: [
        { group: 'group:default/frontier-research', count: 1 },
        { group: 'group:default/security-reviewers', count: 2 },
      ],
    },
  ],
};

const request: AccessRequest = {
  id: 'req-1',
  resourceRef: 'resource:default/weights-frontier-7b',
  roleId: 'blob-reader',
  requester: 'user:default/alice',
  justification: 'Evaluate the 7B checkpoint',
  durationMinutes: 60,
  status: 'pending',
  createdAt: '2026-01-01T00:00:00Z',
  expiresAt: '2026-01-02T00:00:00Z',
  policy,
  reviews: [
    {
      reviewer: 'user:default/bob',
      decision: 'approve',
      comment: 'ok',
      createdAt: '2026-01-01T00:05:00Z',
      asGroup: 'group:default/security-reviewers',
      eligibleGroups: ['group:default/security-reviewers'],
    },
  ],
  remaining: [{ group: 'group:default/security-reviewers', needed: 2, have: 1 }],
};

function grant(overrides: Partial<Grant> = {}): Grant {
  return {
    id: 'g-1',
    resourceRef: 'resource:default/weights-frontier-7b',
    roleId: 'blob-reader',
    userRef: 'user:default/alice',
    status: 'active',
    startsAt: '2026-01-01T10:00:00Z',
    expiresAt: '2026-01-01T12:00:00Z',
    breakGlass: false,
    provisioning: { state: 'provisioned' },
    history: [],
    ...overrides,
  };
}

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
  } as any;
}

describe('time left', () => {
  const at = (iso: string) => new Date(iso);

  it('counts down an active grant and formats it', () => {
    expect(grantTimeLeft(grant(), at('2026-01-01T10:00:30Z'))).toBe('1h 59m left');
    expect(grantTimeLeft(grant(), at('2026-01-01T11:58:30Z'))).toBe('1m 30s left');
    expect(grantTimeLeft(grant(), at('2026-01-01T11:59:59Z'))).toBe('1s left');
    expect(formatRemaining('2026-01-03T12:00:00Z', at('2026-01-01T10:00:00Z'))).toBe('2d 2h');
  });

  it('shows a stored "active" grant past its expiry as expired (isGrantActive decides)', () => {
    const now = at('2026-01-01T12:00:00Z'); // exactly at expiresAt: no longer active
    expect(grantDisplayState(grant(), now)).toBe('expired');
    expect(grantTimeLeft(grant(), now)).toBe('expired');
  });

  it('never shows time left for revoked, failed or unprovisioned grants', () => {
    const now = at('2026-01-01T11:00:00Z');
    expect(grantTimeLeft(grant({ status: 'revoked' }), now)).toBe('revoked');
    expect(
      grantTimeLeft(grant({ status: 'failed', provisioning: { state: 'failed', error: 'ARM 500' } }), now),
    ).toBe('failed');
    expect(grantTimeLeft(grant({ provisioning: { state: 'pending' } }), now)).toBe(
      'being provisioned',
    );
    expect(
      grantTimeLeft(grant({ status: 'scheduled', startsAt: '2026-01-01T11:30:00Z' }), now),
    ).toBe('starts in 30m 0s');
  });

  it('formats durations in minutes', () => {
    expect(formatMinutes(480)).toBe('8h');
    expect(formatMinutes(90)).toBe('1h 30m');
    expect(formatMinutes(2880)).toBe('2d');
    expect(formatMinutes(0)).toBe('0m');
  });
});

describe('RemainingApprovals', () => {
  it('says how many approvals are still needed and from whom', async () => {
    await renderInTestApp(
      <RemainingApprovals remaining={request.remaining} reviews={request.reviews} />,
    );
    const box = screen.getByTestId('remaining-approvals');
    expect(box).toHaveAttribute('data-missing', '1');
    expect(box).toHaveTextContent('1 more approval needed');
    expect(box).toHaveTextContent('1 from security-reviewers (1 of 2: bob)');
  });

  it('adds up several steps and reports completion', () => {
    expect(
      approvalsStillNeeded([
        { group: 'group:default/frontier-research', needed: 1, have: 0 },
        { group: 'group:default/security-reviewers', needed: 2, have: 1 },
      ]),
    ).toBe(2);
    expect(
      approvalsStillNeeded([{ group: 'group:default/security-reviewers', needed: 2, have: 2 }]),
    ).toBe(0);
  });
});

describe('ReviewPanel', () => {
  it('approves after confirmation and shows the backend refusal in the dialog, without codes', async () => {
    const api = fakeApi();
    api.review.mockRejectedValue(
      Object.assign(new Error('Request failed with 403 Forbidden'), {
        response: { status: 403 },
        body: {
          error: {
            name: 'NotAllowedError',
            message: 'you are not a current member of Security reviewers, the approver group of this request',
            ids: { groups: 'group:default/security-reviewers' },
          },
        },
      }),
    );
    await renderInTestApp(<ReviewPanel request={request} />, {
      apis: [[accessRequestsApiRef, api]],
    });
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    const dialog = await screen.findByTestId('approve-dialog');
    fireEvent.change(within(dialog).getByLabelText('Comment (optional)'), { target: { value: 'looks fine' } });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Approve' }));
    expect(api.review).toHaveBeenCalledWith('req-1', { decision: 'approve', comment: 'looks fine' });
    const error = await within(dialog).findByTestId('reason-dialog-error');
    expect(error).toHaveTextContent(
      'You are not allowed to do this. You are not a current member of Security reviewers, the approver group of this request.',
    );
    expect(error).not.toHaveTextContent('group:default');
    expect(error).not.toHaveTextContent('HTTP');
  }, 30_000);

  it('reports a decision and hands the result back', async () => {
    const api = fakeApi();
    api.review.mockResolvedValue({ request: { ...request, status: 'denied' } });
    const onReviewed = jest.fn();
    await renderInTestApp(<ReviewPanel request={request} onReviewed={onReviewed} />, {
      apis: [[accessRequestsApiRef, api]],
    });
    await userEvent.click(screen.getByRole('button', { name: 'Deny' }));
    const dialog = await screen.findByTestId('deny-dialog');
    // rigid policy: one denial ends the request, and the dialog says so
    expect(within(dialog).getByTestId('deny-consequence')).toHaveTextContent('Denying ends this request now');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Deny request' }));
    expect(await within(dialog).findByText('Please give a reason; the person concerned will see it.')).toBeInTheDocument();
    expect(api.review).not.toHaveBeenCalled();
    fireEvent.change(within(dialog).getByLabelText('Reason (required)'), { target: { value: 'No ticket for this' } });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Deny request' }));
    expect(api.review).toHaveBeenCalledWith('req-1', { decision: 'deny', comment: 'No ticket for this' });
    expect(await screen.findByTestId('review-result')).toHaveTextContent('Denied. The requester sees your reason.');
    expect(onReviewed).toHaveBeenCalled();
  }, 30_000);

  it('describes conflicts', () => {
    expect(
      describeError(
        Object.assign(new Error('x'), {
          response: { status: 409 },
          body: { error: { message: 'already reviewed by you' } },
        }),
      ),
    ).toBe('Already reviewed by you. Reload the page to see the current state.');
  });
});

describe('RequestForm', () => {
  it('refuses a duration above the policy maximum and a missing justification', () => {
    const errors = validateRequestForm(
      { roleId: 'blob-reader', durationMinutes: 481, justification: ' ', ticket: '' },
      policy,
    );
    expect(errors.durationMinutes).toMatch(/At most 480 minutes/);
    expect(errors.justification).toBe('This policy requires a justification.');
    expect(
      validateRequestForm(
        { roleId: 'admin', durationMinutes: 60, justification: 'x', ticket: '' },
        policy,
      ).roleId,
    ).toBeDefined();
    expect(
      validateRequestForm(
        { roleId: 'blob-reader', durationMinutes: 60, justification: '' , ticket: '' },
        { ...policy, requireJustification: false, requireTicket: true },
      ),
    ).toEqual({ ticket: 'This policy requires a ticket reference.' });
  });

  it('submits the suggested role with duration and justification', async () => {
    const api = fakeApi();
    api.createRequest.mockResolvedValue({ request });
    const onCreated = jest.fn();
    await renderInTestApp(
      <RequestForm
        resourceRef="resource:default/weights-frontier-7b"
        policy={policy}
        suggestedRoleId="blob-reader"
        onCreated={onCreated}
      />,
      { apis: [[accessRequestsApiRef, api]] },
    );
    // Without a justification nothing is sent.
    await userEvent.click(screen.getByRole('button', { name: 'Submit request' }));
    expect(await screen.findByText('This policy requires a justification.')).toBeInTheDocument();
    expect(api.createRequest).not.toHaveBeenCalled();

    fireEvent.change(screen.getByLabelText(/Justification/), {
      target: { value: 'Evaluate the 7B checkpoint' },
    });
    fireEvent.change(screen.getByLabelText('Duration (minutes)'), {
      target: { value: '120' },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Submit request' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(request));
    expect(api.createRequest).toHaveBeenCalledWith({
      resourceRef: 'resource:default/weights-frontier-7b',
      roleId: 'blob-reader',
      durationMinutes: 120,
      justification: 'Evaluate the 7B checkpoint',
    });
  }, 30_000);
});

describe('entity filter', () => {
  it('shows the Access tab only on entities with an access policy', () => {
    const e = (annotations?: Record<string, string>) =>
      ({ apiVersion: 'v1', kind: 'Resource', metadata: { name: 'x', annotations } }) as any;
    expect(isRequestableResource(e({ 'frontier-guard.io/access-policy': 'weights-frontier-7b' }))).toBe(true);
    expect(isRequestableResource(e({}))).toBe(false);
    expect(isRequestableResource(e())).toBe(false);
  });
});
