import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { EntityLink } from '../components/EntityLink';
import { Box, Button, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { modelScanApiRef } from '../api/ModelScanApi';
import { Scan } from '../api/types';
import { rootRouteRef, scanRouteRef } from '../routes';
import { formatTime } from '../components/format';
import { VerdictChip } from '../components/VerdictChip';

/** The malicious and suspicious scans of the last `days` days, newest first. */
export function recentRiskyScans(scans: Scan[], now: Date, days = 14): Scan[] {
  const since = now.getTime() - days * 86_400_000;
  return scans
    .filter(s => (s.verdict === 'malicious' || s.verdict === 'suspicious') && Date.parse(s.createdAt) >= since)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Home card: recent malicious or suspicious scans (everyone who may read scans). */
export function RiskyScansCard() {
  const api = useApi(modelScanApiRef);
  const root = useRouteRef(rootRouteRef);
  const scanLink = useRouteRef(scanRouteRef);
  const state = useAsyncRetry(async () => {
    const [malicious, suspicious] = await Promise.all([
      api.listScans({ verdict: 'malicious', limit: 20 }),
      api.listScans({ verdict: 'suspicious', limit: 20 }),
    ]);
    return [...malicious.items, ...suspicious.items];
  }, [api]);
  const risky = recentRiskyScans(state.value ?? [], new Date());
  return (
    <InfoCard
      title={`Risky model scans, last 14 days${state.value ? ` (${risky.length})` : ''}`}
      deepLink={root ? { title: 'All scans', link: root() } : undefined}
    >
      <Box data-testid="home-risky-scans" data-count={state.value ? risky.length : undefined}>
        {state.loading && !state.value && <Progress />}
        {state.error && (
          <Alert severity="error" action={<Button onClick={state.retry}>Retry</Button>}>
            Scans could not be loaded right now.
          </Alert>
        )}
        {state.value && risky.length === 0 && (
          <Typography variant="body2">No malicious or suspicious model was found in the last 14 days.</Typography>
        )}
        {risky.slice(0, 5).map(s => (
          <Box key={s.id} display="flex" alignItems="center" style={{ gap: 8 }} mb={1}>
            <VerdictChip verdict={s.verdict} severity={s.severity} status={s.status} />
            <Typography variant="body2" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
              {scanLink ? <Link to={scanLink({ id: s.id })}>{s.target}</Link> : s.target}
              {s.entityRef && (
                <>
                  {' '}· <EntityLink entityRef={s.entityRef} />
                </>
              )}{' '}
              · {formatTime(s.createdAt)}
              {s.reviewRequest && ' · review requested'}
            </Typography>
          </Box>
        ))}
      </Box>
    </InfoCard>
  );
}
