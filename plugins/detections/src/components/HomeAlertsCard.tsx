import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Box, Button, Typography } from '@material-ui/core';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { detectionsApiRef, Severity } from '../api';
import { rootRouteRef } from '../routes';
import { SEVERITY_COLORS, SEVERITY_LABEL, SEVERITY_ORDER, useMayReadAlerts } from './common';

const OPEN = 'new,acknowledged';

function OpenAlertsBySeverity() {
  const api = useApi(detectionsApiRef);
  const root = useRouteRef(rootRouteRef);
  const base = root?.() ?? '/';
  const counts = useAsyncRetry(async () => {
    const entries = await Promise.all(
      SEVERITY_ORDER.map(async s => [s, (await api.listAlerts({ status: ['new', 'acknowledged'], severity: [s], limit: 1 })).totalCount] as const),
    );
    return Object.fromEntries(entries) as Record<Severity, number>;
  }, [api]);
  const queue = (s?: Severity) => `${base}?status=${OPEN}${s ? `&severity=${s}` : ''}#alert-queue`;
  if (counts.loading) return <Progress />;
  if (counts.error) {
    return (
      <Typography variant="body2">
        The open alerts could not be counted right now. <Button size="small" onClick={counts.retry}>Retry</Button>
      </Typography>
    );
  }
  const values = counts.value!;
  const total = SEVERITY_ORDER.reduce((n, s) => n + (values[s] ?? 0), 0);
  if (total === 0) {
    return <Typography variant="body2" data-testid="home-detections-none">No open alerts. New ones appear here and in the <Link to={queue()}>alert queue</Link>.</Typography>;
  }
  return (
    <Box>
      <Typography variant="body2" paragraph>
        <Link to={queue()} data-testid="home-detections-total">{total === 1 ? '1 open alert' : `${total.toLocaleString('en-US')} open alerts`}</Link> waiting for review.
      </Typography>
      <Box display="flex" flexWrap="wrap" style={{ gap: 12 }}>
        {SEVERITY_ORDER.filter(s => values[s] > 0).map(s => (
          <Link key={s} to={queue(s)} data-testid={`home-detections-${s}`} underline="none">
            <Box px={1.5} py={0.5} borderRadius={4} style={{ backgroundColor: SEVERITY_COLORS[s], color: '#fff' }}>
              <Typography variant="h6" component="span">{values[s].toLocaleString('en-US')}</Typography>{' '}
              <Typography variant="body2" component="span">{SEVERITY_LABEL[s].toLocaleLowerCase('en-US')}</Typography>
            </Box>
          </Link>
        ))}
      </Box>
    </Box>
  );
}

/** Home card for security reviewers: open alerts by severity, each linking to the filtered queue. Nothing for others. */
export function HomeAlertsCard() {
  const allowed = useMayReadAlerts();
  const root = useRouteRef(rootRouteRef);
  if (!allowed.allowed) return null;
  return (
    <InfoCard title="Open alerts" deepLink={{ title: 'Alert queue', link: `${root?.() ?? '/'}#alert-queue` }}>
      <Box data-testid="home-detections">
        <OpenAlertsBySeverity />
      </Box>
    </InfoCard>
  );
}
