import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { identityApiRef } from '@backstage/frontend-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ExceptionDetails, PolicyException } from '@internal/plugin-policy-exceptions-common';
import { Route, Routes } from 'react-router-dom';
import { PolicyExceptionsApi, policyExceptionsApiRef, postureFindingsApiRef } from '../api/apis';
import { rootRouteRef } from '../routes';
import { ExceptionPage, mayReview, reviewTargetOf } from './ExceptionPage';
import { RequestExceptionPage } from './RequestExceptionPage';

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const ERIN = 'user:default/erin';

const exception = (over: Partial<PolicyException> = {}): PolicyException => ({
  id: 'e1',
  controlId: 'FG-K8S-EGRESS-ALLOWLIST',
  requester: ALICE,
  status: 'submitted',
  effectiveStatus: 'submitted',
  revision: 1,
  round: 1,
  requiredApprovals: 2,
  reviews: [],
  content: {
    scope: { entityRefs: ['resource:default/training-cluster'], findingKey: 'FG-K8S-EGRESS-ALLOWLIST:k8s/rl/data.example.org' },
    justification: 'The RL team needs the public dataset mirror for the benchmark run.',
    reasonCategory: 'operational-requirement',
    risk: { likelihood: 'high', impact: 'medium', rating: 'high' },
    compensatingControls: [{ kind: 'catalog', controlId: 'FG-STORAGE-READ-LOGS' }],
    owner: ERIN,
    startsAt: '2026-12-07T10:00:00.000Z',
    endsAt: '2026-12-20T10:00:00.000Z',
  },
  createdAt: '2026-12-07T10:00:00.000Z',
  updatedAt: '2026-12-07T10:00:00.000Z',
  ...over,
});

describe('review rules shown in the UI (same as the backend)', () => {
  it('offers a review only to someone who is neither requester, owner nor earlier reviewer of the round', () => {
    expect(mayReview(exception(), BOB)).toBe(true);
    expect(mayReview(exception(), ALICE)).toBe(false);
    expect(mayReview(exception(), ERIN)).toBe(false);
    expect(mayReview(exception({ reviews: [{ reviewer: BOB, decision: 'approve', comment: '', revision: 1, round: 1, createdAt: 'x' }] }), BOB)).toBe(false);
    // a new round after a suspension: Bob may review again
    expect(mayReview(exception({ status: 'suspended', effectiveStatus: 'suspended', round: 2, reviews: [{ reviewer: BOB, decision: 'approve', comment: '', revision: 1, round: 1, createdAt: 'x' }] }), BOB)).toBe(true);
    expect(reviewTargetOf(exception({ status: 'approved', effectiveStatus: 'active' }))).toBeUndefined();
    expect(reviewTargetOf(exception({ status: 'approved', effectiveStatus: 'expired', pendingRevision: { revision: 2, content: exception().content, createdBy: ALICE, createdAt: 'x' } }))).toBeUndefined();
  });
});

const allowAll = mockApis.permission({ authorize: () => AuthorizeResult.ALLOW });

function details(e: PolicyException): ExceptionDetails {
  return {
    exception: e,
    revisions: [{ revision: 1, content: e.content, createdBy: ALICE, createdAt: e.createdAt, outcome: 'pending', reviews: [] }],
    history: [{ at: e.createdAt, actor: ALICE, action: 'submitted', revision: 1 }],
    checks: [{ controlId: 'FG-STORAGE-READ-LOGS', entityRef: 'resource:default/training-cluster', status: 'failing', detail: 'read logging off', checkedAt: e.createdAt }],
  };
}

async function renderPage(user: string, e: PolicyException, api: Partial<PolicyExceptionsApi> = {}) {
  const full = { getException: jest.fn().mockResolvedValue(details(e)), review: jest.fn().mockResolvedValue({ exception: e }), ...api };
  await renderInTestApp(
    <Routes>
      <Route path="/policy-exceptions/exceptions/:id" element={<ExceptionPage />} />
    </Routes>,
    {
      apis: [
        [policyExceptionsApiRef, full as any],
        [permissionApiRef, allowAll],
        [identityApiRef, mockApis.identity({ userEntityRef: user })],
      ],
      mountedRoutes: { '/policy-exceptions': rootRouteRef, '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: ['/policy-exceptions/exceptions/e1'],
    },
  );
  return full;
}

describe('ExceptionPage', () => {
  it('a reviewer approves with a confirmation; the compensating check and audit trail are shown', async () => {
    const api = await renderPage(BOB, exception());
    fireEvent.click(await screen.findByTestId('approve-button'));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByTestId('reason-confirm'));
    await waitFor(() => expect(api.review).toHaveBeenCalledWith('e1', { decision: 'approve', comment: '' }));
    expect(screen.getByTestId('check-FG-STORAGE-READ-LOGS-failing')).toBeInTheDocument();
    expect(screen.getByText('Audit trail')).toBeInTheDocument();
    expect(screen.getByTestId('review-state')).toHaveTextContent('0 of 2 approvals');
  }, 30_000);

  it('the requester and the owner get no Approve; the coverage says the finding stays open', async () => {
    await renderPage(ALICE, exception());
    expect(await screen.findByTestId('coverage')).toHaveTextContent('its findings stay open until it is approved');
    expect(screen.queryByTestId('approve-button')).toBeNull();
    expect(screen.getByTestId('withdraw-button')).toBeInTheDocument();
  });

  it('an active exception reads "excepted until …, by …"; the owner gets no Approve', async () => {
    await renderPage(ERIN, exception({ status: 'approved', effectiveStatus: 'active', approvedBy: [BOB] }));
    expect(await screen.findByTestId('coverage')).toHaveTextContent('excepted until');
    expect(screen.queryByTestId('approve-button')).toBeNull();
  });

  it('a missing exception is a friendly not-found', async () => {
    const err = Object.assign(new Error('exception x not found'), { name: 'NotFoundError' });
    await renderPage(BOB, exception(), { getException: jest.fn().mockRejectedValue(err) });
    expect(await screen.findByTestId('not-found')).toHaveTextContent('This exception does not exist');
  });
});

describe('RequestExceptionPage', () => {
  it('refuses an incomplete request locally and maps backend 400s to the fields', async () => {
    const createException = jest.fn().mockRejectedValue(Object.assign(new Error('x'), {
      body: { error: { message: 'endsAt: a high-risk exception lasts at most 90 days from its start' } },
    }));
    await renderInTestApp(
      <Routes><Route path="/policy-exceptions/new" element={<RequestExceptionPage />} /></Routes>,
      {
        apis: [
          [policyExceptionsApiRef, { createException } as any],
          [postureFindingsApiRef, { listFindings: jest.fn().mockResolvedValue({ items: [] }) } as any],
          [permissionApiRef, allowAll],
          [identityApiRef, mockApis.identity({ userEntityRef: ALICE })],
        ],
        mountedRoutes: { '/policy-exceptions': rootRouteRef, '/catalog/:namespace/:kind/:name': entityRouteRef },
        initialRouteEntries: ['/policy-exceptions/new?entityRef=resource:default/training-cluster&controlId=FG-K8S-EGRESS-ALLOWLIST'],
      },
    );
    fireEvent.click(await screen.findByTestId('submit-exception'));
    expect(await screen.findByText('Add at least one compensating control.')).toBeInTheDocument();
    expect(createException).not.toHaveBeenCalled();

    fireEvent.change(screen.getByTestId('justification-input'), { target: { value: 'The RL team needs the public dataset mirror.' } });
    fireEvent.click(screen.getByTestId('add-described-control'));
    fireEvent.click(screen.getByTestId('submit-exception'));
    await waitFor(() => expect(createException).toHaveBeenCalled());
    const body = createException.mock.calls[0][0];
    expect(body).toMatchObject({ controlId: 'FG-K8S-EGRESS-ALLOWLIST', scope: { entityRefs: ['resource:default/training-cluster'] }, owner: ALICE });
    expect(body.compensatingControls[0]).toMatchObject({ kind: 'described', owner: ALICE });
    expect(await screen.findByText('a high-risk exception lasts at most 90 days from its start')).toBeInTheDocument();
  }, 30_000);
});

describe('proposing a revision', () => {
  it('prefills the form from the exception and sends a revision (the control stays)', async () => {
    const e = exception({ status: 'approved', effectiveStatus: 'active', approvedBy: [BOB] });
    const reviseException = jest.fn().mockResolvedValue({ exception: { ...e, pendingRevision: { revision: 2, content: e.content, createdBy: ALICE, createdAt: 'x' } } });
    const createException = jest.fn();
    await renderInTestApp(
      <Routes><Route path="/policy-exceptions/new" element={<RequestExceptionPage />} /></Routes>,
      {
        apis: [
          [policyExceptionsApiRef, { getException: jest.fn().mockResolvedValue(details(e)), reviseException, createException } as any],
          [postureFindingsApiRef, { listFindings: jest.fn().mockResolvedValue({ items: [] }) } as any],
          [permissionApiRef, allowAll],
          [identityApiRef, mockApis.identity({ userEntityRef: ALICE })],
        ],
        mountedRoutes: { '/policy-exceptions': rootRouteRef, '/catalog/:namespace/:kind/:name': entityRouteRef },
        initialRouteEntries: ['/policy-exceptions/new?revise=e1'],
      },
    );
    await waitFor(() => expect(screen.getByTestId('justification-input')).toHaveValue(e.content.justification));
    expect(screen.getByTestId('finding-key-input')).toHaveValue(e.content.scope.findingKey);
    fireEvent.click(screen.getByTestId('submit-exception'));
    await waitFor(() => expect(reviseException).toHaveBeenCalled());
    const [id, body] = reviseException.mock.calls[0];
    expect(id).toBe('e1');
    expect(body).not.toHaveProperty('controlId');
    expect(body).toMatchObject({ owner: ERIN, compensatingControls: e.content.compensatingControls, scope: e.content.scope });
    expect(createException).not.toHaveBeenCalled();
  }, 30_000);
});

describe('HomeExceptionsCard', () => {
  it('shows the reviewer queue and my exceptions that need me, and nothing when nothing does', async () => {
    const { HomeExceptionsCard, needsOwner } = jest.requireActual('./HomeExceptionsCard');
    const soon = exception({ id: 'e2', status: 'approved', effectiveStatus: 'active', content: { ...exception().content, endsAt: new Date(Date.now() + 3 * 86_400_000).toISOString() } });
    const later = exception({ id: 'e3', status: 'approved', effectiveStatus: 'active', content: { ...exception().content, endsAt: new Date(Date.now() + 60 * 86_400_000).toISOString() } });
    expect(needsOwner(soon, new Date())).toBe(true);
    expect(needsOwner(later, new Date())).toBe(false);
    expect(needsOwner(exception({ status: 'suspended', effectiveStatus: 'suspended' }), new Date())).toBe(true);
    const listExceptions = jest.fn(async (q: { view: string }) => ({ items: q.view === 'queue' ? [exception()] : [soon, later] }));
    await renderInTestApp(<HomeExceptionsCard />, {
      apis: [[policyExceptionsApiRef, { listExceptions } as any], [permissionApiRef, allowAll], [identityApiRef, mockApis.identity({ userEntityRef: BOB })]],
      mountedRoutes: { '/policy-exceptions': rootRouteRef },
    });
    const card = await screen.findByTestId('home-exceptions');
    expect(card).toHaveTextContent('1 waiting for your review');
    expect(card).toHaveTextContent('Yours that need you');
    expect(within(card).getAllByRole('link')).toHaveLength(2); // the queued one and the one ending soon
  }, 30_000);
});
