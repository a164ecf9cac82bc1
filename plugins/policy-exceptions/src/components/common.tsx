import { ReactNode, useState } from 'react';
import { EmptyState, Header, HeaderTabs, LinkButton } from '@backstage/core-components';
import { identityApiRef, useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { EntityDisplayName, EntityRefLink } from '@backstage/plugin-catalog-react';
import { Box, Button, Chip, Dialog, DialogActions, DialogContent, DialogTitle, TextField, Tooltip } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { ExceptionStatus, RiskRating } from '@internal/plugin-policy-exceptions-common';
import { getSecurityControl, isSecurityControlId } from '@internal/plugin-security-controls-common';
import { Link as RouterLink } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { newExceptionRouteRef, rootRouteRef } from '../routes';

/** A person or group by display name (the ref only in a tooltip). */
export function PersonName(props: { entityRef: string }) {
  return <EntityDisplayName entityRef={props.entityRef} hideIcon />;
}

/** A catalog entity by name, linking to its page. */
export function EntityLink(props: { entityRef: string }) {
  return <EntityRefLink entityRef={props.entityRef} hideIcon />;
}

/** A control by its title, with the id in a tooltip. */
export function ControlTitle(props: { controlId: string }) {
  const title = isSecurityControlId(props.controlId) ? getSecurityControl(props.controlId).title : props.controlId;
  return (
    <Tooltip title={`Control id: ${props.controlId}`}>
      <span data-testid="control-title">{title}</span>
    </Tooltip>
  );
}

const STATUS_COLOR: Record<ExceptionStatus, string> = {
  draft: '#757575', submitted: '#1565c0', approved: '#00897b', active: '#2e7d32', expired: '#616161',
  rejected: '#b71c1c', withdrawn: '#757575', revoked: '#b71c1c', suspended: '#ed6c02',
};
const STATUS_LABEL: Record<ExceptionStatus, string> = {
  draft: 'Draft', submitted: 'Waiting for review', approved: 'Approved (not started)', active: 'Active', expired: 'Expired',
  rejected: 'Rejected', withdrawn: 'Withdrawn', revoked: 'Revoked', suspended: 'Suspended',
};

export function StatusChip(props: { status: ExceptionStatus }) {
  return (
    <Chip size="small" label={STATUS_LABEL[props.status]} data-testid={`status-${props.status}`}
      style={{ backgroundColor: STATUS_COLOR[props.status], color: '#fff' }} />
  );
}

export const RISK_COLOR: Record<RiskRating, string> = { critical: '#7f0000', high: '#b71c1c', medium: '#ed6c02', low: '#2e7d32' };
export const RISK_ORDER: Record<RiskRating, number> = { critical: 4, high: 3, medium: 2, low: 1 };

export function RiskChip(props: { rating: RiskRating }) {
  return <Chip size="small" variant="outlined" label={`${props.rating} risk`} style={{ borderColor: RISK_COLOR[props.rating], color: RISK_COLOR[props.rating] }} />;
}

/** "in 3 d 4 h, at 14 Dec 2026 14:05 UTC" / "2 h ago, at …". */
export function formatTime(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  const abs = new Date(t).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
  const diff = t - now.getTime();
  const m = Math.round(Math.abs(diff) / 60_000);
  let rel = `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
  if (m < 2880) rel = `${Math.floor(m / 60)} h ${m % 60} min`;
  if (m < 60) rel = `${m} min`;
  return `${diff >= 0 ? `in ${rel}` : `${rel} ago`}, at ${abs} UTC`;
}

/** The message of a backend error, without stack traces or error codes. */
export function describeError(e: unknown): string {
  const err = e as { body?: { error?: { message?: string } }; message?: string };
  return err?.body?.error?.message ?? err?.message ?? 'Something went wrong; try again.';
}

export function isNotFound(e: unknown): boolean {
  const err = e as { response?: { status?: number }; statusCode?: number; name?: string };
  return err?.response?.status === 404 || err?.statusCode === 404 || err?.name === 'NotFoundError';
}

export function NotFoundPanel(props: { backTo?: string }) {
  return (
    <Box data-testid="not-found">
      <EmptyState
        missing="content"
        title="This exception does not exist"
        description="The link may be mistyped or old. Nothing was changed."
        action={props.backTo ? <LinkButton to={props.backTo} variant="contained" color="primary">Back to exceptions</LinkButton> : undefined}
      />
    </Box>
  );
}

/** The signed-in user's entity ref (lower case, as the backend compares). */
export function useCurrentUser(): string | undefined {
  const identity = useApi(identityApiRef);
  const { value } = useAsync(() => identity.getBackstageIdentity(), [identity]);
  return value?.userEntityRef?.toLocaleLowerCase('en-US');
}

export type ExceptionsTab = 'mine' | 'queue' | 'expiring' | 'all' | 'new';

/** One header for every exceptions page, with the tabs (reviewer queue only for reviewers). */
export function ExceptionsHeader(props: { title: string; subtitle?: ReactNode; tab?: ExceptionsTab; reviewer?: boolean }) {
  const root = useRouteRef(rootRouteRef);
  const create = useRouteRef(newExceptionRouteRef);
  const tabs: { id: ExceptionsTab; label: string; to: string }[] = [
    { id: 'mine', label: 'My exceptions', to: `${root?.() ?? ''}?view=mine` },
    ...(props.reviewer ? [{ id: 'queue' as const, label: 'Reviewer queue', to: `${root?.() ?? ''}?view=queue` }] : []),
    { id: 'expiring', label: 'Expiring in 14 days', to: `${root?.() ?? ''}?view=expiring` },
    { id: 'all', label: 'All exceptions', to: `${root?.() ?? ''}?view=all` },
    { id: 'new', label: 'Request an exception', to: create?.() ?? '#' },
  ];
  const index = tabs.findIndex(t => t.id === props.tab);
  return (
    <>
      <Header title={props.title} subtitle={props.subtitle} />
      <HeaderTabs
        selectedIndex={index >= 0 ? index : 0}
        tabs={tabs.map(t => ({ id: t.id, label: t.label, tabProps: { component: RouterLink, to: t.to, 'data-testid': `exceptions-tab-${t.id}` } as any }))}
      />
    </>
  );
}

/** Confirmation with a reason for weighty actions; the reason is shown to the people concerned. */
export function ReasonDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  optional?: boolean;
  danger?: boolean;
  onClose: () => void;
  onConfirm: (reason: string) => Promise<void>;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setError(undefined);
    if (!props.optional && !reason.trim()) {
      setError('Please give a reason; the requester and the owner will see it.');
      return;
    }
    setBusy(true);
    try {
      await props.onConfirm(reason.trim());
      setReason('');
      props.onClose();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={props.open} onClose={props.onClose} fullWidth>
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent>
        {props.children}
        {error && <Alert severity="error" role="alert">{error}</Alert>}
        <TextField label={props.optional ? 'Comment (optional)' : 'Reason (required)'} multiline minRows={3} fullWidth margin="normal"
          value={reason} onChange={e => setReason(e.target.value)} inputProps={{ maxLength: 4096, 'data-testid': 'reason-input' }}
          helperText={`${reason.length.toLocaleString('en-US')} / 4,096`} />
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button onClick={submit} disabled={busy} color={props.danger ? 'secondary' : 'primary'} variant="contained" data-testid="reason-confirm">
          {props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
