import {
  InfoCard,
  LinkButton,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Box, Grid, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  accessGrantRevokePermission,
  accessReadAllPermission,
  isGrantActive,
} from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { rootRouteRef } from '../routes';
import { BreakGlassButton } from './BreakGlass';
import { GrantsTable } from './GrantsTable';
import { PolicySummary } from './PolicySummary';
import { AccessTimeline } from './AccessTimeline';
import { EntityHistory } from './EntityHistory';
import { useNow } from './useNow';

/** Entity tab "Access": policy, who holds access now and until when, history. */
export function EntityAccessContent() {
  const { entity } = useEntity();
  const api = useApi(accessRequestsApiRef);
  const root = useRouteRef(rootRouteRef);
  const entityRef = stringifyEntityRef(entity);
  const now = useNow(1000);
  const details = useAsyncRetry(
    () => api.getResource(entityRef),
    [api, entityRef],
  );
  const revoke = usePermission({ permission: accessGrantRevokePermission });
  // the same read rule as the grants in the resource view: own requests, everyone's with read-all
  const readAll = usePermission({ permission: accessReadAllPermission });
  const requests = useAsyncRetry(async () => {
    if (readAll.loading) return undefined;
    return api.listRequests({ scope: readAll.allowed ? 'all' : 'mine', resourceRef: entityRef });
  }, [api, entityRef, readAll.loading, readAll.allowed]);

  if (details.loading && !details.value) return <Progress />;
  if (details.error) return <ResponseErrorPanel error={details.error} />;
  const value = details.value!;
  const holders = value.activeGrants.filter(g => isGrantActive(g, now));
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard
          title="Access policy"
          action={
            root ? (
              <LinkButton
                to={`${root()}?resource=${encodeURIComponent(entityRef)}`}
                variant="contained"
                color="primary"
              >
                Request access
              </LinkButton>
            ) : undefined
          }
        >
          <PolicySummary policy={value.policy} />
          <Box mt={2}>
            <BreakGlassButton
              resourceRef={value.entityRef}
              resourceTitle={value.title}
              policy={value.policy}
              onGranted={() => details.retry()}
            />
          </Box>
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        {holders.length === 0 ? (
          <InfoCard title="Who holds access now">
            <Typography variant="body2" data-testid="no-holders">
              Nobody holds access to this resource right now.
            </Typography>
          </InfoCard>
        ) : (
          <GrantsTable
            title="Who holds access now"
            grants={holders}
            roleTitle={id => value.policy.roles.find(r => r.id === id)?.title ?? id}
            showUser
            allowRevoke={revoke.allowed}
            onChanged={() => details.retry()}
          />
        )}
      </Grid>
      <Grid item xs={12}>
        <AccessTimeline grants={value.history} policy={value.policy} now={now} everyone={readAll.allowed} />
      </Grid>
      <Grid item xs={12}>
        <EntityHistory
          grants={value.history}
          requests={requests.value?.items ?? []}
          policy={value.policy}
          everyone={readAll.allowed}
          loading={requests.loading && !requests.value}
        />
      </Grid>
    </Grid>
  );
}
