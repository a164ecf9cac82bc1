import { useEffect, useState } from 'react';
import { Link, Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import { Box, Button, Chip, MenuItem, TextField, Tooltip, Typography } from '@material-ui/core';
import { Alert as MuiAlert } from '@material-ui/lab';
import { Alert, AlertStatus, detectionsApiRef, Severity } from '../api';
import {
  describeError,
  formatAbsolute,
  formatTime,
  LogName,
  PrincipalName,
  ResourceName,
  SEVERITY_LABEL,
  SEVERITY_ORDER,
  SeverityChip,
  STATUS_LABEL,
  StatusChip,
  useAlertLink,
} from './common';
import { alertsToCsv, EXPORT_MAX, fetchAllAlerts, saveFile } from './exportAlerts';

export interface AlertFilters {
  status: AlertStatus[];
  severity: Severity[];
  rule?: string;
  q?: string;
}

export const OPEN_STATUSES: AlertStatus[] = ['new', 'acknowledged'];
export const DEFAULT_FILTERS: AlertFilters = { status: OPEN_STATUSES, severity: [] };
const PAGE_SIZE = 50;

type StatusChoice = 'open' | 'new' | 'acknowledged' | 'closed' | 'all';
const STATUS_CHOICES: Array<{ id: StatusChoice; label: string; statuses: AlertStatus[] }> = [
  { id: 'open', label: 'Open (new or acknowledged)', statuses: ['new', 'acknowledged'] },
  { id: 'new', label: 'New', statuses: ['new'] },
  { id: 'acknowledged', label: 'Acknowledged', statuses: ['acknowledged'] },
  { id: 'closed', label: 'Closed', statuses: ['closed'] },
  { id: 'all', label: 'All', statuses: [] },
];

function statusChoice(statuses: AlertStatus[]): StatusChoice {
  const key = [...statuses].sort().join(',');
  return STATUS_CHOICES.find(c => [...c.statuses].sort().join(',') === key)?.id ?? 'all';
}

/**
 * The alert queue: a Backstage Table, newest activity first, filters applied on the server and
 * keyset paging ("Load more"). `entityRef` fixes it to the alerts of one entity.
 */
export function AlertsTable(props: {
  title?: string;
  entityRef?: string;
  filters: AlertFilters;
  onFiltersChange?: (f: AlertFilters) => void;
  ruleTitles?: Record<string, string>;
  emptyContent?: React.ReactNode;
}) {
  const api = useApi(detectionsApiRef);
  const alertLink = useAlertLink();
  const { filters } = props;
  const [items, setItems] = useState<Alert[]>([]);
  const [nextCursor, setNextCursor] = useState<string>();
  const [total, setTotal] = useState<number>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const [search, setSearch] = useState(filters.q ?? '');

  const query = {
    status: filters.status.length ? filters.status : undefined,
    severity: filters.severity.length ? filters.severity : undefined,
    rule: filters.rule || undefined,
    q: filters.q || undefined,
    entityRef: props.entityRef,
    limit: PAGE_SIZE,
  };
  const queryKey = JSON.stringify(query);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setError(undefined);
    api.listAlerts(JSON.parse(queryKey)).then(
      page => {
        if (cancelled) return;
        setItems(page.items);
        setNextCursor(page.nextCursor);
        setTotal(page.totalCount);
        setLoading(false);
      },
      e => {
        if (cancelled) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, queryKey, attempt]);

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoading(true);
    try {
      const page = await api.listAlerts({ ...JSON.parse(queryKey), cursor: nextCursor });
      setItems(prev => [...prev, ...page.items.filter(a => !prev.some(p => p.id === a.id))]);
      setNextCursor(page.nextCursor);
      setTotal(page.totalCount);
      setError(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  const change = (f: Partial<AlertFilters>) => props.onFiltersChange?.({ ...filters, ...f });

  // export: every alert the current filters match, not only the loaded pages
  const [exported, setExported] = useState<{ ok: boolean; text: string }>();
  const [exporting, setExporting] = useState(false);
  const exportAs = async (format: 'csv' | 'json') => {
    setExporting(true);
    setExported(undefined);
    try {
      const { limit: _limit, ...filter } = JSON.parse(queryKey);
      const { items: all, truncated } = await fetchAllAlerts(api, filter);
      const exportedAt = new Date().toISOString();
      const name = `alerts-${exportedAt.replace(/[:.]/g, '-')}.${format}`;
      if (format === 'csv') saveFile(name, alertsToCsv(all), 'text/csv');
      else saveFile(name, `${JSON.stringify({ filters: filter, exportedAt, items: all }, null, 2)}\n`, 'application/json');
      const n = `${all.length.toLocaleString('en-US')} alert${all.length === 1 ? '' : 's'}`;
      setExported({ ok: true, text: `Exported ${n} matching the filters${truncated ? ` (the first ${EXPORT_MAX.toLocaleString('en-US')}; narrow the filters for the rest)` : ''}.` });
    } catch (e) {
      setExported({ ok: false, text: `The export failed. ${describeError(e)}` });
    } finally {
      setExporting(false);
    }
  };
  const exportButtons = (
    <Box display="flex" alignItems="center" style={{ gap: 8, marginLeft: 'auto' }}>
      <Button variant="outlined" size="small" disabled={exporting} onClick={() => exportAs('csv')} data-testid="export-csv">Export CSV</Button>
      <Button variant="outlined" size="small" disabled={exporting} onClick={() => exportAs('json')} data-testid="export-json">Export JSON</Button>
    </Box>
  );

  const columns: TableColumn<Alert>[] = [
    {
      title: 'Severity',
      field: 'severity',
      width: '110px',
      customSort: (a, b) => SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity),
      render: a => <SeverityChip severity={a.severity} />,
    },
    {
      title: 'Alert',
      field: 'title',
      highlight: true,
      width: '28%',
      render: a => (
        <Link to={alertLink(a.id)} data-testid="alert-link">
          {a.title}
        </Link>
      ),
    },
    {
      title: 'Principal',
      field: 'principal',
      render: a => (
        <span style={{ overflowWrap: 'break-word' }}>
          <PrincipalName principal={a.principal} principalRef={a.principalRef} />
          {a.principalRef && <LogName value={a.principal} block />}
        </span>
      ),
    },
    {
      title: 'Resource',
      field: 'resource',
      render: a => (
        <span style={{ overflowWrap: 'break-word' }}>
          <ResourceName resource={a.resource} resourceRef={a.resourceRef} />
          {a.resourceRef && <LogName value={a.resource} block />}
        </span>
      ),
    },
    { title: 'Count', field: 'count', type: 'numeric', width: '80px' },
    {
      title: 'Last seen',
      field: 'lastSeen',
      defaultSort: 'desc',
      render: a => (
        <Tooltip title={formatAbsolute(a.lastSeen)}>
          <span>{formatTime(a.lastSeen).split(', at')[0]}</span>
        </Tooltip>
      ),
    },
    { title: 'Status', field: 'status', render: a => <StatusChip status={a.status} closeReason={a.closeReason} /> },
    {
      title: 'Assignee',
      field: 'assignee',
      render: a => (a.assignee ? <EntityDisplayName entityRef={a.assignee} hideIcon /> : <Typography variant="body2" color="textSecondary">Unassigned</Typography>),
    },
  ];

  const filtered = filters.status.join() !== OPEN_STATUSES.join() || filters.severity.length > 0 || !!filters.rule || !!filters.q;

  return (
    <Box data-testid="alert-queue">
      {props.onFiltersChange && (
        <Box display="flex" flexWrap="wrap" alignItems="center" mb={2} style={{ gap: 16 }}>
          <TextField select label="Status" value={statusChoice(filters.status)} style={{ minWidth: 220 }}
            onChange={e => change({ status: STATUS_CHOICES.find(c => c.id === e.target.value)!.statuses })}
            SelectProps={{ SelectDisplayProps: { 'data-testid': 'filter-status' } as any }}>
            {STATUS_CHOICES.map(c => <MenuItem key={c.id} value={c.id}>{c.label}</MenuItem>)}
          </TextField>
          <TextField select label="Severity" value={filters.severity} style={{ minWidth: 200 }}
            SelectProps={{ multiple: true, renderValue: v => ((v as Severity[]).length ? (v as Severity[]).map(s => SEVERITY_LABEL[s]).join(', ') : 'Any'), displayEmpty: true, SelectDisplayProps: { 'data-testid': 'filter-severity' } as any }}
            InputLabelProps={{ shrink: true }}
            onChange={e => change({ severity: e.target.value as unknown as Severity[] })}>
            {SEVERITY_ORDER.map(s => <MenuItem key={s} value={s}>{SEVERITY_LABEL[s]}</MenuItem>)}
          </TextField>
          <form onSubmit={e => { e.preventDefault(); change({ q: search.trim() || undefined }); }}>
            <TextField label="Search" placeholder="Title, principal or resource" value={search}
              onChange={e => setSearch(e.target.value)} onBlur={() => search.trim() !== (filters.q ?? '') && change({ q: search.trim() || undefined })}
              inputProps={{ maxLength: 200, 'data-testid': 'filter-search' }} style={{ minWidth: 260 }} />
          </form>
          {filters.rule && (
            <Chip label={`Rule: ${props.ruleTitles?.[filters.rule] ?? filters.rule}`} onDelete={() => change({ rule: undefined })} data-testid="filter-rule" />
          )}
          {filtered && (
            <Button size="small" onClick={() => { setSearch(''); props.onFiltersChange?.(DEFAULT_FILTERS); }}>Reset filters</Button>
          )}
          {exportButtons}
        </Box>
      )}
      {!props.onFiltersChange && <Box display="flex" mb={1}>{exportButtons}</Box>}
      {exported && (
        <MuiAlert severity={exported.ok ? 'success' : 'error'} onClose={() => setExported(undefined)} data-testid="export-result" style={{ marginBottom: 8 }}>
          {exported.text}
        </MuiAlert>
      )}
      {error !== undefined && (
        <MuiAlert severity="error" action={<Button color="inherit" size="small" onClick={() => setAttempt(n => n + 1)}>Retry</Button>} data-testid="queue-error">
          The alerts could not be loaded. {describeError(error)}
        </MuiAlert>
      )}
      <Table<Alert>
        title={props.title ?? 'Alert queue'}
        subtitle={total !== undefined ? `${items.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} shown, newest activity first` : undefined}
        isLoading={loading}
        columns={columns}
        data={items}
        options={{ paging: false, search: false, padding: 'dense', draggable: false }}
        emptyContent={
          props.emptyContent ?? (
            <Box p={3} data-testid="queue-empty">
              <Typography>
                {filtered
                  ? 'No alert matches these filters. Reset the filters to see the whole queue.'
                  : `No open alerts. ${STATUS_LABEL.closed} alerts are under the status filter "Closed".`}
              </Typography>
            </Box>
          )
        }
      />
      {nextCursor && (
        <Box mt={1} display="flex" justifyContent="center">
          <Button variant="outlined" onClick={loadMore} disabled={loading} data-testid="load-more">
            Load {PAGE_SIZE} more
          </Button>
        </Box>
      )}
    </Box>
  );
}
