import {
  Content,
  InfoCard,
  Link,
  Page,
  Progress,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, Grid, LinearProgress, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  accessGrantPostHocReviewPermission,
  accessGrantRevokePermission,
  mayPostHocReview,
  mayRenewGrant,
  mayRevokeGrant,
} from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { myAccessRouteRef, requestRouteRef } from '../routes';
import { AccessHeader } from './AccessHeader';
import { EndAccessButton, ExtendButton, UsageInstructions } from './GrantActions';
import { BreakGlassChip } from './GrantsTable';
import { PersonName, ResourceLink } from './Names';
import { NotFoundPanel, isNotFound } from './NotFoundPanel';
import { PostHocReviewPanel } from './PostHocReviews';
import { StatusChip } from './RequestStatusChip';
import { describeError, formatTime, grantDisplayState, grantElapsedPercent, grantTimeLeft } from './format';
import { useCurrentUser } from './useCurrentUser';
import { useNow } from './useNow';

/** /access/grants/:id — one grant: who, what, time left, how to use it, end early / extend / revoke. */
export function GrantPage() {
  const { id = '' } = useParams();
  const api = useApi(accessRequestsApiRef);
  const me = useCurrentUser();
  const now = useNow(1000);
  const mine = useRouteRef(myAccessRouteRef);
  const requestLink = useRouteRef(requestRouteRef);
  const revokePerm = usePermission({ permission: accessGrantRevokePermission });
  const postHocPerm = usePermission({ permission: accessGrantPostHocReviewPermission });
  const state = useAsyncRetry(() => api.getGrant(id), [api, id]);
  const grant = state.value?.grant;
  const userRef = me.userRef ?? '';
  const own = grant?.userRef === userRef;
  const display = grant ? grantDisplayState(grant, now) : undefined;

  return (
    <Page themeId="tool">
      <AccessHeader title="Access" subtitle={grant ? <ResourceLink entityRef={grant.resourceRef} /> : undefined} />
      <Content>
        <Box mb={2}>
          {mine && (
            <Link to={mine()} data-testid="back-link">
              ← Back to my access
            </Link>
          )}
        </Box>
        {state.loading && !state.value && <Progress />}
        {state.error &&
          (isNotFound(state.error) ? (
            <NotFoundPanel what="access grant" backTo={mine?.()} backLabel="Go to my access" />
          ) : (
            <Alert severity="error" action={<Button onClick={state.retry}>Retry</Button>}>
              {describeError(state.error)}
            </Alert>
          ))}
        {grant && display && !me.loading && (
          <Grid container spacing={3}>
            <Grid item xs={12} md={7}>
              <InfoCard title="Access granted">
                <Box data-testid="grant-page" data-grant-id={grant.id}>
                  <Typography variant="body1">
                    <StatusChip status={display} testId="grant-state" grantId={grant.id} />{' '}
                    <strong>{own ? 'You' : <PersonName entityRef={grant.userRef} />}</strong>{' '}
                    {own ? 'hold' : 'holds'} <strong>{grant.roleId}</strong> on{' '}
                    <ResourceLink entityRef={grant.resourceRef} />
                  </Typography>
                  {grant.breakGlass && (
                    <Box mt={1}>
                      <BreakGlassChip grant={grant} />
                    </Box>
                  )}
                  <Box mt={2}>
                    <Typography variant="body2" data-testid="grant-time-left" data-grant-id={grant.id}>
                      {grantTimeLeft(grant, now)}
                    </Typography>
                    {display === 'active' && (
                      <LinearProgress
                        variant="determinate"
                        value={100 - grantElapsedPercent(grant, now)}
                        aria-label="Time left"
                        style={{ height: 8, borderRadius: 4, marginTop: 4 }}
                      />
                    )}
                    <Typography variant="body2" color="textSecondary">
                      From {formatTime(grant.startsAt)} until {formatTime(grant.expiresAt)}
                    </Typography>
                  </Box>
                  {grant.justification && (
                    <Typography variant="body2">Justification: {grant.justification}</Typography>
                  )}
                  {grant.requestId && requestLink && (
                    <Typography variant="body2">
                      <Link to={requestLink({ id: grant.requestId })}>The request that granted it</Link>
                    </Typography>
                  )}
                  {grant.provisioning.state === 'failed' && (
                    <Alert severity="warning">
                      Setting up this access failed; the platform team has been told. It may be retried.
                    </Alert>
                  )}
                  <Box mt={2} display="flex" style={{ gap: 8 }}>
                    {mayRevokeGrant(grant, userRef, revokePerm.allowed).allowed && display !== 'expired' && (
                      <EndAccessButton grant={grant} own={own} onEnded={() => state.retry()} />
                    )}
                    {!grant.breakGlass && mayRenewGrant({ ...grant, active: display === 'active' }, userRef).allowed && (
                      <ExtendButton grant={grant} />
                    )}
                  </Box>
                  {postHocPerm.allowed && mayPostHocReview(grant, userRef, true).allowed && (
                    <Box mt={2}>
                      <PostHocReviewPanel grant={grant} onReviewed={() => state.retry()} />
                    </Box>
                  )}
                </Box>
              </InfoCard>
            </Grid>
            <Grid item xs={12} md={5}>
              {own && display === 'active' && (
                <InfoCard title="Use it">
                  <UsageInstructions resourceRef={grant.resourceRef} />
                </InfoCard>
              )}
              <Box mt={own && display === 'active' ? 3 : 0}>
                <InfoCard title="History">
                  <ul data-testid="grant-history">
                    {grant.history.map(h => (
                      <li key={`${h.at}-${h.event}`}>
                        <Typography variant="body2">
                          {formatTime(h.at)}: {h.event.replace(/-/g, ' ')} by{' '}
                          {h.actor.startsWith('user:') ? <PersonName entityRef={h.actor} /> : 'the portal'}
                          {typeof h.details?.reason === 'string' ? ` (reason: “${h.details.reason}”)` : ''}
                        </Typography>
                      </li>
                    ))}
                  </ul>
                </InfoCard>
              </Box>
            </Grid>
          </Grid>
        )}
      </Content>
    </Page>
  );
}
