import { useState } from 'react';
import { Link, Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import { Box, Button, Chip, MenuItem, TextField, Tooltip, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { AuditEvent, AuditEventsQuery, AuditSeverity } from '@internal/plugin-audit-common';
import { auditApiRef } from '../api';
import { download, eventsToCsv } from '../exportEvents';

export const SEVERITY_COLORS: Record<AuditSeverity, string> = {
  critical: '#7f0000',
  high: '#b71c1c',
  medium: '#ed6c02',
  low: '#607d8b',
};

const OUTCOME_LABEL: Record<string, string> = { succeeded: 'succeeded', failed: 'refused / failed', initiated: 'started' };

/** The entity an event concerns, from its meta (resourceRef, entityRef, userRef, target). */
export function eventEntity(e: Pick<AuditEvent, 'meta'>): string | undefined {
  const m = (e.meta ?? {}) as Record<string, unknown>;
  for (const k of ['resourceRef', 'entityRef', 'userRef', 'requester']) {
    const v = m[k];
    if (typeof v === 'string' && /^[a-z]+:[^/]+\/.+/i.test(v)) return v;
  }
  return undefined;
}

/** The filters of the audit page, as the backend query takes them. */
export type AuditFilters = Pick<AuditEventsQuery, 'actor' | 'eventId' | 'pluginId' | 'severity' | 'status' | 'from' | 'to' | 'entityRef'>;

function clean(filters: AuditFilters): AuditFilters {
  const out: AuditFilters = {};
  for (const [k, v] of Object.entries(filters)) if (v) (out as any)[k] = v;
  return out;
}

const EXPORT_MAX = 5000;

/** Search, filter, page (newest first, 50 per page) and export the audit trail. */
export function AuditEventsView(props: { fixed?: AuditFilters; title?: string; showFilters?: boolean }) {
  const api = useApi(auditApiRef);
  const [draft, setDraft] = useState<AuditFilters>({});
  const [filters, setFilters] = useState<AuditFilters>({});
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const [exporting, setExporting] = useState<string>();
  const query = clean({ ...filters, ...props.fixed });
  const before = cursors[cursors.length - 1];
  const page = useAsyncRetry(
    () => api.listEvents({ ...query, limit: 50, ...(before !== undefined ? { before } : {}) }),
    [api, JSON.stringify(query), before],
  );

  const apply = () => {
    setFilters(draft);
    setCursors([undefined]);
  };

  const exportAs = async (format: 'csv' | 'json') => {
    setExporting(undefined);
    const all: AuditEvent[] = [];
    let cursor: number | undefined;
    do {
      const p = await api.listEvents({ ...query, limit: 500, ...(cursor !== undefined ? { before: cursor } : {}) });
      all.push(...p.items);
      cursor = p.nextCursor?.before;
    } while (cursor !== undefined && all.length < EXPORT_MAX);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    if (format === 'csv') download(`audit-${stamp}.csv`, eventsToCsv(all), 'text/csv');
    else download(`audit-${stamp}.json`, `${JSON.stringify({ query, exportedAt: new Date().toISOString(), items: all }, null, 2)}\n`, 'application/json');
    setExporting(`Exported ${all.length} event${all.length === 1 ? '' : 's'}${all.length >= EXPORT_MAX ? ` (the first ${EXPORT_MAX}; narrow the filters for more)` : ''}.`);
  };

  const columns: TableColumn<AuditEvent>[] = [
    { title: 'When', field: 'occurredAt', render: e => <Tooltip title={e.occurredAt}><span>{new Date(e.occurredAt).toLocaleString()}</span></Tooltip> },
    {
      title: 'Actor',
      field: 'actor',
      render: e => (e.actor?.startsWith('user:') ? <EntityDisplayName entityRef={e.actor} hideIcon /> : e.actor ?? 'anonymous'),
    },
    { title: 'Plugin', field: 'pluginId' },
    { title: 'Event', field: 'eventId', render: e => e.eventId.replace(/-/g, ' ') },
    {
      title: 'Severity',
      field: 'severity',
      render: e => <Chip size="small" label={e.severity} style={{ backgroundColor: SEVERITY_COLORS[e.severity], color: '#fff' }} data-testid="audit-severity" />,
    },
    {
      title: 'Outcome',
      field: 'status',
      render: e => <span data-testid="audit-outcome" data-status={e.status}>{OUTCOME_LABEL[e.status] ?? e.status}{e.error ? `: ${e.error.message}` : ''}</span>,
    },
    {
      title: 'Concerns',
      render: e => {
        const ref = eventEntity(e);
        return ref ? <EntityDisplayName entityRef={ref} hideIcon /> : '—';
      },
    },
    {
      title: 'Details',
      render: e =>
        e.meta ? (
          <Box component="code" style={{ fontSize: 12, wordBreak: 'break-word', display: 'block', maxWidth: 420 }}>
            {JSON.stringify(e.meta).slice(0, 300)}
          </Box>
        ) : (
          '—'
        ),
    },
  ];

  const items = page.value?.items ?? [];
  const showFilters = props.showFilters ?? true;
  return (
    <Box data-testid="audit-events">
      {showFilters && (
        <Box
          component="form"
          display="flex"
          flexWrap="wrap"
          alignItems="flex-end"
          style={{ gap: 12 }}
          mb={2}
          onSubmit={(e: any) => {
            e.preventDefault();
            apply();
          }}
        >
          <TextField label="Actor (entity ref)" placeholder="user:default/alice" value={draft.actor ?? ''} onChange={e => setDraft(d => ({ ...d, actor: e.target.value.trim() }))} inputProps={{ 'data-testid': 'filter-actor' }} />
          <TextField label="Event" placeholder="request-deny" value={draft.eventId ?? ''} onChange={e => setDraft(d => ({ ...d, eventId: e.target.value.trim() }))} inputProps={{ 'data-testid': 'filter-event' }} />
          <TextField label="Plugin" placeholder="access-requests" value={draft.pluginId ?? ''} onChange={e => setDraft(d => ({ ...d, pluginId: e.target.value.trim() }))} />
          {!props.fixed?.entityRef && (
            <TextField label="Entity" placeholder="resource:default/…" value={draft.entityRef ?? ''} onChange={e => setDraft(d => ({ ...d, entityRef: e.target.value.trim() }))} inputProps={{ 'data-testid': 'filter-entity' }} />
          )}
          <TextField select label="Severity" style={{ minWidth: 120 }} value={draft.severity ?? ''} onChange={e => setDraft(d => ({ ...d, severity: (e.target.value || undefined) as AuditSeverity | undefined }))} SelectProps={{ SelectDisplayProps: { 'data-testid': 'filter-severity' } as any }}>
            <MenuItem value="">any</MenuItem>
            {(['critical', 'high', 'medium', 'low'] as const).map(s => (
              <MenuItem key={s} value={s}>{s}</MenuItem>
            ))}
          </TextField>
          <TextField select label="Outcome" style={{ minWidth: 150 }} value={draft.status ?? ''} onChange={e => setDraft(d => ({ ...d, status: (e.target.value || undefined) as AuditFilters['status'] }))} SelectProps={{ SelectDisplayProps: { 'data-testid': 'filter-outcome' } as any }}>
            <MenuItem value="">any</MenuItem>
            <MenuItem value="succeeded">succeeded</MenuItem>
            <MenuItem value="failed">refused / failed</MenuItem>
            <MenuItem value="initiated">started</MenuItem>
          </TextField>
          <TextField label="From" type="datetime-local" InputLabelProps={{ shrink: true }} onChange={e => setDraft(d => ({ ...d, from: e.target.value ? new Date(e.target.value).toISOString() : undefined }))} />
          <TextField label="To" type="datetime-local" InputLabelProps={{ shrink: true }} onChange={e => setDraft(d => ({ ...d, to: e.target.value ? new Date(e.target.value).toISOString() : undefined }))} />
          <Button type="submit" variant="contained" color="primary">Apply filters</Button>
        </Box>
      )}
      <Box display="flex" style={{ gap: 8 }} mb={1} alignItems="center">
        <Button variant="outlined" size="small" onClick={() => exportAs('csv')} data-testid="export-csv">Export CSV</Button>
        <Button variant="outlined" size="small" onClick={() => exportAs('json')} data-testid="export-json">Export JSON</Button>
        {exporting && <Typography variant="body2" data-testid="export-result">{exporting}</Typography>}
      </Box>
      {page.error && (
        <Alert severity="error" action={<Button onClick={page.retry}>Retry</Button>}>
          The audit trail could not be loaded{(page.error as any)?.response?.status === 400 ? ': check the filters.' : '. Try again in a moment.'}
        </Alert>
      )}
      <Table<AuditEvent>
        title={props.title ?? 'Audit events'}
        isLoading={page.loading}
        options={{ paging: false, search: false, padding: 'dense', sorting: false }}
        columns={columns}
        data={items}
        emptyContent={<Box p={2}><Typography variant="body2">No audit event matches these filters. Widen the time range or clear a filter.</Typography></Box>}
      />
      <Box display="flex" style={{ gap: 8 }} mt={1} alignItems="center">
        <Button size="small" disabled={cursors.length <= 1} onClick={() => setCursors(c => c.slice(0, -1))}>Newer</Button>
        <Typography variant="body2" data-testid="audit-page-number">Page {cursors.length}</Typography>
        <Button size="small" disabled={!page.value?.nextCursor?.before} onClick={() => setCursors(c => [...c, page.value?.nextCursor?.before])} data-testid="audit-older">Older</Button>
      </Box>
    </Box>
  );
}

export { Link };
