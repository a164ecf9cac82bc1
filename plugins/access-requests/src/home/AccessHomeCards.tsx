import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, LinearProgress, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  accessGrantPostHocReviewPermission,
  accessRequestReviewPermission,
  isGrantActive,
} from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { grantRouteRef, inboxRouteRef, myAccessRouteRef, requestRouteRef, rootRouteRef } from '../routes';
import { PersonName, ResourceLink } from '../components/Names';
import { approvalsStillNeeded } from '../components/RemainingApprovals';
import { grantsAwaitingPostHocReview } from '../components/PostHocReviews';
import { describeError, formatMinutes, formatRemaining, grantElapsedPercent } from '../components/format';
import { useNow } from '../components/useNow';

const MAX_ROWS = 5;

function roleTitle(policy: { roles: { id: string; title: string }[] }, roleId: string) {
  return policy.roles.find(r => r.id === roleId)?.title ?? roleId;
}

function ErrorLine(props: { error: unknown; retry: () => void }) {
  return (
    <Alert severity="error" action={<Button onClick={props.retry}>Retry</Button>}>
      {describeError(props.error)}
    </Alert>
  );
}

/** Reviewers: requests waiting for their decision, oldest deadline first. */
export function PendingApprovalsCard() {
  const reviewer = usePermission({ permission: accessRequestReviewPermission });
  const api = useApi(accessRequestsApiRef);
  const inbox = useRouteRef(inboxRouteRef);
  const requestLink = useRouteRef(requestRouteRef);
  const state = useAsyncRetry(async () => (reviewer.allowed ? api.listRequests({ scope: 'inbox' }) : undefined), [api, reviewer.allowed]);
  if (reviewer.loading || !reviewer.allowed) return null;
  const items = [...(state.value?.items ?? [])].sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  const now = new Date();
  return (
    <InfoCard
      title={`Waiting for your decision${state.value ? ` (${items.length})` : ''}`}
      deepLink={inbox ? { title: 'Open the reviewer inbox', link: inbox() } : undefined}
    >
      <Box data-testid="home-pending-approvals" data-count={state.value ? items.length : undefined}>
        {state.loading && !state.value && <Progress />}
        {state.error && <ErrorLine error={state.error} retry={state.retry} />}
        {state.value && items.length === 0 && (
          <Typography variant="body2">Nothing waits for you. New requests also reach you as notifications.</Typography>
        )}
        {items.slice(0, MAX_ROWS).map(r => (
          <Typography variant="body2" key={r.id} component="div" style={{ marginBottom: 6 }}>
            <PersonName entityRef={r.requester} /> asks for{' '}
            {requestLink ? <Link to={requestLink({ id: r.id })}>{roleTitle(r.policy, r.roleId)}</Link> : roleTitle(r.policy, r.roleId)} on{' '}
            <ResourceLink entityRef={r.resourceRef} /> · decide within {formatRemaining(r.expiresAt, now) ?? 'now'}
          </Typography>
        ))}
        {items.length > MAX_ROWS && <Typography variant="caption">and {items.length - MAX_ROWS} more</Typography>}
      </Box>
    </InfoCard>
  );
}

/** Everyone: the access they hold now, with time left as a bar. */
export function MyActiveAccessCard() {
  const api = useApi(accessRequestsApiRef);
  const mine = useRouteRef(myAccessRouteRef);
  const root = useRouteRef(rootRouteRef);
  const grantLink = useRouteRef(grantRouteRef);
  const now = useNow(10_000);
  const state = useAsyncRetry(() => api.listGrants({ scope: 'mine' }), [api]);
  const active = (state.value?.items ?? []).filter(g => isGrantActive(g, now)).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  return (
    <InfoCard title="Your access now" deepLink={mine ? { title: 'All my access', link: mine() } : undefined}>
      <Box data-testid="home-my-access" data-count={state.value ? active.length : undefined}>
        {state.loading && !state.value && <Progress />}
        {state.error && <ErrorLine error={state.error} retry={state.retry} />}
        {state.value && active.length === 0 && (
          <Typography variant="body2">
            You hold no access right now.{' '}
            {root && <Link to={root()}>Request access</Link>} when you need a weight store, cluster or namespace.
          </Typography>
        )}
        {active.slice(0, MAX_ROWS).map(g => (
          <Box key={g.id} mb={1}>
            <Typography variant="body2">
              {grantLink ? <Link to={grantLink({ id: g.id })}>{g.roleId}</Link> : g.roleId} on{' '}
              <ResourceLink entityRef={g.resourceRef} /> · {formatRemaining(g.expiresAt, now) ?? '0s'} left
              {g.breakGlass ? ' · break-glass' : ''}
            </Typography>
            <LinearProgress variant="determinate" value={100 - grantElapsedPercent(g, now)} aria-label="Time left" />
          </Box>
        ))}
      </Box>
    </InfoCard>
  );
}

/** Everyone: their requests still waiting, with what they still need. */
export function MyOpenRequestsCard() {
  const api = useApi(accessRequestsApiRef);
  const mine = useRouteRef(myAccessRouteRef);
  const requestLink = useRouteRef(requestRouteRef);
  const state = useAsyncRetry(() => api.listRequests({ scope: 'mine', status: 'pending' }), [api]);
  const items = (state.value?.items ?? []).filter(r => r.status === 'pending');
  if (state.value && items.length === 0) return null;
  return (
    <InfoCard title={`Your open requests${state.value ? ` (${items.length})` : ''}`} deepLink={mine ? { title: 'My access', link: mine() } : undefined}>
      <Box data-testid="home-my-requests" data-count={state.value ? items.length : undefined}>
        {state.loading && !state.value && <Progress />}
        {state.error && <ErrorLine error={state.error} retry={state.retry} />}
        {items.slice(0, MAX_ROWS).map(r => {
          const missing = approvalsStillNeeded(r.remaining);
          return (
            <Typography variant="body2" key={r.id} style={{ marginBottom: 6 }}>
              {requestLink ? <Link to={requestLink({ id: r.id })}>{roleTitle(r.policy, r.roleId)}</Link> : roleTitle(r.policy, r.roleId)} on{' '}
              <ResourceLink entityRef={r.resourceRef} /> for {formatMinutes(r.durationMinutes)} · waiting for {missing} approval
              {missing === 1 ? '' : 's'}
            </Typography>
          );
        })}
      </Box>
    </InfoCard>
  );
}

/** Security reviewers: break-glass access still needing post-hoc reviews. */
export function BreakGlassReviewsCard() {
  const allowed = usePermission({ permission: accessGrantPostHocReviewPermission });
  const api = useApi(accessRequestsApiRef);
  const inbox = useRouteRef(inboxRouteRef);
  const grantLink = useRouteRef(grantRouteRef);
  const state = useAsyncRetry(async () => (allowed.allowed ? api.listGrants({ scope: 'all' }) : undefined), [api, allowed.allowed]);
  if (allowed.loading || !allowed.allowed) return null;
  const waiting = grantsAwaitingPostHocReview(state.value?.items ?? []);
  if (state.value && waiting.length === 0) return null;
  return (
    <InfoCard title={`Break-glass to review (${waiting.length})`} deepLink={inbox ? { title: 'Review', link: inbox() } : undefined}>
      <Box data-testid="home-break-glass">
        {state.error && <ErrorLine error={state.error} retry={state.retry} />}
        {waiting.slice(0, MAX_ROWS).map(g => (
          <Typography variant="body2" key={g.id}>
            <PersonName entityRef={g.userRef} /> took{' '}
            {grantLink ? <Link to={grantLink({ id: g.id })}>{g.roleId}</Link> : g.roleId} on <ResourceLink entityRef={g.resourceRef} />
          </Typography>
        ))}
      </Box>
    </InfoCard>
  );
}
