import {
  Content,
  InfoCard,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Grid, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { requestRouteRef } from '../routes';
import { AccessHeader } from './AccessHeader';
import { RequestSummary } from './RequestSummary';
import { ReviewPanel } from './ReviewPanel';

/** /access/inbox: only the requests the signed-in reviewer may decide now. */
export function InboxPage() {
  const api = useApi(accessRequestsApiRef);
  const requestLink = useRouteRef(requestRouteRef);
  const inbox = useAsyncRetry(() => api.listRequests({ scope: 'inbox' }), [api]);
  const items = inbox.value?.items ?? [];
  return (
    <Page themeId="tool">
      <AccessHeader
        title="Reviewer inbox"
        subtitle="Requests you may decide, with the policy frozen when they were made"
      />
      <Content>
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
                  <ReviewPanel request={request} onReviewed={() => inbox.retry()} />
                </div>
              </InfoCard>
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
}
