import { useState } from 'react';
import {
  Content,
  InfoCard,
  Link,
  LinkButton,
  Page,
  Progress,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Box, Button, Grid, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useParams, useSearchParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  isGrantActive,
  mayRequestAgain,
  mayReviewRequest,
  mayWithdrawRequest,
} from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { grantRouteRef, inboxRouteRef, myAccessRouteRef, rootRouteRef } from '../routes';
import { AccessHeader } from './AccessHeader';
import { GrantsTable } from './GrantsTable';
import { ResourceLink } from './Names';
import { NotFoundPanel, isNotFound } from './NotFoundPanel';
import { ReasonDialog } from './ReasonDialog';
import { RequestSummary } from './RequestSummary';
import { ReviewPanel } from './ReviewPanel';
import { SubmittedConfirmation } from './SubmittedConfirmation';
import { UsageInstructions } from './GrantActions';
import { describeError } from './format';
import { useCurrentUser } from './useCurrentUser';

/** /access/requests/:id — one request; only the actions the signed-in person may take. */
export function RequestDetailPage() {
  const { id = '' } = useParams();
  const [searchParams] = useSearchParams();
  const submitted = searchParams.get('submitted') === '1';
  const api = useApi(accessRequestsApiRef);
  const me = useCurrentUser();
  const mine = useRouteRef(myAccessRouteRef);
  const inbox = useRouteRef(inboxRouteRef);
  const root = useRouteRef(rootRouteRef);
  const grantLink = useRouteRef(grantRouteRef);
  const state = useAsyncRetry(() => api.getRequest(id), [api, id]);
  const [message, setMessage] = useState<string>();
  const [withdrawOpen, setWithdrawOpen] = useState(false);
  const request = state.value?.request;
  const grant = state.value?.grant;
  const now = new Date();
  const userRef = me.userRef ?? '';
  const review = request ? mayReviewRequest(request, userRef, me.groups, now) : undefined;
  const withdraw = request ? mayWithdrawRequest(request, userRef) : undefined;
  const isRequester = request?.requester === userRef;
  const back = isRequester || !inbox ? { to: mine?.(), label: 'Back to my access' } : { to: inbox(), label: 'Back to the reviewer inbox' };

  return (
    <Page themeId="tool">
      <AccessHeader
        title="Access request"
        subtitle={request ? <ResourceLink entityRef={request.resourceRef} /> : undefined}
      />
      <Content>
        <Box mb={2}>
          {back.to && (
            <Link to={back.to} data-testid="back-link">
              ← {back.label}
            </Link>
          )}
        </Box>
        {state.loading && !state.value && <Progress />}
        {state.error &&
          (isNotFound(state.error) ? (
            <NotFoundPanel what="request" backTo={mine?.()} backLabel="Go to my access" />
          ) : (
            <Alert
              severity="error"
              action={<Button onClick={state.retry}>Retry</Button>}
            >
              {describeError(state.error)}
            </Alert>
          ))}
        {message && (
          <Alert severity="success" data-testid="action-result">
            {message}
          </Alert>
        )}
        {request && !me.loading && (
          <Grid container spacing={3}>
            {submitted && isRequester && (
              <Grid item xs={12}>
                <SubmittedConfirmation request={request} />
              </Grid>
            )}
            <Grid item xs={12}>
              <InfoCard title="Request">
                <RequestSummary request={request} />
                {review?.allowed && (
                  <Box mt={2}>
                    <ReviewPanel request={request} onReviewed={(_r, m) => { setMessage(m); state.retry(); }} />
                  </Box>
                )}
                {request.status === 'pending' && !review?.allowed && !isRequester && review?.reason && (
                  <Typography variant="body2" color="textSecondary" data-testid="no-review-reason">
                    {review.reason}
                  </Typography>
                )}
                <Box mt={2} display="flex" style={{ gap: 8 }}>
                  {withdraw?.allowed && (
                    <Button variant="outlined" onClick={() => setWithdrawOpen(true)}>
                      Withdraw request
                    </Button>
                  )}
                  {mayRequestAgain(request, userRef) && root && (
                    <LinkButton
                      to={`${root()}?resource=${encodeURIComponent(request.resourceRef)}&role=${encodeURIComponent(request.roleId)}`}
                      variant="outlined"
                      color="primary"
                    >
                      Request again
                    </LinkButton>
                  )}
                  {grant && grantLink && (
                    <LinkButton to={grantLink({ id: grant.id })} variant="outlined">
                      Open the access granted
                    </LinkButton>
                  )}
                </Box>
              </InfoCard>
            </Grid>
            {grant && (
              <Grid item xs={12}>
                <GrantsTable title="Access granted" grants={[grant]} onChanged={state.retry} />
              </Grid>
            )}
            {grant && grant.userRef === userRef && isGrantActive(grant, now) && (
              <Grid item xs={12}>
                <InfoCard title="Use it">
                  <UsageInstructions resourceRef={grant.resourceRef} />
                </InfoCard>
              </Grid>
            )}
          </Grid>
        )}
        <ReasonDialog
          open={withdrawOpen}
          title="Withdraw this request?"
          confirmLabel="Withdraw"
          noReason
          onClose={() => setWithdrawOpen(false)}
          onConfirm={async () => {
            await api.withdraw(id);
            setMessage('Withdrawn. The reviewers no longer need to act on it.');
            state.retry();
          }}
        >
          <Typography variant="body2">The reviewers are told it is withdrawn. You can request again later.</Typography>
        </ReasonDialog>
      </Content>
    </Page>
  );
}
