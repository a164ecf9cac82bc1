import { Content, EmptyState, Header, InfoCard, Page, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, Grid, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { auditEventsReadPermission } from '@internal/plugin-audit-common';
import { auditApiRef } from '../api';
import { AuditEventsView } from './AuditEventsView';

/** What a broken chain lost, in words; an unknown reason reads as a broken link. */
const BREAK_REASON: Partial<Record<string, string>> = {
  'hash-mismatch': 'its content was changed',
  'missing-row': 'an event is missing',
};

/** The hash chain's verification status, checked when the page opens and on demand. */
export function ChainStatus() {
  const api = useApi(auditApiRef);
  const result = useAsyncRetry(() => api.verify(), [api]);
  return (
    <Box data-testid="chain-status" data-ok={result.value ? String(result.value.ok) : undefined}>
      {result.loading && <Progress />}
      {result.error && <Alert severity="error">The chain could not be verified right now.</Alert>}
      {result.value &&
        (result.value.ok ? (
          <Alert severity="success">
            Intact: all {result.value.checked.toLocaleString('en-US')} events verify; none was changed, removed or reordered.
          </Alert>
        ) : (
          <Alert severity="error">
            Broken at event #{result.value.firstBrokenSeq}: {BREAK_REASON[result.value.reason ?? ''] ?? 'it no longer links to the event before it'}.
            {` ${result.value.checked.toLocaleString('en-US')} events before it verify. Tell the security team.`}
          </Alert>
        ))}
      <Box mt={1}>
        <Button size="small" onClick={result.retry}>Verify again</Button>
      </Box>
    </Box>
  );
}

/** /audit — the audit trail for security reviewers and platform admins. */
export function AuditPage() {
  const allowed = usePermission({ permission: auditEventsReadPermission });
  return (
    <Page themeId="tool">
      <Header title="Audit trail" subtitle="Every security-relevant action and refusal, hash-chained" />
      <Content>
        {allowed.loading && <Progress />}
        {!allowed.loading && !allowed.allowed && (
          <EmptyState
            missing="info"
            title="Only security reviewers and platform admins read the audit trail"
            description="Your own requests and access have their history on the Access pages."
          />
        )}
        {allowed.allowed && (
          <Grid container spacing={3}>
            <Grid item xs={12}>
              <InfoCard title="Chain verification">
                <ChainStatus />
              </InfoCard>
            </Grid>
            <Grid item xs={12}>
              <Typography variant="body2" color="textSecondary" paragraph>
                Newest first. Filters apply on the server; export takes every event that matches (up to 5,000).
              </Typography>
              <AuditEventsView />
            </Grid>
          </Grid>
        )}
      </Content>
    </Page>
  );
}
