import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  FrozenPolicySummary,
  Grant,
  breakGlassMaxMinutes,
} from '@internal/plugin-access-requests-common';
import {
  AccessRequestsApi,
  accessRequestsApiRef,
} from '../api/AccessRequestsApi';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { rootRouteRef } from '../routes';
import { EntityAccessContent } from './EntityAccessContent';
import { GrantsTable } from './GrantsTable';
import { InboxPage } from './InboxPage';
import {
  BreakGlassReviews,
  grantsAwaitingPostHocReview,
  postHocReviewsStillNeeded,
} from './PostHocReviews';
import { BreakGlassButton, validateBreakGlassForm } from './BreakGlass';

const policy: FrozenPolicySummary = {
  name: 'weights-frontier-7b',
  kind: 'rigid',
  maxDurationMinutes: 480,
  requireJustification: true,
  requireTicket: false,
  roles: [
    {
      id: 'blob-reader',
      title: 'Storage Blob Data Reader',
      allows: ['blob:read'],
      privilege: 1,
      approvals: [{ group: 'group:default/security-reviewers', count: 2 }],
    },
  ],
};

const RESOURCE = 'resource:default/weights-frontier-7b';

// usePermission caches decisions per permission for the whole test file (SWR), so this
// file allows everything it asks for; the refusals are in permissions.denied.test.tsx.
const asked: string[] = [];
function allowOnly(...names: string[]) {
  return mockApis.permission({
    authorize: req => {
      asked.push(req.permission.name);
      return names.includes(req.permission.name)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY;
    },
  });
}
const ALL_ACTIONS = [
  'access-requests.break-glass',
  'access-requests.grant.post-hoc-review',
  'access-requests.grant.revoke',
];

function breakGlassGrant(): Grant {
  return {
    id: 'bg-1',
    resourceRef: RESOURCE,
    roleId: 'blob-reader',
    userRef: 'user:default/dave',
    status: 'active',
    startsAt: '2026-01-01T10:00:00Z',
    expiresAt: '2026-01-01T10:30:00Z',
    breakGlass: true,
    provisioning: { state: 'provisioned' },
    history: [],
    postHocReviews: [],
    postHocReviewsNeeded: 2,
  };
}

describe('validateBreakGlassForm', () => {
  it('caps the duration at 60 minutes and at the policy maximum', () => {
    expect(breakGlassMaxMinutes(policy)).toBe(60);
    expect(breakGlassMaxMinutes({ maxDurationMinutes: 45 })).toBe(45);
    const ok = {
      roleId: 'blob-reader',
      durationMinutes: 60,
      justification: 'prod outage INC-42',
    };
    expect(validateBreakGlassForm(ok, policy)).toEqual({});
    expect(
      validateBreakGlassForm({ ...ok, durationMinutes: 61 }, policy)
        .durationMinutes,
    ).toBe('Break-glass access lasts at most 60 minutes here.');
    expect(
      validateBreakGlassForm(
        { ...ok, durationMinutes: 50 },
        { ...policy, maxDurationMinutes: 45 },
      ).durationMinutes,
    ).toBe('Break-glass access lasts at most 45 minutes here.');
    expect(
      validateBreakGlassForm({ ...ok, durationMinutes: 0 }, policy)
        .durationMinutes,
    ).toMatch(/at least 1/);
  });

  it('requires a justification and a role of the policy', () => {
    const errors = validateBreakGlassForm(
      { roleId: 'owner', durationMinutes: 30, justification: '   ' },
      policy,
    );
    expect(errors.roleId).toBeDefined();
    expect(errors.justification).toBe(
      'A justification is required for break-glass access.',
    );
    expect(
      validateBreakGlassForm(
        { roleId: 'blob-reader', durationMinutes: 30, justification: 'short' },
        policy,
      ).justification,
    ).toMatch(/at least 10 characters/);
  });
});

describe('BreakGlassButton', () => {
  it('warns loudly, refuses an empty justification and a too-long duration, then sends the grant', async () => {
    const api = {
      breakGlass: jest.fn().mockResolvedValue({ grant: breakGlassGrant() }),
    } as unknown as jest.Mocked<AccessRequestsApi>;
    const onGranted = jest.fn();
    await renderInTestApp(
      <BreakGlassButton
        resourceRef={RESOURCE}
        resourceTitle="Frontier 7B weights"
        policy={policy}
        onGranted={onGranted}
      />,
      {
        apis: [
          [accessRequestsApiRef, api],
          [permissionApiRef, allowOnly(...ALL_ACTIONS)],
        ],
      },
    );
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'Emergency access (break-glass)',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    const warning = within(dialog).getByTestId('break-glass-warning');
    expect(warning).toHaveTextContent('security reviewers are notified');
    expect(warning).toHaveTextContent('two post-hoc reviews');

    fireEvent.change(within(dialog).getByLabelText('Duration (minutes)'), {
      target: { value: '90' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Break glass now' }),
    );
    expect(
      await within(dialog).findByText(
        'Break-glass access lasts at most 60 minutes here.',
      ),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText(
        'A justification is required for break-glass access.',
      ),
    ).toBeInTheDocument();
    expect(api.breakGlass).not.toHaveBeenCalled();

    fireEvent.change(within(dialog).getByLabelText('Duration (minutes)'), {
      target: { value: '30' },
    });
    fireEvent.change(
      within(dialog).getByLabelText('Justification (required)'),
      {
        target: { value: 'Production inference outage INC-42' },
      },
    );
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Break glass now' }),
    );
    await waitFor(() => expect(onGranted).toHaveBeenCalled());
    expect(api.breakGlass).toHaveBeenCalledWith({
      resourceRef: RESOURCE,
      roleId: 'blob-reader',
      durationMinutes: 30,
      justification: 'Production inference outage INC-42',
    });
    expect(await screen.findByTestId('break-glass-granted')).toHaveTextContent(
      'two post-hoc reviews are required',
    );
    // the role by its title, not its id
    expect(screen.getByTestId('break-glass-granted')).toHaveTextContent(/^Break-glass access granted: Storage Blob Data Reader until /);
  }, 30_000);

  it('shows the backend refusal clearly and keeps the dialog open', async () => {
    const api = {
      breakGlass: jest.fn().mockRejectedValue(
        Object.assign(new Error('Request failed with 403 Forbidden'), {
          response: { status: 403 },
          body: {
            error: {
              name: 'NotAllowedError',
              // the backend's wording: the policy by its title, its id in `ids`
              message:
                'the Frontier 7B weights policy does not allow break-glass access',
              ids: { policy: 'weights-frontier-7b' },
            },
          },
        }),
      ),
    } as unknown as jest.Mocked<AccessRequestsApi>;
    await renderInTestApp(
      <BreakGlassButton resourceRef={RESOURCE} policy={policy} />,
      {
        apis: [
          [accessRequestsApiRef, api],
          [permissionApiRef, allowOnly(...ALL_ACTIONS)],
        ],
      },
    );
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'Emergency access (break-glass)',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(
      within(dialog).getByLabelText('Justification (required)'),
      {
        target: { value: 'Production inference outage INC-42' },
      },
    );
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Break glass now' }),
    );
    expect(
      await within(dialog).findByTestId('break-glass-error'),
    ).toHaveTextContent(
      'You are not allowed to do this. The Frontier 7B weights policy does not allow break-glass access.',
    );
    expect(within(dialog).getByTestId('break-glass-error')).not.toHaveTextContent('weights-frontier-7b');
    expect(screen.queryByTestId('break-glass-granted')).not.toBeInTheDocument();
  }, 30_000);
});

const BOB = 'user:default/bob';

function bgGrant(overrides: Partial<Grant> = {}): Grant {
  return { ...breakGlassGrant(), ...overrides };
}

describe('post-hoc reviews of break-glass grants', () => {
  const review = (
    reviewer: string,
    decision: 'confirm' | 'flag' = 'confirm',
  ) => ({
    reviewer,
    decision,
    comment: 'checked the incident',
    createdAt: '2026-01-01T11:00:00Z',
  });

  it('counts distinct reviewers against what the backend says is needed', () => {
    expect(postHocReviewsStillNeeded(bgGrant())).toBe(2);
    expect(
      postHocReviewsStillNeeded(bgGrant({ postHocReviews: [review(BOB)] })),
    ).toBe(1);
    expect(
      postHocReviewsStillNeeded(
        bgGrant({ postHocReviews: [review(BOB), review(BOB, 'flag')] }),
      ),
    ).toBe(1);
    expect(
      postHocReviewsStillNeeded(
        bgGrant({
          postHocReviews: [review(BOB), review('user:default/carol', 'flag')],
        }),
      ),
    ).toBe(0);
    expect(
      postHocReviewsStillNeeded(
        bgGrant({ postHocReviewsNeeded: 3, postHocReviews: [review(BOB)] }),
      ),
    ).toBe(2);
    expect(postHocReviewsStillNeeded(bgGrant({ breakGlass: false }))).toBe(0);
  });

  it('lists only break-glass grants that still need reviews', () => {
    const items = grantsAwaitingPostHocReview([
      bgGrant({
        id: 'done',
        postHocReviews: [review(BOB), review('user:default/carol')],
      }),
      bgGrant({
        id: 'normal',
        breakGlass: false,
        postHocReviews: undefined,
        postHocReviewsNeeded: undefined,
      }),
      bgGrant({ id: 'half', postHocReviews: [review(BOB)] }),
      bgGrant({ id: 'new' }),
    ]);
    expect(items.map(g => g.id).sort()).toEqual(['half', 'new']);
  });

  it('shows who reviewed and how many are missing; Confirm/Flag need a comment and show refusals', async () => {
    const half = bgGrant({
      id: 'bg-half',
      postHocReviews: [review(BOB, 'flag')],
    });
    const api = {
      listGrants: jest.fn().mockResolvedValue({
        items: [
          half,
          bgGrant({
            id: 'bg-done',
            postHocReviews: [review(BOB), review('user:default/carol')],
          }),
          { ...bgGrant({ id: 'normal' }), breakGlass: false },
        ],
      }),
      postHocReview: jest
        .fn()
        .mockRejectedValueOnce(
          Object.assign(new Error('Request failed with 409 Conflict'), {
            response: { status: 409 },
            body: {
              error: { message: 'you have already reviewed this grant' },
            },
          }),
        )
        .mockResolvedValueOnce({
          grant: {
            ...half,
            postHocReviews: [
              ...half.postHocReviews!,
              review('user:default/carol'),
            ],
          },
        }),
    } as unknown as jest.Mocked<AccessRequestsApi>;
    await renderInTestApp(<BreakGlassReviews />, {
      apis: [
        [accessRequestsApiRef, api],
        [permissionApiRef, allowOnly(...ALL_ACTIONS)],
      ],
    });
    const items = await screen.findAllByTestId('post-hoc-item');
    expect(items.map(i => i.getAttribute('data-grant-id'))).toEqual([
      'bg-half',
    ]);
    expect(api.listGrants).toHaveBeenCalledWith({ scope: 'all' });
    const item = items[0];
    expect(within(item).getByTestId('post-hoc-missing')).toHaveTextContent(
      '1 more post-hoc review needed',
    );
    expect(within(item).getByTestId('post-hoc-reviewers')).toHaveTextContent(
      'bob FLAGGED',
    );
    expect(within(item).getByTestId('grant-break-glass')).toHaveTextContent(
      'BREAK-GLASS · 1/2 post-hoc reviews · flagged',
    );

    // no comment: nothing is sent
    fireEvent.click(within(item).getByRole('button', { name: 'Confirm' }));
    expect(
      await within(item).findByText(
        'A comment is required for a post-hoc review.',
      ),
    ).toBeInTheDocument();
    expect(api.postHocReview).not.toHaveBeenCalled();

    fireEvent.change(within(item).getByLabelText('Post-hoc review comment'), {
      target: { value: 'incident INC-42 was real' },
    });
    fireEvent.click(within(item).getByRole('button', { name: 'Flag' }));
    expect(
      await within(item).findByTestId('post-hoc-review-error'),
    ).toHaveTextContent(
      'You have already reviewed this grant. Reload the page to see the current state.',
    );
    expect(api.postHocReview).toHaveBeenLastCalledWith('bg-half', {
      decision: 'flag',
      comment: 'incident INC-42 was real',
    });

    fireEvent.click(within(item).getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(api.postHocReview).toHaveBeenCalledTimes(2));
    expect(api.postHocReview).toHaveBeenLastCalledWith('bg-half', {
      decision: 'confirm',
      comment: 'incident INC-42 was real',
    });
    // the list is reloaded after a review
    await waitFor(() => expect(api.listGrants).toHaveBeenCalledTimes(2));
  }, 30_000);

  it('is a "Break-glass reviews" tab of the reviewer inbox for post-hoc reviewers', async () => {
    const api = {
      listRequests: jest.fn().mockResolvedValue({ items: [] }),
      listGrants: jest.fn().mockResolvedValue({ items: [bgGrant()] }),
    } as unknown as jest.Mocked<AccessRequestsApi>;
    await renderInTestApp(<InboxPage />, {
      apis: [
        [accessRequestsApiRef, api],
        [permissionApiRef, allowOnly(...ALL_ACTIONS)],
      ],
      mountedRoutes: { '/access': rootRouteRef },
    });
    expect(await screen.findByTestId('inbox-empty')).toBeInTheDocument();
    expect(api.listRequests).toHaveBeenCalledWith({ scope: 'inbox' });
    fireEvent.click(
      await screen.findByRole('tab', { name: 'Break-glass reviews' }),
    );
    const item = await screen.findByTestId('post-hoc-item');
    expect(item).toHaveAttribute('data-grant-id', 'bg-1');
    expect(within(item).getByTestId('post-hoc-missing')).toHaveAttribute(
      'data-missing',
      '2',
    );
    expect(asked).toContain('access-requests.grant.post-hoc-review');
  }, 30_000);
});

describe('grants lists', () => {
  it('mark break-glass grants visibly and only those', async () => {
    const now = Date.now();
    const window = {
      startsAt: new Date(now - 60_000).toISOString(),
      expiresAt: new Date(now + 1800_000).toISOString(),
    };
    await renderInTestApp(
      <GrantsTable
        title="Grants"
        showUser
        grants={[
          bgGrant({ id: 'bg-1', ...window }),
          {
            ...bgGrant({ id: 'normal', ...window }),
            breakGlass: false,
            postHocReviews: undefined,
          },
        ]}
      />,
      { apis: [[accessRequestsApiRef, {}]] },
    );
    const chips = await screen.findAllByTestId('grant-break-glass');
    expect(chips.map(c => c.getAttribute('data-grant-id'))).toEqual(['bg-1']);
    expect(chips[0]).toHaveTextContent('BREAK-GLASS · 0/2 post-hoc reviews');
  }, 30_000);
});

describe('revoke from the entity Access tab', () => {
  it('revokes an active holder with a required reason, shows refusals and reloads', async () => {
    const now = Date.now();
    const holder: Grant = {
      id: 'g-erin',
      resourceRef: RESOURCE,
      roleId: 'blob-reader',
      userRef: 'user:default/erin',
      status: 'active',
      startsAt: new Date(now - 60_000).toISOString(),
      expiresAt: new Date(now + 3600_000).toISOString(),
      breakGlass: false,
      provisioning: { state: 'provisioned' },
      history: [],
    };
    const api = {
      getResource: jest.fn().mockResolvedValue({
        entityRef: RESOURCE,
        title: 'Frontier 7B weights',
        policy,
        activeGrants: [holder],
        history: [holder],
      }),
      revokeGrant: jest
        .fn()
        .mockRejectedValueOnce(
          Object.assign(new Error('Request failed with 409 Conflict'), {
            response: { status: 409 },
            body: { error: { message: 'grant is already revoked' } },
          }),
        )
        .mockResolvedValueOnce({ grant: { ...holder, status: 'revoked' } }),
    } as unknown as jest.Mocked<AccessRequestsApi>;
    await renderInTestApp(
      <EntityProvider
        entity={{
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: {
            name: 'weights-frontier-7b',
            namespace: 'default',
            annotations: {
              'frontier-guard.io/access-policy': 'weights-frontier-7b',
            },
          },
          spec: { type: 'weight-store' },
        }}
      >
        <EntityAccessContent />
      </EntityProvider>,
      {
        apis: [
          [accessRequestsApiRef, api],
          [permissionApiRef, allowOnly(...ALL_ACTIONS)],
        ],
        mountedRoutes: { '/access': rootRouteRef },
      },
    );
    // break-glass is offered on the resource view too
    expect(
      await screen.findByText('Emergency access (break-glass)', {
        selector: 'button *',
      }),
    ).toBeInTheDocument();
    fireEvent.click(await screen.findByLabelText('Revoke access of erin'));
    // (role queries over the whole tab with its tables are slow in jsdom)
    const dialog = (await screen.findByLabelText('Reason (required)', {}, { timeout: 10_000 })).closest(
      '[role="dialog"]',
    ) as HTMLElement;
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Revoke access' }),
    );
    expect(
      await within(dialog).findByText('Please give a reason; the person concerned will see it.'),
    ).toBeInTheDocument();
    expect(api.revokeGrant).not.toHaveBeenCalled();

    fireEvent.change(within(dialog).getByLabelText('Reason (required)'), {
      target: { value: 'Left the project' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Revoke access' }),
    );
    expect(await within(dialog).findByTestId('reason-dialog-error')).toHaveTextContent(
      'Grant is already revoked. Reload the page to see the current state.',
    );
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Revoke access' }),
    );
    await waitFor(() => expect(api.getResource).toHaveBeenCalledTimes(2), { timeout: 10_000 });
    expect(api.revokeGrant).toHaveBeenLastCalledWith(
      'g-erin',
      'Left the project',
    );
  }, 30_000);
});
