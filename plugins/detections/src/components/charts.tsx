import { ReactNode } from 'react';
import { InfoCard } from '@backstage/core-components';
import { Box, Typography } from '@material-ui/core';
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
import { DashboardSummary, Severity } from '../api';
import { formatBytes, PrincipalName, SEVERITY_COLORS, SEVERITY_LABEL, SEVERITY_ORDER } from './common';

const SUCCESS = '#2e7d32';
const FAILURE = '#c62828';
const NEUTRAL = '#1f5493';

/** A chart card: the title, the chart, and a sentence when there is nothing to draw. */
export function ChartCard(props: { title: string; testId: string; empty: boolean; emptyText: string; children: ReactNode; subheader?: string }) {
  return (
    <InfoCard title={props.title} subheader={props.subheader} noPadding={false}>
      <Box data-testid={props.testId} minHeight={120}>
        {props.empty ? (
          <Box display="flex" alignItems="center" justifyContent="center" height={120}>
            <Typography variant="body2" color="textSecondary">{props.emptyText}</Typography>
          </Box>
        ) : (
          props.children
        )}
      </Box>
    </InfoCard>
  );
}

/** "14:00" within a day, "7 Dec" over longer ranges (UTC, as the buckets are). */
export function bucketLabel(iso: string, spanMs: number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (spanMs <= 2 * 86_400_000) {
    return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
  }
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

function truncate(s: string, n = 28): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Every bucket of the range, the empty ones as zeros: the backend answers only the hours (up to
 * two days) or days that had alerts, and a trend needs its quiet stretches drawn too.
 */
export function fillBuckets(summary: Pick<DashboardSummary, 'from' | 'to' | 'alertsOverTime'>): DashboardSummary['alertsOverTime'] {
  const from = Date.parse(summary.from);
  const to = Date.parse(summary.to);
  if (Number.isNaN(from) || Number.isNaN(to) || to <= from) return summary.alertsOverTime;
  const step = to - from <= 2 * DAY ? HOUR : DAY;
  const byTime = new Map(summary.alertsOverTime.map(b => [Date.parse(b.bucket), b]));
  const out: DashboardSummary['alertsOverTime'] = [];
  for (let t = Math.floor(from / step) * step; t <= to; t += step) {
    out.push(byTime.get(t) ?? { bucket: new Date(t).toISOString(), informational: 0, low: 0, medium: 0, high: 0, critical: 0 });
    byTime.delete(t);
  }
  // anything the backend put outside the grid (it should not) is kept, in order
  return [...out, ...byTime.values()].sort((a, b) => Date.parse(a.bucket) - Date.parse(b.bucket));
}

/** Alerts over time, stacked by severity (critical on top). */
export function AlertsOverTimeChart(props: { summary: DashboardSummary }) {
  const span = Date.parse(props.summary.to) - Date.parse(props.summary.from);
  const data = fillBuckets(props.summary).map(b => ({ ...b, label: bucketLabel(b.bucket, span) }));
  const empty = data.every(b => SEVERITY_ORDER.every(s => !b[s]));
  return (
    <ChartCard title="Alerts over time" subheader={`Alerts per ${span <= 2 * DAY ? 'hour' : 'day'} by severity, when first seen`} testId="chart-alerts-over-time" empty={empty}
      emptyText="No detections in this time range.">
      <ResponsiveContainer width="100%" height={280}>
        <BarChart data={data}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" minTickGap={16} />
          <YAxis allowDecimals={false} />
          <Tooltip itemSorter={(item: any) => SEVERITY_ORDER.indexOf(item.dataKey)} />
          <Legend itemSorter={(item: any) => SEVERITY_ORDER.indexOf(item.dataKey)} />
          {[...SEVERITY_ORDER].reverse().map((s: Severity) => (
            <Bar key={s} dataKey={s} name={SEVERITY_LABEL[s]} stackId="severity" fill={SEVERITY_COLORS[s]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

/** One horizontal bar chart of the dashboard: a category per row, one or more (stacked) bars. */
function HorizontalBars<T extends Record<string, unknown>>(props: {
  data: T[];
  categoryKey: keyof T & string;
  categoryWidth: number;
  bars: Array<{ dataKey: keyof T & string; name: string; color: string; stack?: boolean }>;
  rowHeight?: number;
  legend?: boolean;
  tickFormatter?: (v: number) => string;
  tooltipFormatter?: (value: any, name: any, item: any) => any;
  /** The full name of a row, when the axis shows it shortened. */
  fullLabel?: (row: T) => string;
  onBarClick?: (row: T) => void;
}) {
  const rowHeight = props.rowHeight ?? 30;
  return (
    <ResponsiveContainer width="100%" height={Math.max(160, props.data.length * rowHeight + (props.legend ? 60 : 40))}>
      <BarChart data={props.data} layout="vertical" margin={{ left: 8, right: 16 }}>
        <XAxis type="number" allowDecimals={false} tickFormatter={props.tickFormatter} />
        <YAxis type="category" dataKey={props.categoryKey as string} width={props.categoryWidth} tick={{ fontSize: 12 }} />
        <Tooltip
          formatter={props.tooltipFormatter}
          labelFormatter={(label: any, payload: any) => (props.fullLabel && payload?.[0]?.payload ? props.fullLabel(payload[0].payload) : label)}
        />
        {props.legend && <Legend itemSorter={(item: any) => props.bars.findIndex(b => b.dataKey === item.dataKey)} />}
        {props.bars.map(bar => (
          <Bar key={bar.dataKey} dataKey={bar.dataKey as string} name={bar.name} fill={bar.color} stackId={bar.stack ? 'stack' : undefined}
            isAnimationActive={false} cursor={props.onBarClick ? 'pointer' : undefined}
            onClick={props.onBarClick ? (d: any) => d?.payload && props.onBarClick!(d.payload as T) : undefined} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}

/** Open alerts by rule; clicking a bar filters the queue by that rule. */
export function OpenAlertsByRuleChart(props: { summary: DashboardSummary; onRule?: (rule: string) => void }) {
  const data = props.summary.openAlertsByRule.slice(0, 10).map(r => ({ ...r, label: truncate(r.title, 34) }));
  return (
    <ChartCard title="Open alerts by rule" subheader="Click a bar to see those alerts in the queue" testId="chart-open-by-rule"
      empty={data.length === 0} emptyText="No open alerts.">
      <HorizontalBars data={data} categoryKey="label" categoryWidth={220} rowHeight={34} fullLabel={r => r.title}
        bars={[{ dataKey: 'count', name: 'Open alerts', color: NEUTRAL }]}
        onBarClick={props.onRule ? r => props.onRule!(r.rule) : undefined} />
    </ChartCard>
  );
}

/** Successful and failed sign-ins per country. */
export function SignInsByCountryChart(props: { summary: DashboardSummary }) {
  const data = props.summary.signInsByCountry.slice(0, 12);
  return (
    <ChartCard title="Sign-ins by country" subheader="Entra ID sign-ins, by result" testId="chart-signins-by-country"
      empty={data.length === 0} emptyText="No sign-ins in this time range.">
      <HorizontalBars data={data} categoryKey="country" categoryWidth={70} legend
        bars={[{ dataKey: 'success', name: 'Succeeded', color: SUCCESS, stack: true }, { dataKey: 'failure', name: 'Failed', color: FAILURE, stack: true }]} />
    </ChartCard>
  );
}

/** Denied egress per destination (firewall and Hubble). */
export function EgressDeniesChart(props: { summary: DashboardSummary }) {
  const data = props.summary.egressDeniesByDestination.slice(0, 10).map(d => ({ ...d, label: truncate(d.destination, 30) }));
  return (
    <ChartCard title="Egress denies by destination" subheader="Azure Firewall and Cilium Hubble" testId="chart-egress-denies"
      empty={data.length === 0} emptyText="No denied egress in this time range.">
      <HorizontalBars data={data} categoryKey="label" categoryWidth={200} fullLabel={d => d.destination}
        bars={[{ dataKey: 'count', name: 'Denied connections', color: FAILURE }]} />
    </ChartCard>
  );
}

/**
 * Bytes read from weight stores per principal: people by display name, linked to their catalog
 * page when the backend matched the log's name (UPN, object id) to a catalog user; the others as
 * the logs name them. An HTML list (like the top lists) so names can be links.
 */
export function WeightReadsChart(props: { summary: DashboardSummary }) {
  const rows = props.summary.weightReadsByPrincipal.slice(0, 10).map(d => ({
    key: d.principal,
    value: d.bytes,
    valueLabel: `${formatBytes(d.bytes)} in ${d.reads.toLocaleString('en-US')} ${d.reads === 1 ? 'read' : 'reads'}`,
    label: <PrincipalName principal={d.principal} principalRef={d.principalRef} />,
  }));
  return (
    <TopList title="Weight-store reads by principal" subheader="Bytes read from weight stores" testId="chart-weight-reads" unit="byte"
      emptyText="No weight-store reads in this time range." rows={rows} color={NEUTRAL} />
  );
}

/** A top-N list as horizontal bars in HTML, so names are links with display names. */
export function TopList(props: {
  title: string;
  subheader?: string;
  testId: string;
  emptyText: string;
  /** valueLabel: what the number means, when "<value> <unit>s" would not say it */
  rows: Array<{ key: string; label: ReactNode; value: number; valueLabel?: string }>;
  unit: string;
  /** the bars' colour (default: the high-severity colour, for alert counts) */
  color?: string;
}) {
  const max = Math.max(1, ...props.rows.map(r => r.value));
  return (
    <ChartCard title={props.title} subheader={props.subheader} testId={props.testId} empty={props.rows.length === 0} emptyText={props.emptyText}>
      <Box component="ol" p={0} m={0} style={{ listStyle: 'none' }}>
        {props.rows.map(r => (
          <Box component="li" key={r.key} mb={1.5} data-testid={`${props.testId}-row`}>
            <Box display="flex" justifyContent="space-between">
              <Typography variant="body2" component="span" noWrap style={{ maxWidth: '75%' }}>{r.label}</Typography>
              <Typography variant="body2" component="span" color="textSecondary">
                {r.valueLabel ?? `${r.value.toLocaleString('en-US')} ${r.value === 1 ? props.unit : `${props.unit}s`}`}
              </Typography>
            </Box>
            <Box height={8} borderRadius={4} bgcolor="action.hover" mt={0.5}>
              <Box height={8} borderRadius={4} bgcolor={props.color ?? SEVERITY_COLORS.high} style={{ width: `${(r.value / max) * 100}%`, opacity: 0.8 }} />
            </Box>
          </Box>
        ))}
      </Box>
    </ChartCard>
  );
}
