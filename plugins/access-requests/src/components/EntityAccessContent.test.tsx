import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider, entityPresentationApiRef } from '@backstage/plugin-catalog-react';
import { Grant } from '@internal/plugin-access-requests-common';
import { AccessRequestsApi, accessRequestsApiRef } from '../api/AccessRequestsApi';
import { rootRouteRef } from '../routes';
import { EntityAccessContent } from './EntityAccessContent';

/** The catalog's display names (what EntityDisplayName shows); other refs by their name. */
const TITLES: Record<string, string> = { 'group:default/security-reviewers': 'Security reviewers' };
const presentation = {
  forEntity: (ref: string) => {
    const snapshot = { entityRef: ref, primaryTitle: TITLES[ref] ?? ref.slice(ref.lastIndexOf('/') + 1), secondaryTitle: ref };
    return { snapshot, promise: Promise.resolve(snapshot) };
  },
};

describe('EntityAccessContent', () => {
  it('shows the policy, who holds access until when, the history and a request link', async () => {
    const now = Date.now();
    const holder: Grant = {
      id: 'g-erin',
      resourceRef: 'resource:default/weights-frontier-7b',
      roleId: 'blob-reader',
      userRef: 'user:default/erin',
      status: 'active',
      startsAt: new Date(now - 60_000).toISOString(),
      expiresAt: new Date(now + 3600_000 + 30_000).toISOString(),
      breakGlass: false,
      provisioning: { state: 'provisioned' },
      history: [
        { at: new Date(now - 60_000).toISOString(), event: 'provisioned', actor: 'system' },
      ],
    };
    // Stored as active but past its expiry: isGrantActive says no, so not a holder.
    const stale: Grant = {
      ...holder,
      id: 'g-alice',
      userRef: 'user:default/alice',
      startsAt: new Date(now - 7200_000).toISOString(),
      expiresAt: new Date(now - 1000).toISOString(),
      history: [
        { at: new Date(now - 7200_000).toISOString(), event: 'created', actor: 'user:default/carol' },
      ],
    };
    const api = {
      getResource: jest.fn().mockResolvedValue({
        entityRef: 'resource:default/weights-frontier-7b',
        title: 'Frontier 7B weights',
        policy: {
          name: 'weights-frontier-7b',
          title: 'Frontier 7B weights',
          kind: 'rigid',
          maxDurationMinutes: 480,
          requireJustification: true,
          requireTicket: false,
          roles: [
            {
              id: 'blob-reader',
              title: 'Storage Blob Data Reader',
              allows: ['blob:read', 'blob:list'],
              privilege: 1,
              approvals: [{ group: 'group:default/security-reviewers', count: 2 }],
            },
          ],
        },
        activeGrants: [holder, stale],
        history: [holder, stale],
      }),
      // a denied request of mallory: it has no grant, but the history shows it with the reason
      listRequests: jest.fn().mockResolvedValue({
        items: [
          {
            id: 'req-denied', resourceRef: 'resource:default/weights-frontier-7b', roleId: 'blob-reader',
            requester: 'user:default/mallory', justification: 'curious', durationMinutes: 60, status: 'denied',
            createdAt: new Date(now - 600_000).toISOString(), decidedAt: new Date(now - 300_000).toISOString(),
            expiresAt: new Date(now + 86_400_000).toISOString(),
            policy: { name: 'weights-frontier-7b', kind: 'rigid', roleId: 'blob-reader', frozenAt: '', maxDurationMinutes: 480, requireJustification: true, requireTicket: false, roles: [] },
            reviews: [{ reviewer: 'user:default/bob', decision: 'deny', comment: 'No ticket', createdAt: new Date(now - 300_000).toISOString(), eligibleGroups: [] }],
            remaining: [],
          },
        ],
      }),
    } as unknown as AccessRequestsApi;

    await renderInTestApp(
      <EntityProvider
        entity={{
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: {
            name: 'weights-frontier-7b',
            namespace: 'default',
            annotations: { 'frontier-guard.io/access-policy': 'weights-frontier-7b' },
          },
          spec: { type: 'weight-store' },
        }}
      >
        <EntityAccessContent />
      </EntityProvider>,
      {
        apis: [[accessRequestsApiRef, api], [entityPresentationApiRef, presentation as any]],
        mountedRoutes: { '/access': rootRouteRef },
      },
    );

    // the policy by its title and kind in words; the ids stay in data attributes and tooltips
    const kind = await screen.findByTestId('policy-kind');
    expect(kind).toHaveAttribute('data-kind', 'rigid');
    expect(kind).toHaveTextContent(/^fixed approvers/);
    expect(screen.getByTestId('policy-title')).toHaveTextContent('Frontier 7B weights');
    expect(screen.getByTestId('policy-title')).toHaveAttribute('data-policy', 'weights-frontier-7b');
    // what the role allows in words, the exact policy values with it
    const allowed = screen.getByTestId('allowed-action');
    expect(allowed).toHaveTextContent('Read and list files');
    expect(allowed).toHaveAttribute('data-permissions', 'blob:read blob:list');
    expect(screen.queryByText(/blob:read/)).not.toBeInTheDocument();
    // approval steps name the group by its catalog display name; the ref stays in data-group
    const step = screen.getByTestId('approval-step');
    expect(step).toHaveTextContent(/^2 from Security reviewers$/);
    expect(step).toHaveAttribute('data-group', 'group:default/security-reviewers');
    expect(step).toHaveAttribute('data-count', '2');
    expect(screen.queryByText(/security-reviewers/)).not.toBeInTheDocument();
    expect(api.getResource).toHaveBeenCalledWith('resource:default/weights-frontier-7b');
    const holders = screen.getAllByTestId('grant-time-left');
    expect(holders.map(h => h.getAttribute('data-grant-id'))).toEqual(['g-erin']);
    expect(holders[0]).toHaveTextContent(/^(1h 0m|59m \d+s) left$/);
    // the holder's role by its title, not its id
    expect(screen.getByTestId('grant-link')).toHaveTextContent('Storage Blob Data Reader');
    // the history: grant events and requests, a denied request with its reason
    const rows = await screen.findAllByTestId('history-row');
    const events = rows.map(r => r.getAttribute('data-event'));
    expect(events).toEqual(expect.arrayContaining(['created', 'provisioned', 'request-created', 'review-deny', 'request-denied']));
    const denied = rows.find(r => r.getAttribute('data-event') === 'request-denied')!;
    expect(denied).toHaveAttribute('data-request-id', 'req-denied');
    expect(screen.getByText('Denied: “No ticket”')).toBeInTheDocument();
    // read-all (the test app allows every permission): everyone's requests
    expect(api.listRequests).toHaveBeenCalledWith({ scope: 'all', resourceRef: 'resource:default/weights-frontier-7b' });
    // the timeline: one entry per grant, how each ended
    const ends = screen.getAllByTestId('timeline-end');
    expect(Object.fromEntries(ends.map(e => [e.getAttribute('data-grant-id'), e.getAttribute('data-ended')]))).toEqual({
      'g-erin': 'active',
      'g-alice': 'expired',
    });
    expect(screen.getByRole('button', { name: 'Request access' })).toHaveAttribute(
      'href',
      `/access?resource=${encodeURIComponent('resource:default/weights-frontier-7b')}`,
    );
  }, 30_000);
});
