import { useState } from 'react';
import {
  Content,
  Link,
  Page,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Button, Grid, Typography } from '@material-ui/core';
import { ResourceLink } from './Names';
import { ReasonDialog } from './ReasonDialog';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { AccessRequest } from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { requestRouteRef } from '../routes';
import { AccessHeader } from './AccessHeader';
import { GrantsTable } from './GrantsTable';
import { approvalsStillNeeded } from './RemainingApprovals';
import { StatusChip } from './RequestStatusChip';
import { describeError, formatMinutes, formatTime } from './format';

/** /access/requests: my requests and my grants with time left. */
export function MyAccessPage() {
  const api = useApi(accessRequestsApiRef);
  const requestLink = useRouteRef(requestRouteRef);
  const requests = useAsyncRetry(() => api.listRequests({ scope: 'mine' }), [api]);
  const grants = useAsyncRetry(() => api.listGrants({ scope: 'mine' }), [api]);
  const [error, setError] = useState<string>();
  const [withdrawing, setWithdrawing] = useState<AccessRequest>();

  const withdraw = async (r: AccessRequest) => {
    setError(undefined);
    try {
      await api.withdraw(r.id);
      requests.retry();
    } catch (e) {
      setError(describeError(e));
    }
  };

  const columns: TableColumn<AccessRequest>[] = [
    {
      title: 'Resource',
      field: 'resourceRef',
      render: r => <ResourceLink entityRef={r.resourceRef} />,
    },
    {
      title: 'Role',
      field: 'roleId',
      render: r => {
        const title = r.policy.roles.find(x => x.id === r.roleId)?.title ?? r.roleId;
        return requestLink ? <Link to={requestLink({ id: r.id })} data-testid="my-request-link" data-request-id={r.id}>{title}</Link> : title;
      },
    },
    { title: 'Duration', render: r => formatMinutes(r.durationMinutes) },
    { title: 'Status', render: r => <StatusChip status={r.status} testId="request-status" /> },
    {
      title: 'Approvals still needed',
      render: r =>
        r.status === 'pending' ? (
          <span data-testid="request-missing-approvals">
            {approvalsStillNeeded(r.remaining)}
          </span>
        ) : (
          'decided'
        ),
    },
    { title: 'Created', render: r => formatTime(r.createdAt) },
    {
      title: '',
      render: r =>
        r.status === 'pending' ? (
          <Button size="small" onClick={() => setWithdrawing(r)}>
            Withdraw
          </Button>
        ) : null,
    },
  ];

  return (
    <Page themeId="tool">
      <AccessHeader title="Access" subtitle="Your requests and the access you hold" tab="mine" />
      <ReasonDialog
        open={!!withdrawing}
        title="Withdraw this request?"
        confirmLabel="Withdraw"
        noReason
        onClose={() => setWithdrawing(undefined)}
        onConfirm={async () => {
          if (withdrawing) await withdraw(withdrawing);
        }}
      >
        <Typography variant="body2">The reviewers are told it is withdrawn. You can request again later.</Typography>
      </ReasonDialog>
      <Content>
        {error && (
          <Alert severity="error" role="alert">
            {error}
          </Alert>
        )}
        <Grid container spacing={3}>
          <Grid item xs={12}>
            {grants.error ? (
              <ResponseErrorPanel error={grants.error} />
            ) : (
              <GrantsTable
                title="My grants"
                grants={grants.value?.items ?? []}
                allowRenew
                onChanged={grants.retry}
              />
            )}
          </Grid>
          <Grid item xs={12}>
            {requests.error ? (
              <ResponseErrorPanel error={requests.error} />
            ) : (
              <Table<AccessRequest>
                title="My requests"
                isLoading={requests.loading}
                options={{ paging: true, pageSize: 10, search: true, padding: 'dense', sorting: true }}
                emptyContent={<Typography style={{ padding: 16 }} variant="body2">You have no requests yet. Use “Request access” to ask for one.</Typography>}
                columns={columns}
                data={(requests.value?.items ?? []).map(r => ({ ...r }))}
              />
            )}
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}
