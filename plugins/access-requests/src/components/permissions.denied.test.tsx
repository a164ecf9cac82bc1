import { screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { Grant } from '@internal/plugin-access-requests-common';
import {
  AccessRequestsApi,
  accessRequestsApiRef,
} from '../api/AccessRequestsApi';
import { rootRouteRef } from '../routes';
import { EntityAccessContent } from './EntityAccessContent';
import { InboxPage } from './InboxPage';

// A researcher: every action permission is refused (usePermission caches decisions per
// file, so the allowed cases live in accessActions.test.tsx).
const asked: string[] = [];
const denyAll = () =>
  mockApis.permission({
    authorize: req => {
      asked.push(req.permission.name);
      return AuthorizeResult.DENY;
    },
  });
/** Lets a permission decision that was just asked for reach the components. */
const settle = () => new Promise(resolve => setTimeout(resolve, 100));

const RESOURCE = 'resource:default/weights-frontier-7b';

describe('without the break-glass, revoke and post-hoc-review permissions', () => {
  it('the Access tab offers neither break-glass nor Revoke', async () => {
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
        policy: {
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
              approvals: [
                { group: 'group:default/security-reviewers', count: 2 },
              ],
            },
          ],
        },
        activeGrants: [holder],
        history: [holder],
      }),
      revokeGrant: jest.fn(),
      breakGlass: jest.fn(),
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
        }}
      >
        <EntityAccessContent />
      </EntityProvider>,
      {
        apis: [
          [accessRequestsApiRef, api],
          [permissionApiRef, denyAll()],
        ],
        mountedRoutes: { '/access': rootRouteRef },
      },
    );
    // the holder row is there ...
    expect(await screen.findByTestId('grant-time-left')).toHaveAttribute(
      'data-grant-id',
      'g-erin',
    );
    await waitFor(() => {
      expect(asked).toContain('access-requests.break-glass');
      expect(asked).toContain('access-requests.grant.revoke');
    });
    await settle();
    // ... but no dangerous actions
    expect(
      screen.queryByRole('button', { name: /Revoke/ }),
    ).not.toBeInTheDocument();
    expect(screen.queryByTestId('break-glass')).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Emergency access/ }),
    ).not.toBeInTheDocument();
  }, 30_000);

  it('the inbox has no "Break-glass reviews" tab and never lists all grants', async () => {
    const api = {
      listRequests: jest.fn().mockResolvedValue({ items: [] }),
      listGrants: jest.fn().mockResolvedValue({ items: [] }),
    } as unknown as jest.Mocked<AccessRequestsApi>;
    await renderInTestApp(<InboxPage />, {
      apis: [
        [accessRequestsApiRef, api],
        [permissionApiRef, denyAll()],
      ],
      mountedRoutes: { '/access': rootRouteRef },
    });
    expect(await screen.findByTestId('inbox-empty')).toBeInTheDocument();
    await waitFor(() =>
      expect(asked).toContain('access-requests.grant.post-hoc-review'),
    );
    expect(
      screen.queryByRole('tab', { name: 'Break-glass reviews' }),
    ).not.toBeInTheDocument();
    expect(screen.queryByTestId('post-hoc-item')).not.toBeInTheDocument();
    expect(api.listGrants).not.toHaveBeenCalled();
  }, 30_000);
});
