import { InfoCard, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Box, Button, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { weightInventoryApiRef } from '../api';
import { rootRouteRef } from '../routes';
import { formatTime } from '../components/format';
import { exceptedSuffix, useExceptedCounts } from '../components/exceptedCounts';

/** Home card: storage accounts and clusters by posture. */
export function PostureSummaryCard() {
  const api = useApi(weightInventoryApiRef);
  const root = useRouteRef(rootRouteRef);
  const state = useAsyncRetry(() => api.getSummary(), [api]);
  const excepted = useExceptedCounts([state.value]);
  const s = state.value;
  return (
    <InfoCard title="Weight stores and clusters by posture" deepLink={root ? { title: 'Inventory', link: root() } : undefined}>
      <Box data-testid="home-posture-summary">
        {state.loading && !s && <Progress />}
        {state.error && (
          <Alert severity="error" action={<Button onClick={state.retry}>Retry</Button>}>
            The inventory could not be loaded right now.
          </Alert>
        )}
        {s && (
          <>
            <Typography variant="body2" data-testid="summary-storage">
              Storage accounts: {s.storageAccounts.failing} failing · {s.storageAccounts.passing} passing{s.storageAccounts.unknown ? ` · ${s.storageAccounts.unknown} unknown` : ''}
            </Typography>
            <Typography variant="body2" data-testid="summary-clusters">
              Clusters: {s.clusters.failing} failing · {s.clusters.passing} passing{s.clusters.unknown ? ` · ${s.clusters.unknown} unknown` : ''}
            </Typography>
            <Typography variant="body2" data-testid="summary-failing-checks">
              Failing checks: {s.failingBySeverity.critical} critical, {s.failingBySeverity.high} high, {s.failingBySeverity.medium} medium, {s.failingBySeverity.low} low{exceptedSuffix(excepted?.total)}
            </Typography>
            <Typography variant="caption">Last refresh: {formatTime(s.lastRefreshAt)}</Typography>
          </>
        )}
      </Box>
    </InfoCard>
  );
}
