import {
  Content,
  InfoCard,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { useState } from 'react';
import { Box, Grid, Tab, Tabs, Typography } from '@material-ui/core';
import { usePermission } from '@backstage/plugin-permission-react';
import { accessGrantPostHocReviewPermission } from '@internal/plugin-access-requests-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { requestRouteRef } from '../routes';
import { AccessHeader } from './AccessHeader';
import { RequestSummary } from './RequestSummary';
import { ReviewPanel } from './ReviewPanel';
import { BreakGlassReviews } from './PostHocReviews';

/**
 * /access/inbox: only the requests the signed-in reviewer may decide now, and
 * (for users with access-requests.grant.post-hoc-review) a "Break-glass reviews" tab.
 */
export function InboxPage() {
  const postHoc = usePermission({
    permission: accessGrantPostHocReviewPermission,
  });
  const [tab, setTab] = useState<'requests' | 'break-glass'>('requests');
  const showBreakGlass = postHoc.allowed && tab === 'break-glass';
  return (
    <Page themeId="tool">
      <AccessHeader
        title="Reviewer inbox"
        subtitle="Requests you may decide, with the policy frozen when they were made"
      />
      <Content>
        {postHoc.allowed && (
          <Box mb={2}>
            <Tabs
              value={tab}
              onChange={(_e, v) => setTab(v)}
              indicatorColor="primary"
            >
              <Tab value="requests" label="Requests" />
              <Tab value="break-glass" label="Break-glass reviews" />
            </Tabs>
          </Box>
        )}
        {showBreakGlass ? <BreakGlassReviews /> : <RequestInbox />}
      </Content>
    </Page>
  );
}

function RequestInbox() {
  const api = useApi(accessRequestsApiRef);
  const requestLink = useRouteRef(requestRouteRef);
  const inbox = useAsyncRetry(
    () => api.listRequests({ scope: 'inbox' }),
    [api],
  );
  const items = inbox.value?.items ?? [];
  return (
    <>
      {inbox.loading && !inbox.value && <Progress />}
      {inbox.error && <ResponseErrorPanel error={inbox.error} />}
      {inbox.value && items.length === 0 && (
        <Typography data-testid="inbox-empty">Nothing to review.</Typography>
      )}
      <Grid container spacing={3}>
        {items.map(request => (
          <Grid item xs={12} key={request.id}>
            <InfoCard
              title={
                requestLink ? (
                  <Link to={requestLink({ id: request.id })}>
                    Request {request.id}
                  </Link>
                ) : (
                  `Request ${request.id}`
                )
              }
            >
              <div data-testid="inbox-item" data-request-id={request.id}>
                <RequestSummary request={request} />
                <ReviewPanel
                  request={request}
                  onReviewed={() => inbox.retry()}
                />
              </div>
            </InfoCard>
          </Grid>
        ))}
      </Grid>
    </>
  );
}
