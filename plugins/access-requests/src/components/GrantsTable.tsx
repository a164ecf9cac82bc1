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

/** Grants with their state and time left, computed with isGrantActive. */
export function GrantsTable(props: {
  grants: Grant[];
  title: string;
  showUser?: boolean;
  allowRenew?: boolean;
  onChanged?: () => void;
}) {
  const { grants, title, showUser, allowRenew, onChanged } = props;
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
    { title: 'Role', field: 'roleId' },
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
          {g.breakGlass && <Typography variant="caption">break-glass</Typography>}
          {allowRenew && grantDisplayState(g, now) === 'active' && (
            <RenewButton grant={g} />
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
