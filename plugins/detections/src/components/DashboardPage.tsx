import { useEffect, useMemo, useState } from 'react';
import { Content, InfoCard, Page, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Button, Grid, MenuItem, TextField, Typography } from '@material-ui/core';
import { Alert as MuiAlert, ToggleButton, ToggleButtonGroup } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { useLocation, useSearchParams } from 'react-router-dom';
import {
  AlertStatus,
  DashboardSummary,
  detectionsApiRef,
  Severity,
  SourceId,
} from '../api';
import { AlertFilters, AlertsTable, DEFAULT_FILTERS } from './AlertsTable';
import {
  AlertsOverTimeChart,
  EgressDeniesChart,
  OpenAlertsByRuleChart,
  SignInsByCountryChart,
  TopList,
  WeightReadsChart,
} from './charts';
import {
  DetectionsHeader,
  describeError,
  ForbiddenPanel,
  PrincipalName,
  ResourceName,
  SEVERITY_COLORS,
  SEVERITY_LABEL,
  SEVERITY_ORDER,
  SOURCE_LABEL,
  SOURCES,
  useMayReadAlerts,
} from './common';

export const RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type RangeId = keyof typeof RANGES;
const RANGE_LABEL: Record<RangeId, string> = { '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days' };

const STATUSES: AlertStatus[] = ['new', 'acknowledged', 'closed'];

/** Queue filters from the address (?status=new,acknowledged&severity=high&rule=&q=), so links can open a filtered queue. */
export function filtersFromParams(params: URLSearchParams): AlertFilters {
  const list = <T extends string>(key: string, allowed: readonly T[]): T[] | undefined => {
    const v = params.get(key);
    if (v === null) return undefined;
    return v.split(',').filter((x): x is T => (allowed as readonly string[]).includes(x));
  };
  return {
    status: list('status', STATUSES) ?? DEFAULT_FILTERS.status,
    severity: list('severity', SEVERITY_ORDER) ?? [],
    rule: params.get('rule') || undefined,
    q: params.get('q') || undefined,
  };
}

function Tile(props: { label: string; value: number | undefined; testId: string; color?: string; onClick?: () => void; caption?: string }) {
  return (
    <InfoCard>
      <Box onClick={props.onClick} style={{ cursor: props.onClick ? 'pointer' : undefined }} role={props.onClick ? 'button' : undefined}
        borderLeft={props.color ? `6px solid ${props.color}` : undefined} pl={props.color ? 1.5 : 0}>
        <Typography variant="h3" component="p" data-testid={props.testId}>
          {(props.value ?? 0).toLocaleString('en-US')}
        </Typography>
        <Typography variant="body2" color="textSecondary">{props.label}</Typography>
        {props.caption && <Typography variant="caption" color="textSecondary">{props.caption}</Typography>}
      </Box>
    </InfoCard>
  );
}

function Charts(props: { summary: DashboardSummary; onRule: (rule: string) => void; onSeverity: (s: Severity) => void }) {
  const { summary } = props;
  return (
    <Grid container spacing={3}>
      <Grid item xs={6} md={2}>
        <Tile label="Events" value={summary.totals.events} testId="total-events" caption="ingested in this range" />
      </Grid>
      <Grid item xs={6} md={2}>
        <Tile label="Open alerts" value={summary.totals.alertsOpen} testId="total-open" caption="new or acknowledged" />
      </Grid>
      {SEVERITY_ORDER.slice(0, 4).map(s => (
        <Grid item xs={6} md={2} key={s}>
          <Tile label={SEVERITY_LABEL[s]} value={summary.totals.alertsBySeverity?.[s]} testId={`total-${s}`} color={SEVERITY_COLORS[s]}
            caption="alerts in this range" onClick={() => props.onSeverity(s)} />
        </Grid>
      ))}
      <Grid item xs={12} lg={8}>
        <AlertsOverTimeChart summary={summary} />
      </Grid>
      <Grid item xs={12} lg={4}>
        <OpenAlertsByRuleChart summary={summary} onRule={props.onRule} />
      </Grid>
      <Grid item xs={12} md={6}>
        <TopList title="Top principals" subheader="By alerts in this range" testId="top-principals" unit="alert"
          emptyText="No alerts name a principal in this range."
          rows={summary.topPrincipals.slice(0, 8).map(p => ({ key: p.principal, value: p.alerts, label: <PrincipalName principal={p.principal} principalRef={p.principalRef} /> }))} />
      </Grid>
      <Grid item xs={12} md={6}>
        <TopList title="Top resources" subheader="By alerts in this range" testId="top-resources" unit="alert"
          emptyText="No alerts name a resource in this range."
          rows={summary.topResources.slice(0, 8).map(r => ({ key: r.resource, value: r.alerts, label: <ResourceName resource={r.resource} resourceRef={r.resourceRef} /> }))} />
      </Grid>
      <Grid item xs={12} md={4}>
        <SignInsByCountryChart summary={summary} />
      </Grid>
      <Grid item xs={12} md={4}>
        <EgressDeniesChart summary={summary} />
      </Grid>
      <Grid item xs={12} md={4}>
        <WeightReadsChart summary={summary} />
      </Grid>
    </Grid>
  );
}

/** /detections — charts over a time range and source, then the alert queue. */
export function DashboardPage() {
  const allowed = useMayReadAlerts();
  return (
    <Page themeId="tool">
      <DetectionsHeader title="Detections" subtitle="Security events from sign-ins, storage, Kubernetes and egress; the alerts they raised" />
      <Content>
        {allowed.loading && <Progress />}
        {!allowed.loading && !allowed.allowed && <ForbiddenPanel />}
        {allowed.allowed && <Dashboard />}
      </Content>
    </Page>
  );
}

function Dashboard() {
  const api = useApi(detectionsApiRef);
  const [params, setParams] = useSearchParams();
  const range: RangeId = (Object.keys(RANGES) as RangeId[]).includes(params.get('range') as RangeId) ? (params.get('range') as RangeId) : '24h';
  const source = SOURCES.includes(params.get('source') as SourceId) ? (params.get('source') as SourceId) : undefined;
  const [refreshed, setRefreshed] = useState(() => Date.now());
  const timeWindow = useMemo(() => ({ from: new Date(refreshed - RANGES[range]).toISOString(), to: new Date(refreshed).toISOString() }), [range, refreshed]);
  const summary = useAsyncRetry(() => api.getDashboard({ ...timeWindow, source: source ? [source] : undefined }), [api, timeWindow, source]);
  const filters = filtersFromParams(params);

  const update = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next, { replace: true });
  };
  const setFilters = (f: AlertFilters) =>
    update({
      status: f.status.join(',') === DEFAULT_FILTERS.status.join(',') ? undefined : f.status.join(','),
      severity: f.severity.length ? f.severity.join(',') : undefined,
      rule: f.rule,
      q: f.q,
    });
  const showInQueue = (f: Partial<AlertFilters>) => {
    setFilters({ ...DEFAULT_FILTERS, ...f });
    document.getElementById('alert-queue')?.scrollIntoView?.({ behavior: 'smooth' });
  };
  // Links to the queue (home card, alert pages) end in #alert-queue: scroll there once the charts are drawn.
  const location = useLocation();
  const chartsReady = !summary.loading;
  useEffect(() => {
    if (location.hash === '#alert-queue' && chartsReady) document.getElementById('alert-queue')?.scrollIntoView?.();
  }, [location.hash, chartsReady]);
  const ruleTitles = Object.fromEntries((summary.value?.openAlertsByRule ?? []).map(r => [r.rule, r.title]));

  return (
    <>
      <Box display="flex" flexWrap="wrap" alignItems="center" mb={3} style={{ gap: 16 }} data-testid="dashboard-filters">
        <ToggleButtonGroup size="small" exclusive value={range} onChange={(_e, v) => v && update({ range: v === '24h' ? undefined : v })} aria-label="Time range">
          {(Object.keys(RANGES) as RangeId[]).map(r => (
            <ToggleButton key={r} value={r} data-testid={`range-${r}`} aria-label={RANGE_LABEL[r]}>{RANGE_LABEL[r]}</ToggleButton>
          ))}
        </ToggleButtonGroup>
        <TextField select size="small" variant="outlined" label="Source" value={source ?? 'all'} style={{ minWidth: 240 }}
          onChange={e => update({ source: e.target.value === 'all' ? undefined : e.target.value })}
          SelectProps={{ SelectDisplayProps: { 'data-testid': 'filter-source' } as any }}>
          <MenuItem value="all">All sources</MenuItem>
          {SOURCES.map(s => <MenuItem key={s} value={s}>{SOURCE_LABEL[s]}</MenuItem>)}
        </TextField>
        <Button size="small" onClick={() => setRefreshed(Date.now())} data-testid="refresh">Refresh</Button>
        <Typography variant="body2" color="textSecondary">
          {RANGE_LABEL[range]}
          {source ? `; events of ${SOURCE_LABEL[source]} only (alerts from every source)` : ', all sources'}; times in UTC.
        </Typography>
      </Box>
      {summary.loading && !summary.value && <Progress />}
      {summary.error && (
        <MuiAlert severity="error" action={<Button color="inherit" size="small" onClick={summary.retry}>Retry</Button>} data-testid="dashboard-error">
          The charts could not be loaded. {describeError(summary.error)}
        </MuiAlert>
      )}
      {summary.value && (
        <Charts summary={summary.value} onRule={rule => showInQueue({ rule })} onSeverity={s => showInQueue({ severity: [s] })} />
      )}
      <Box mt={4} id="alert-queue">
        <AlertsTable filters={filters} onFiltersChange={setFilters} ruleTitles={ruleTitles} />
      </Box>
    </>
  );
}
