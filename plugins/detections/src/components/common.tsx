import { ReactNode } from 'react';
import { EmptyState, Header, LinkButton } from '@backstage/core-components';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { EntityDisplayName, EntityRefLink } from '@backstage/plugin-catalog-react';
import { Box, Button, Chip, Tooltip, Typography } from '@material-ui/core';
import { Alert as MuiAlert } from '@material-ui/lab';
import { AlertStatus, CloseReason, detectionsEventReadPermission, Severity, SourceId } from '../api';
import { alertRouteRef, eventRouteRef, rootRouteRef } from '../routes';

/** Highest first, as reviewers read them. */
export const SEVERITY_ORDER: Severity[] = ['critical', 'high', 'medium', 'low', 'informational'];

/** The same colours as the other families' severities (audit trail, exceptions). */
export const SEVERITY_COLORS: Record<Severity, string> = {
  critical: '#7f0000',
  high: '#b71c1c',
  medium: '#ed6c02',
  low: '#607d8b',
  informational: '#90a4ae',
};

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Informational',
};

export function SeverityChip(props: { severity: Severity }) {
  return (
    <Chip
      size="small"
      label={SEVERITY_LABEL[props.severity] ?? props.severity}
      data-testid={`severity-${props.severity}`}
      style={{ backgroundColor: SEVERITY_COLORS[props.severity] ?? '#757575', color: '#fff' }}
    />
  );
}

export const STATUS_LABEL: Record<AlertStatus, string> = { new: 'New', acknowledged: 'Acknowledged', closed: 'Closed' };
const STATUS_COLOR: Record<AlertStatus, string> = { new: '#1565c0', acknowledged: '#6a1b9a', closed: '#616161' };

export const CLOSE_REASON_LABEL: Record<CloseReason, string> = {
  true_positive: 'True positive',
  benign_positive: 'Benign positive',
  false_positive: 'False positive',
};

export const CLOSE_REASON_HELP: Record<CloseReason, string> = {
  true_positive: 'It was malicious or unauthorised activity; follow-up was taken.',
  benign_positive: 'The rule was right, but the activity was expected and allowed (a known job, an approved test).',
  false_positive: 'The rule fired on something it should not have; the rule needs tuning.',
};

export function StatusChip(props: { status: AlertStatus; closeReason?: CloseReason }) {
  const label = props.status === 'closed' && props.closeReason
    ? `Closed: ${CLOSE_REASON_LABEL[props.closeReason].toLocaleLowerCase('en-US')}`
    : STATUS_LABEL[props.status] ?? props.status;
  return (
    <Chip size="small" variant="outlined" label={label} data-testid={`status-${props.status}`}
      style={{ borderColor: STATUS_COLOR[props.status], color: STATUS_COLOR[props.status] }} />
  );
}

export const SOURCE_LABEL: Record<SourceId, string> = {
  entra_signin: 'Entra ID sign-ins',
  entra_risk: 'Entra ID risk detections',
  storage_blob: 'Azure Storage blob logs',
  k8s_audit: 'Kubernetes audit',
  azure_firewall: 'Azure Firewall',
  hubble: 'Cilium Hubble flows',
  portal_audit: 'Portal audit trail',
};
export const SOURCES = Object.keys(SOURCE_LABEL) as SourceId[];

const ENTITY_REF = /^[a-z][a-z0-9-]*:[^/\s]+\/\S+$/i;

/** A person: the catalog user by display name when known, else the name the logs use. */
export function PrincipalName(props: { principal: string; principalRef?: string; link?: boolean }) {
  if (props.principalRef) {
    return props.link === false
      ? <EntityDisplayName entityRef={props.principalRef} hideIcon />
      : <EntityRefLink entityRef={props.principalRef} hideIcon />;
  }
  return (
    <Tooltip title="Not matched to a person in the catalog; shown as the logs name it">
      <span>{props.principal}</span>
    </Tooltip>
  );
}

/**
 * A long name that may wrap only after its separators ("erin@" / "frontier-lab." / "example"),
 * not letter by letter: break opportunities after @ . / - _ : and no break inside a part unless
 * a part alone is wider than the cell.
 */
export function Breakable(props: { text: string }) {
  const parts = props.text.split(/(?<=[@./\-_:])/);
  return (
    <span style={{ overflowWrap: 'break-word', wordBreak: 'normal' }}>
      {parts.map((p, i) => (
        <span key={i}>
          {p}
          {i < parts.length - 1 && <wbr />}
        </span>
      ))}
    </span>
  );
}

/**
 * The name the logs use for a principal or resource, as secondary text after its display name
 * ("Erin Example  erin@frontier-lab.example"); on its own line in table cells.
 */
export function LogName(props: { value: string; block?: boolean }) {
  return (
    <Typography
      component="span"
      variant="caption"
      color="textSecondary"
      data-testid="log-name"
      style={{ display: props.block ? 'block' : 'inline', marginLeft: props.block ? 0 : 4 }}
    >
      {props.block ? <Breakable text={props.value} /> : <>(<Breakable text={props.value} />)</>}
    </Typography>
  );
}

/** A resource: the catalog entity by title when known, else the name the logs use. */
export function ResourceName(props: { resource: string; resourceRef?: string }) {
  if (props.resourceRef) return <EntityRefLink entityRef={props.resourceRef} hideIcon />;
  return <span>{props.resource}</span>;
}

/** An actor of the alert history: a person by display name, or the detections service. */
export function ActorName(props: { actor: string }) {
  if (ENTITY_REF.test(props.actor)) return <EntityDisplayName entityRef={props.actor} hideIcon />;
  return <span>{props.actor === 'detections' || props.actor === 'system' || props.actor.startsWith('plugin:') ? 'Detections (automatic)' : props.actor}</span>;
}

/** "3 h 12 min ago, at 7 Dec 2026 14:05 UTC". */
export function formatTime(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const abs = formatAbsolute(iso);
  const diff = t - now.getTime();
  const m = Math.round(Math.abs(diff) / 60_000);
  let rel = `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
  if (m < 2880) rel = `${Math.floor(m / 60)} h ${m % 60} min`;
  if (m < 60) rel = `${m} min`;
  if (m < 1) return `just now, at ${abs}`;
  return `${diff >= 0 ? `in ${rel}` : `${rel} ago`}, at ${abs}`;
}

/** "7 Dec 2026, 14:05 UTC". */
export function formatAbsolute(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' })} UTC`;
}

/** "1.5 GB" (decimal units, as Azure reports them). */
export function formatBytes(n: number | undefined): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v.toLocaleString('en-US')} bytes` : `${v.toLocaleString('en-US', { maximumFractionDigits: 1 })} ${units[i]}`;
}

/** A span of time in words: "38 min", "2 h 5 min", "3 d 4 h". */
export function formatSpan(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 1) return 'under a minute';
  if (m < 60) return `${m} min`;
  if (m < 2880) return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(m / 1440)} d${Math.floor((m % 1440) / 60) ? ` ${Math.floor((m % 1440) / 60)} h` : ''}`;
}

/** The message of a backend error in a sentence, without stack traces, codes or field paths. */
export function describeError(e: unknown): string {
  const err = e as { body?: { error?: { message?: string } }; message?: string; response?: { status?: number }; name?: string };
  const status = err?.response?.status;
  if (status === 403 || err?.name === 'NotAllowedError') return 'You are not allowed to do this. Security reviewers and platform admins are.';
  if (status === 401) return 'Your session has ended; sign in again.';
  const msg = err?.body?.error?.message ?? err?.message;
  if (!msg || /^Request failed with \d+/.test(msg) || /fetch|ECONN|ENOTFOUND|network/i.test(msg)) {
    return 'The detections service could not be reached or failed; try again.';
  }
  // The backend answers in sentences; drop a leading "Invalid input (HTTP 400): field:" style prefix.
  return msg.replace(/^[^:]*\(HTTP \d+\):\s*/, '').replace(/^[a-zA-Z.[\]0-9]+:\s+/, '');
}

export function isNotFound(e: unknown): boolean {
  const err = e as { response?: { status?: number }; statusCode?: number; name?: string };
  return err?.response?.status === 404 || err?.statusCode === 404 || err?.name === 'NotFoundError';
}

export function isForbidden(e: unknown): boolean {
  const err = e as { response?: { status?: number }; statusCode?: number; name?: string };
  return err?.response?.status === 403 || err?.statusCode === 403 || err?.name === 'NotAllowedError';
}

/** A missing alert or event: a friendly page with a way back. */
export function NotFoundPanel(props: { what: 'alert' | 'event' | 'page' }) {
  const root = useRouteRef(rootRouteRef);
  return (
    <Box data-testid="not-found">
      <EmptyState
        missing="content"
        title={`This ${props.what} does not exist`}
        description="The link may be mistyped, or the record was removed by retention. Nothing was changed."
        action={<LinkButton to={root?.() ?? '/detections'} variant="contained" color="primary">Back to detections</LinkButton>}
      />
    </Box>
  );
}

/** For people without the detections permissions. */
export function ForbiddenPanel(props: { description?: string }) {
  return (
    <Box data-testid="forbidden">
      <EmptyState
        missing="info"
        title="Only security reviewers and platform admins see detections"
        description={props.description ?? 'Alerts name people and what they did; ask the security team if you need to look at one.'}
      />
    </Box>
  );
}

/** One header for every detections page. */
export function DetectionsHeader(props: { title: string; subtitle?: ReactNode; children?: ReactNode }) {
  return (
    <Header title={props.title} subtitle={props.subtitle}>
      {props.children}
    </Header>
  );
}

/** Links to an alert / an event, built from the route refs. */
export function useAlertLink(): (id: string) => string {
  const link = useRouteRef(alertRouteRef);
  return (id: string) => link?.({ id }) ?? `/detections/alerts/${encodeURIComponent(id)}`;
}

export function useEventLink(): (id: string) => string {
  const link = useRouteRef(eventRouteRef);
  return (id: string) => link?.({ id }) ?? `/detections/events/${encodeURIComponent(id)}`;
}

/**
 * May the signed-in person look at detections at all (the dashboard, queue, tab, card and nav
 * item)? Reading an alert is a resource permission checked per alert (the permission backend
 * refuses to decide it without an alert), so the gate is `detections.event.read`: a basic
 * permission the policy gives to the same roles (security reviewers, platform admins). The
 * backend still filters every list by the alert read rule.
 */
export function useMayReadAlerts(): { loading: boolean; allowed: boolean } {
  const { loading, allowed } = usePermission({ permission: detectionsEventReadPermission });
  return { loading, allowed };
}

/** Label/value rows (a definition list in two columns), long values wrapping anywhere. */
export function FieldList(props: { rows: Array<[string, ReactNode]>; testId?: string }) {
  return (
    <Box component="dl" m={0} display="grid" style={{ gridTemplateColumns: 'max-content 1fr', columnGap: 16, rowGap: 4 }} data-testid={props.testId}>
      {props.rows.map(([k, v]) => (
        <Box key={k} display="contents">
          <Typography component="dt" variant="body2" color="textSecondary">{k}</Typography>
          <Typography component="dd" variant="body2" style={{ margin: 0, overflowWrap: 'anywhere' }}>{v}</Typography>
        </Box>
      ))}
    </Box>
  );
}

/** Why an alert or event could not be shown: not found, not allowed, or a failure with a retry. */
export function LoadFailure(props: { what: 'alert' | 'event'; error: unknown; retry: () => void }) {
  if (isNotFound(props.error)) return <NotFoundPanel what={props.what} />;
  if (isForbidden(props.error)) return <ForbiddenPanel />;
  return (
    <MuiAlert severity="error" action={<Button color="inherit" size="small" onClick={props.retry}>Retry</Button>} data-testid={`${props.what}-error`}>
      The {props.what} could not be loaded. {describeError(props.error)}
    </MuiAlert>
  );
}
