import { ReactNode, useEffect, useState } from 'react';
import { CodeSnippet, Content, InfoCard, Link, LinkButton, Page, Progress, Table, TableColumn } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { EntityDisplayName, EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, Grid, Tooltip, Typography } from '@material-ui/core';
import { Alert as MuiAlert, Timeline, TimelineConnector, TimelineContent, TimelineDot, TimelineItem, TimelineOppositeContent, TimelineSeparator } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useAsync from 'react-use/esm/useAsync';
import { useParams } from 'react-router-dom';
import { Alert, AlertHistoryEntry, CloseReason, detectionsAlertReadPermission, detectionsApiRef, StoredEvent } from '../api';
import { rootRouteRef } from '../routes';
import { AlertActions } from './AlertActions';
import {
  ActorName,
  Breakable,
  CLOSE_REASON_LABEL,
  DetectionsHeader,
  describeError,
  FieldList,
  ForbiddenPanel,
  formatAbsolute,
  formatBytes,
  formatSpan,
  formatTime,
  LoadFailure,
  LogName,
  PrincipalName,
  ResourceName,
  SEVERITY_LABEL,
  SeverityChip,
  SOURCE_LABEL,
  StatusChip,
  useEventLink,
} from './common';

const ACRONYMS: Record<string, string> = { ip: 'IP', ips: 'IPs', upn: 'UPN', id: 'ID', uid: 'UID', mfa: 'MFA', url: 'URL', sas: 'SAS', kql: 'KQL', ocsf: 'OCSF' };

/** "bytesRead" → "Bytes read", "srcIp" → "Src IP". */
export function humanKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLocaleLowerCase('en-US')
    .split(/\s+/)
    .map(w => ACRONYMS[w] ?? w)
    .join(' ');
  return words.charAt(0).toLocaleUpperCase('en-US') + words.slice(1);
}

/** A detail value in words: bytes as sizes, times as dates, lists joined. */
export function detailValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number' && /bytes/i.test(key)) return formatBytes(value);
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) return formatAbsolute(value);
  if (Array.isArray(value)) return value.map(v => detailValue(key, v)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** What happened, in sentences: who, what, where, how often, since when. */
export function AlertSummary(props: { alert: Alert; ruleDescription?: string }) {
  const a = props.alert;
  const span = Date.parse(a.lastSeen) - Date.parse(a.firstSeen);
  const details = Object.entries(a.details ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return (
    <Box data-testid="alert-summary">
      <Typography variant="body1" paragraph>
        The rule “{a.title}” fired {a.count === 1 ? 'once' : `${a.count.toLocaleString('en-US')} times`} for{' '}
        <strong><PrincipalName principal={a.principal} principalRef={a.principalRef} /></strong>
        {a.principalRef && <LogName value={a.principal} />} on{' '}
        <strong><ResourceName resource={a.resource} resourceRef={a.resourceRef} /></strong>
        {a.resourceRef && <LogName value={a.resource} />}
        {a.count === 1 || span <= 0
          ? `, ${formatTime(a.lastSeen)}.`
          : ` over ${formatSpan(span)}: first ${formatAbsolute(a.firstSeen)}, last ${formatTime(a.lastSeen)}.`}
      </Typography>
      {props.ruleDescription && (
        <Typography variant="body2" color="textSecondary" paragraph>
          What the rule looks for: {props.ruleDescription}
        </Typography>
      )}
      {details.length > 0 && <FieldList testId="alert-details" rows={details.map(([k, v]) => [humanKey(k), detailValue(k, v)])} />}
    </Box>
  );
}

const ACTION_TEXT: Record<AlertHistoryEntry['action'], string> = {
  opened: 'opened the alert',
  updated: 'added detections',
  acknowledged: 'acknowledged it',
  assigned: 'assigned it',
  noted: 'added a note',
  closed: 'closed it',
  reopened: 'reopened it',
  'grants-revoked': 'revoked access',
};

const ENTITY_REF = /^[a-z][a-z0-9-]*:[^/\s]+\/\S+$/i;
const REASON_BY_WORDS: Record<string, CloseReason> = {
  'true positive': 'true_positive',
  'benign positive': 'benign_positive',
  'false positive': 'false_positive',
};

/**
 * One history entry in words. The backend's comments carry machine parts for some actions
 * ("assigned to user:default/x", "true positive: …", "<grant ids> (1 of 1): …"): those become
 * names and words, and only what a person wrote is shown as the comment.
 */
export function describeHistory(h: AlertHistoryEntry): { what: ReactNode; comment?: string } {
  const comment = h.comment;
  switch (h.action) {
    case 'assigned': {
      const ref = comment?.match(/^assigned to (\S+)$/)?.[1];
      if (ref && ENTITY_REF.test(ref)) return { what: <>assigned it to <EntityDisplayName entityRef={ref} hideIcon /></> };
      return { what: 'assigned it', comment };
    }
    case 'closed': {
      const m = comment?.match(/^(true positive|benign positive|false positive): ([\s\S]*)$/);
      if (m) return { what: `closed it as ${CLOSE_REASON_LABEL[REASON_BY_WORDS[m[1]]].toLocaleLowerCase('en-US')}`, comment: m[2] };
      return { what: 'closed it', comment };
    }
    case 'grants-revoked': {
      const m = comment?.match(/^[^()]*\((\d+) of (\d+)\): ([\s\S]*)$/);
      if (m) return { what: `revoked ${m[1] === '1' ? '1 grant' : `${m[1]} grants`}${m[1] !== m[2] ? ` of ${m[2]}` : ''}`, comment: m[3] };
      return { what: 'revoked access', comment };
    }
    default:
      return { what: ACTION_TEXT[h.action] ?? h.action, comment };
  }
}

const DOT_COLOR: Partial<Record<AlertHistoryEntry['action'], 'primary' | 'secondary'>> = { opened: 'primary', closed: 'secondary', 'grants-revoked': 'secondary' };

/** The alert's history, oldest first, as a timeline. */
export function HistoryTimeline(props: { alert: Alert }) {
  const entries = props.alert.history;
  if (entries.length === 0) return <Typography variant="body2" color="textSecondary">No history yet.</Typography>;
  return (
    <Timeline align="left" style={{ padding: 0 }} data-testid="alert-history">
      {entries.map((h, i) => {
        const { what, comment } = describeHistory(h);
        return (
          <TimelineItem key={`${h.at}-${i}`} data-testid={`history-${h.action}`}>
            <TimelineOppositeContent style={{ flex: '0 0 120px' }}>
              <Tooltip title={formatAbsolute(h.at)}>
                <Typography variant="caption" color="textSecondary">{formatTime(h.at).split(', at')[0]}</Typography>
              </Tooltip>
            </TimelineOppositeContent>
            <TimelineSeparator>
              <TimelineDot color={DOT_COLOR[h.action] ?? 'grey'} />
              {i < entries.length - 1 && <TimelineConnector />}
            </TimelineSeparator>
            <TimelineContent>
              <Typography variant="body2">
                <ActorName actor={h.actor} /> {what}
              </Typography>
              {comment && (
                <Typography variant="body2" color="textSecondary" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                  “{comment}”
                </Typography>
              )}
            </TimelineContent>
          </TimelineItem>
        );
      })}
    </Timeline>
  );
}

/** The original record of one event, fetched when its row is expanded. */
function OriginalRecord(props: { id: string }) {
  const api = useApi(detectionsApiRef);
  const event = useAsyncRetry(() => api.getEvent(props.id), [api, props.id]);
  return (
    <Box p={2} data-testid="event-raw">
      {event.loading && <Progress />}
      {event.error && (
        <MuiAlert severity="error" action={<Button size="small" color="inherit" onClick={event.retry}>Retry</Button>}>
          The original record could not be loaded. {describeError(event.error)}
        </MuiAlert>
      )}
      {event.value && <CodeSnippet language="json" text={JSON.stringify(event.value.raw ?? null, null, 2)} showCopyCodeButton />}
    </Box>
  );
}

/** "7 Dec 11:58:04" (UTC), for tables where the year and zone are in the header or tooltip. */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const day = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return `${day} ${d.toISOString().slice(11, 19)}`;
}

/** The resource of an event: the blob's file name (full key in a tooltip), else the resource name. */
function EventResourceCell(props: { event: StoredEvent }) {
  const r = props.event.resource;
  if (!r) return <>—</>;
  const full = r.objectKey && !r.name.endsWith(r.objectKey) ? `${r.name}/${r.objectKey}` : r.name;
  const short = r.objectKey ? r.objectKey.split('/').filter(Boolean).pop() ?? r.objectKey : r.name;
  return (
    <Tooltip title={full}>
      <span data-testid="event-resource"><Breakable text={short} /></span>
    </Tooltip>
  );
}

const OUTCOME_WORD: Record<StoredEvent['outcome'], string> = { success: 'succeeded', failure: 'failed', unknown: 'unknown' };

/** One line about what the actor did, for the events table. */
export function eventWhere(e: StoredEvent): string {
  const parts: string[] = [];
  if (e.src?.ip) parts.push(`from ${e.src.ip}${e.src.country ? ` (${[e.src.city, e.src.country].filter(Boolean).join(', ')})` : ''}`);
  if (e.dst?.host || e.dst?.ip) parts.push(`to ${e.dst.host ?? e.dst.ip}${e.dst.port ? `:${e.dst.port}` : ''}`);
  return parts.join(' ');
}

/** The events behind an alert: a table, each row expandable to the original record. */
export function AlertEvents(props: { alertId: string }) {
  const api = useApi(detectionsApiRef);
  const eventLink = useEventLink();
  const [items, setItems] = useState<StoredEvent[]>([]);
  const [cursor, setCursor] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setError(undefined);
    api.listAlertEvents(props.alertId, { limit: 50 }).then(
      p => { if (!cancelled) { setItems(p.items); setCursor(p.nextCursor); setLoading(false); } },
      e => { if (!cancelled) { setError(e); setLoading(false); } },
    );
    return () => { cancelled = true; };
  }, [api, props.alertId, attempt]);
  const more = async () => {
    setLoading(true);
    try {
      const p = await api.listAlertEvents(props.alertId, { limit: 50, cursor });
      setItems(prev => [...prev, ...p.items]);
      setCursor(p.nextCursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  // widths: the time as narrow as its text; an e-mail, a file name and an address get room for one line
  const columns: TableColumn<StoredEvent>[] = [
    {
      title: 'Time (UTC)',
      width: '1%',
      field: 'time',
      defaultSort: 'asc',
      render: e => (
        <Tooltip title={formatAbsolute(e.time)}>
          <Link to={eventLink(e.id)} data-testid="event-link" style={{ whiteSpace: 'nowrap' }}>{shortTime(e.time)}</Link>
        </Tooltip>
      ),
    },
    { title: 'Source', field: 'source', render: e => SOURCE_LABEL[e.source] ?? e.source },
    {
      title: 'Activity',
      field: 'activity',
      render: e => (
        <>
          <Breakable text={e.activity} />
          <Typography variant="caption" color="textSecondary" display="block">{OUTCOME_WORD[e.outcome] ?? e.outcome}</Typography>
        </>
      ),
    },
    { title: 'Actor', cellStyle: { minWidth: 230 }, render: e => <Breakable text={e.actor.upn ?? e.actor.name ?? e.actor.uid ?? e.actor.type} /> },
    { title: 'Resource', cellStyle: { minWidth: 240 }, render: e => <EventResourceCell event={e} /> },
    // an address wraps at its spaces only ("from 203.0.113.14 (London, GB)")
    { title: 'Where', cellStyle: { wordBreak: 'normal', overflowWrap: 'normal' }, render: e => eventWhere(e) || '—' },
    { title: 'Bytes', field: 'bytes', type: 'numeric', render: e => <span style={{ whiteSpace: 'nowrap' }}>{e.bytes !== undefined ? formatBytes(e.bytes) : '—'}</span> },
  ];
  return (
    <Box data-testid="alert-events">
      {error !== undefined && (
        <MuiAlert severity="error" action={<Button size="small" color="inherit" onClick={() => setAttempt(n => n + 1)}>Retry</Button>}>
          The events could not be loaded. {describeError(error)}
        </MuiAlert>
      )}
      <Table<StoredEvent>
        title="Events behind this alert"
        subtitle="Expand a row for the original record; open an event for all its fields"
        isLoading={loading}
        columns={columns}
        data={items}
        options={{ paging: false, search: false, padding: 'dense', draggable: false }}
        detailPanel={[{ tooltip: 'Original record', render: ({ rowData }: { rowData: StoredEvent }) => <OriginalRecord id={rowData.id} /> } as any]}
        emptyContent={<Box p={3}><Typography>No stored events: they may have been removed by retention. The alert keeps its counts.</Typography></Box>}
      />
      {cursor && (
        <Box mt={1} display="flex" justifyContent="center">
          <Button variant="outlined" onClick={more} disabled={loading} data-testid="events-load-more">Load more events</Button>
        </Box>
      )}
    </Box>
  );
}

function Section(props: { title: string; children: ReactNode; testId?: string }) {
  return <InfoCard title={props.title}><Box data-testid={props.testId}>{props.children}</Box></InfoCard>;
}

function AlertView(props: { id: string }) {
  const api = useApi(detectionsApiRef);
  const loaded = useAsyncRetry(() => api.getAlert(props.id), [api, props.id]);
  // the alert as a triage action answered it, else as loaded
  const [updated, setAlert] = useState<Alert>();
  const alert = updated ?? loaded.value;
  let body: ReactNode = null;
  if (loaded.loading && !alert) body = <Progress />;
  else if (loaded.error) {
    body = <LoadFailure what="alert" error={loaded.error} retry={loaded.retry} />;
  } else if (alert) body = <AlertBody alert={alert} onChange={setAlert} />;
  return (
    <>
      <DetectionsHeader title={alert?.title ?? 'Alert'} subtitle={alert ? `${SEVERITY_LABEL[alert.severity]} alert, ${formatTime(alert.lastSeen)}` : undefined} />
      <Content>{body}</Content>
    </>
  );
}

function AlertBody(props: { alert: Alert; onChange: (a: Alert) => void }) {
  const { alert } = props;
  const api = useApi(detectionsApiRef);
  const root = useRouteRef(rootRouteRef);
  const rules = useAsync(() => api.listRules(), [api]);
  const rule = rules.value?.find(r => r.id === alert.rule);
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <Box display="flex" alignItems="center" flexWrap="wrap" style={{ gap: 12 }}>
          <LinkButton to={`${root?.() ?? ''}#alert-queue`} variant="text" data-testid="back-to-queue">← Alert queue</LinkButton>
          <SeverityChip severity={alert.severity} />
          <StatusChip status={alert.status} closeReason={alert.closeReason} />
          <Typography variant="body2">
            {alert.assignee ? <>Assigned to <EntityDisplayName entityRef={alert.assignee} hideIcon /></> : 'Unassigned'}
          </Typography>
          {alert.principalRef && <Typography variant="body2">Person: <EntityRefLink entityRef={alert.principalRef} hideIcon /></Typography>}
          {alert.resourceRef && <Typography variant="body2">Resource: <EntityRefLink entityRef={alert.resourceRef} hideIcon /></Typography>}
        </Box>
      </Grid>
      <Grid item xs={12} md={8}>
        <Section title="What happened" testId="what-happened">
          <AlertSummary alert={alert} ruleDescription={rule?.description} />
        </Section>
      </Grid>
      <Grid item xs={12} md={4}>
        <Section title="Triage" testId="triage">
          <Typography variant="body2" color="textSecondary" paragraph data-testid="triage-state">
            {alert.status === 'new' && 'Nobody has acknowledged this alert yet.'}
            {alert.status === 'acknowledged' && 'Someone is looking into it. Close it with a reason when done.'}
            {alert.status === 'closed' && `Closed${alert.closeReason ? ` as ${CLOSE_REASON_LABEL[alert.closeReason].toLocaleLowerCase('en-US')}` : ''}. Reopen it if it needs another look.`}
          </Typography>
          <AlertActions alert={alert} onChange={props.onChange} />
        </Section>
      </Grid>
      {/* the evidence gets the page's full width: its columns (actor, blob, source address) are long */}
      <Grid item xs={12}>
        <AlertEvents alertId={alert.id} />
      </Grid>
      <Grid item xs={12}>
        <Section title="History">
          <HistoryTimeline alert={alert} />
        </Section>
      </Grid>
    </Grid>
  );
}

/** /detections/alerts/:id */
export function AlertPage() {
  const { id = '' } = useParams();
  const allowed = usePermission({ permission: detectionsAlertReadPermission, resourceRef: id });
  if (allowed.allowed) {
    return <Page themeId="tool"><AlertView id={id} /></Page>;
  }
  return (
    <Page themeId="tool">
      <DetectionsHeader title="Alert" />
      <Content>{allowed.loading ? <Progress /> : <ForbiddenPanel />}</Content>
    </Page>
  );
}
