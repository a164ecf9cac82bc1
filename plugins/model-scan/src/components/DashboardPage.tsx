import {
  Content,
  ContentHeader,
  Header,
  InfoCard,
  Link,
  LinkButton,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Grid, Typography } from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { modelScanApiRef } from '../api/ModelScanApi';
import { ScanStats, Severity } from '../api/types';
import { newScanRouteRef } from '../routes';
import { atlasTechniqueTitle, atlasTechniqueUrl } from './atlas';
import { ScansTable } from './ScansTable';

const VERDICT_COLORS = {
  safe: '#2e7d32',
  suspicious: '#ed6c02',
  malicious: '#d32f2f',
  error: '#757575',
};
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'none'];

function Figure(props: { label: string; value: number | undefined; testId: string }) {
  return (
    <InfoCard>
      <Typography variant="h3" data-testid={props.testId}>
        {props.value ?? 0}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {props.label}
      </Typography>
    </InfoCard>
  );
}

function StatsView(props: { stats: ScanStats }) {
  const { stats } = props;
  const severityData = SEVERITIES.map(s => ({
    severity: s,
    files: stats.bySeverity[s] ?? 0,
  }));
  return (
    <Grid container spacing={3}>
      <Grid item xs={6} md={3}>
        <Figure label="Files scanned" value={stats.filesScanned} testId="files-scanned" />
      </Grid>
      <Grid item xs={6} md={3}>
        <Figure label="Malicious" value={stats.byVerdict.malicious} testId="count-malicious" />
      </Grid>
      <Grid item xs={6} md={3}>
        <Figure label="Suspicious" value={stats.byVerdict.suspicious} testId="count-suspicious" />
      </Grid>
      <Grid item xs={6} md={3}>
        <Figure label="Safe" value={stats.byVerdict.safe} testId="count-safe" />
      </Grid>
      <Grid item xs={12} md={8}>
        <InfoCard title="Verdicts over time">
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={stats.byDay}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="day" />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend />
              {(['safe', 'suspicious', 'malicious', 'error'] as const).map(v => (
                <Bar key={v} dataKey={v} stackId="verdicts" fill={VERDICT_COLORS[v]} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={4}>
        <InfoCard title="Files by severity">
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={severityData} layout="vertical">
              <XAxis type="number" allowDecimals={false} />
              <YAxis type="category" dataKey="severity" width={70} />
              <Tooltip />
              <Bar dataKey="files" fill="#1f5493" />
            </BarChart>
          </ResponsiveContainer>
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Findings by MITRE ATLAS technique">
          {stats.byAtlas.length === 0 && (
            <Typography variant="body2">No ATLAS techniques seen.</Typography>
          )}
          <ul>
            {stats.byAtlas.map(a => (
              <li key={a.technique}>
                <Link to={atlasTechniqueUrl(a.technique)}>{a.technique}</Link>
                {atlasTechniqueTitle(a.technique)
                  ? ` ${atlasTechniqueTitle(a.technique)}`
                  : ''}
                : {a.count}
              </li>
            ))}
          </ul>
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Top rules">
          {stats.topRules.length === 0 && (
            <Typography variant="body2">No findings yet.</Typography>
          )}
          <ul>
            {stats.topRules.map(r => (
              <li key={r.ruleId}>
                <code>{r.ruleId}</code>: {r.count}
              </li>
            ))}
          </ul>
        </InfoCard>
      </Grid>
    </Grid>
  );
}

/** /model-scan: statistics and the scan list. */
export function DashboardPage() {
  const api = useApi(modelScanApiRef);
  const newScanLink = useRouteRef(newScanRouteRef);
  const stats = useAsync(() => api.getStats(30), [api]);
  const scans = useAsync(() => api.listScans({ limit: 200 }), [api]);

  return (
    <Page themeId="tool">
      <Header
        title="Scans"
        subtitle="Model files checked for code that runs when they are loaded"
      />
      <Content>
        <ContentHeader title="Last 30 days">
          {newScanLink && (
            <LinkButton variant="contained" color="primary" to={newScanLink()}>
              Scan a model
            </LinkButton>
          )}
        </ContentHeader>
        {stats.loading && <Progress />}
        {stats.error && <ResponseErrorPanel error={stats.error} />}
        {stats.value && <StatsView stats={stats.value} />}
        <Grid container spacing={3}>
          <Grid item xs={12} style={{ marginTop: 24 }}>
            {scans.error ? (
              <ResponseErrorPanel error={scans.error} />
            ) : (
              <ScansTable
                isLoading={scans.loading}
                scans={scans.value?.items ?? []}
                title={`Scans (${scans.value?.total ?? 0})`}
              />
            )}
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}
