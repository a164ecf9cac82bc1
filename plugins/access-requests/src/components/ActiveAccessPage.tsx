import { Content, EmptyState, Page, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Button } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { accessGrantRevokePermission, isGrantActive } from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { AccessHeader } from './AccessHeader';
import { GrantsTable } from './GrantsTable';
import { describeError } from './format';

/** /access/active — every access held right now, with Revoke (reviewers and admins). */
export function ActiveAccessPage() {
  const api = useApi(accessRequestsApiRef);
  const revoke = usePermission({ permission: accessGrantRevokePermission });
  const grants = useAsyncRetry(() => api.listGrants({ scope: 'all' }), [api]);
  const now = new Date();
  const active = (grants.value?.items ?? []).filter(g => isGrantActive(g, now));
  return (
    <Page themeId="tool">
      <AccessHeader title="Access" subtitle="Who holds access to what right now" tab="active" />
      <Content>
        {grants.loading && !grants.value && <Progress />}
        {grants.error && (
          <Alert severity="error" action={<Button onClick={grants.retry}>Retry</Button>}>
            {describeError(grants.error)}
          </Alert>
        )}
        {grants.value && active.length === 0 && (
          <EmptyState missing="data" title="Nobody holds access right now" description="Approved requests and break-glass access appear here while they last." />
        )}
        {active.length > 0 && (
          <GrantsTable title={`Active access (${active.length})`} grants={active} showUser allowRevoke={revoke.allowed} onChanged={grants.retry} />
        )}
      </Content>
    </Page>
  );
}
