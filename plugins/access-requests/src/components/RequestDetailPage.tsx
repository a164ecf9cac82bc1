import { useState } from 'react';
import {
  Content,
  InfoCard,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Button, Grid } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { AccessHeader } from './AccessHeader';
import { GrantsTable } from './GrantsTable';
import { RequestSummary } from './RequestSummary';
import { ReviewPanel } from './ReviewPanel';
import { describeError } from './format';

/** /access/requests/:id */
export function RequestDetailPage() {
  const { id = '' } = useParams();
  const api = useApi(accessRequestsApiRef);
  const state = useAsyncRetry(() => api.getRequest(id), [api, id]);
  const [error, setError] = useState<string>();
  const request = state.value?.request;
  const grant = state.value?.grant;

  const withdraw = async () => {
    setError(undefined);
    try {
      await api.withdraw(id);
      state.retry();
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <Page themeId="tool">
      <AccessHeader title="Access request" subtitle={request?.resourceRef ?? id} />
      <Content>
        {state.loading && !state.value && <Progress />}
        {state.error && <ResponseErrorPanel error={state.error} />}
        {error && (
          <Alert severity="error" role="alert">
            {error}
          </Alert>
        )}
        {request && (
          <Grid container spacing={3}>
            <Grid item xs={12}>
              <InfoCard title="Request">
                <RequestSummary request={request} />
                {request.status === 'pending' && (
                  <Box mt={2}>
                    <ReviewPanel request={request} onReviewed={() => state.retry()} />
                    <Box mt={1}>
                      <Button size="small" onClick={withdraw}>
                        Withdraw request
                      </Button>
                    </Box>
                  </Box>
                )}
              </InfoCard>
            </Grid>
            {grant && (
              <Grid item xs={12}>
                <GrantsTable title="Grant" grants={[grant]} onChanged={state.retry} />
              </Grid>
            )}
          </Grid>
        )}
      </Content>
    </Page>
  );
}
