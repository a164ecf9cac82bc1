import { useState } from 'react';
import { Table, TableColumn } from '@backstage/core-components';
import {
  useApi,
  useAppNavigate,
  useRouteRef,
} from '@backstage/frontend-plugin-api';
import {
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  TextField,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { Grant } from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { requestRouteRef } from '../routes';
import { StatusChip } from './RequestStatusChip';
import {
  describeError,
  formatTime,
  grantDisplayState,
  grantTimeLeft,
  shortRef,
} from './format';
import { useNow } from './useNow';

function RenewButton(props: { grant: Grant }) {
  const { grant } = props;
  const api = useApi(accessRequestsApiRef);
  const navigate = useAppNavigate();
  const requestLink = useRouteRef(requestRouteRef);
  const [open, setOpen] = useState(false);
  const [duration, setDuration] = useState(60);
  const [justification, setJustification] = useState('');
  const [error, setError] = useState<string>();
  const submit = async () => {
    setError(undefined);
    try {
      const { request } = await api.renewGrant(grant.id, {
        durationMinutes: duration,
        justification,
      });
      setOpen(false);
      if (requestLink) navigate(requestLink({ id: request.id }));
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <>
      <Button size="small" variant="outlined" onClick={() => setOpen(true)}>
        Renew
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} fullWidth>
        <DialogTitle>Renew access</DialogTitle>
        <DialogContent>
          <Typography variant="body2">
            Renewing is a new request linked to this grant; it needs the same
            approvals again.
          </Typography>
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
          <TextField
            id={`renew-duration-${grant.id}`}
            label="Duration (minutes)"
            type="number"
            fullWidth
            margin="normal"
            value={duration}
            onChange={e => setDuration(parseInt(e.target.value, 10))}
          />
          <TextField
            id={`renew-justification-${grant.id}`}
            label="Justification"
            fullWidth
            multiline
            margin="normal"
            value={justification}
            onChange={e => setJustification(e.target.value)}
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" color="primary" onClick={submit}>
            Request renewal
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/** Revoke an active grant with a reason (security reviewers / admins; the backend checks). */
export function RevokeButton(props: {
  grant: Grant;
  onRevoked?: (grant: Grant) => void;
}) {
  const { grant, onRevoked } = props;
  const api = useApi(accessRequestsApiRef);
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setError(undefined);
    if (!reason.trim()) {
      setReasonError('A reason is required to revoke access.');
      return;
    }
    setReasonError(undefined);
    setBusy(true);
    try {
      const { grant: revoked } = await api.revokeGrant(grant.id, reason.trim());
      setOpen(false);
      setReason('');
      onRevoked?.(revoked);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button
        size="small"
        variant="outlined"
        style={{ color: '#b71c1c', borderColor: '#b71c1c' }}
        onClick={() => setOpen(true)}
        aria-label={`Revoke access of ${shortRef(grant.userRef)}`}
      >
        Revoke
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} fullWidth>
        <DialogTitle>Revoke access</DialogTitle>
        <DialogContent>
          <Typography variant="body2">
            {shortRef(grant.userRef)} loses <code>{grant.roleId}</code> on{' '}
            {grant.resourceRef} now; the access is deprovisioned and the
            revocation is audited.
          </Typography>
          {error && (
            <Alert severity="error" role="alert" data-testid="revoke-error">
              {error}
            </Alert>
          )}
          <TextField
            id={`revoke-reason-${grant.id}`}
            label="Reason (required)"
            fullWidth
            multiline
            margin="normal"
            value={reason}
            onChange={e => setReason(e.target.value)}
            error={!!reasonError}
            helperText={reasonError}
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button
            variant="contained"
            onClick={submit}
            disabled={busy}
            style={{ backgroundColor: '#b71c1c', color: '#fff' }}
          >
            Revoke access
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/** A loud marker for break-glass grants, with their post-hoc review state. */
export function BreakGlassChip(props: { grant: Grant }) {
  const { grant } = props;
  const needed = grant.postHocReviewsNeeded ?? 2;
  const have = grant.postHocReviews?.length ?? 0;
  const flagged = grant.postHocReviews?.some(r => r.decision === 'flag');
  return (
    <Chip
      size="small"
      label={`BREAK-GLASS · ${have}/${needed} post-hoc reviews${
        flagged ? ' · flagged' : ''
      }`}
      data-testid="grant-break-glass"
      data-grant-id={grant.id}
      style={{ backgroundColor: '#b71c1c', color: '#fff', fontWeight: 700 }}
    />
  );
}

/** Grants with their state and time left, computed with isGrantActive. */
export function GrantsTable(props: {
  grants: Grant[];
  title: string;
  showUser?: boolean;
  allowRenew?: boolean;
  /** show Revoke on active grants (pass the access-requests.grant.revoke decision) */
  allowRevoke?: boolean;
  onChanged?: () => void;
}) {
  const { grants, title, showUser, allowRenew, allowRevoke, onChanged } = props;
  const api = useApi(accessRequestsApiRef);
  const now = useNow(1000);
  const [error, setError] = useState<string>();
  const retry = async (grant: Grant) => {
    setError(undefined);
    try {
      await api.retryGrant(grant.id);
      onChanged?.();
    } catch (e) {
      setError(describeError(e));
    }
  };
  const columns: TableColumn<Grant>[] = [
    ...(showUser
      ? [{ title: 'User', render: (g: Grant) => shortRef(g.userRef) }]
      : []),
    { title: 'Resource', field: 'resourceRef' },
    {
      title: 'Role',
      render: g => (
        <Box display="flex" flexDirection="column" style={{ gap: 4 }}>
          <span>{g.roleId}</span>
          {g.breakGlass && <BreakGlassChip grant={g} />}
        </Box>
      ),
    },
    {
      title: 'State',
      render: g => (
        <StatusChip
          status={grantDisplayState(g, now)}
          testId="grant-state"
          grantId={g.id}
        />
      ),
    },
    {
      title: 'Time left',
      render: g => (
        <span data-testid="grant-time-left" data-grant-id={g.id}>
          {grantTimeLeft(g, now)}
        </span>
      ),
    },
    { title: 'Until', render: g => formatTime(g.expiresAt) },
    {
      title: 'Provisioning',
      render: g => (
        <span
          data-testid="grant-provisioning"
          data-grant-id={g.id}
          data-state={g.provisioning.state}
        >
          {g.provisioning.state}
          {g.provisioning.error ? `: ${g.provisioning.error}` : ''}
        </span>
      ),
    },
    {
      title: '',
      render: g => (
        <Box display="flex" style={{ gap: 4 }}>
          {allowRenew &&
            !g.breakGlass &&
            grantDisplayState(g, now) === 'active' && <RenewButton grant={g} />}
          {allowRevoke && grantDisplayState(g, now) === 'active' && (
            <RevokeButton grant={g} onRevoked={() => onChanged?.()} />
          )}
          {g.provisioning.state === 'failed' && (
            <Button size="small" onClick={() => retry(g)}>
              Retry provisioning
            </Button>
          )}
        </Box>
      ),
    },
  ];
  return (
    <Box data-testid="grants-table">
      {error && (
        <Alert severity="error" role="alert">
          {error}
        </Alert>
      )}
      <Table<Grant>
        title={title}
        options={{ paging: false, search: false, padding: 'dense' }}
        columns={columns}
        data={grants.map(g => ({ ...g }))}
      />
    </Box>
  );
}
