import { useState } from 'react';
import { Link, Table, TableColumn } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Box, Button, Chip, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { Grant } from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { grantRouteRef } from '../routes';
import { EndAccessButton, EndAccessDialog, ExtendButton } from './GrantActions';
import { PersonName, ResourceLink } from './Names';
import { useCurrentUser } from './useCurrentUser';
import { StatusChip } from './RequestStatusChip';
import {
  describeError,
  formatTime,
  grantDisplayState,
  grantTimeLeft,
} from './format';
import { useNow } from './useNow';

/** Revoke an active grant with a reason (security reviewers / admins; the backend checks). */
export function RevokeButton(props: {
  grant: Grant;
  onRevoked?: (grant: Grant) => void;
  onOpen?: () => void;
}) {
  return <EndAccessButton grant={props.grant} own={false} onEnded={props.onRevoked} onOpen={props.onOpen} />;
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
  /** the role's title where the resource's policy is at hand (else its id is shown) */
  roleTitle?: (roleId: string) => string;
}) {
  const { grants, title, showUser, allowRenew, allowRevoke, onChanged } = props;
  const roleName = (roleId: string) => props.roleTitle?.(roleId) ?? roleId;
  const api = useApi(accessRequestsApiRef);
  const now = useNow(1000);
  const me = useCurrentUser();
  const grantLink = useRouteRef(grantRouteRef);
  const [error, setError] = useState<string>();
  // the confirmation dialog lives outside the table: its cells re-render every second (time left)
  const [ending, setEnding] = useState<{ grant: Grant; own: boolean }>();
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
      ? [{ title: 'Holder', field: 'userRef', render: (g: Grant) => <PersonName entityRef={g.userRef} /> }]
      : []),
    { title: 'Resource', field: 'resourceRef', render: g => <ResourceLink entityRef={g.resourceRef} /> },
    {
      title: 'Role',
      render: g => (
        <Box display="flex" flexDirection="column" style={{ gap: 4 }}>
          {grantLink ? <Link to={grantLink({ id: g.id })} data-testid="grant-link">{roleName(g.roleId)}</Link> : <span>{roleName(g.roleId)}</span>}
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
          {g.provisioning.state === 'provisioned' ? 'set up' : g.provisioning.state === 'deprovisioned' ? 'removed' : g.provisioning.state}
          {g.provisioning.state === 'failed' ? ' (the platform team has been told)' : ''}
        </span>
      ),
    },
    {
      title: '',
      render: g => (
        <Box display="flex" style={{ gap: 4 }}>
          {allowRenew &&
            !g.breakGlass &&
            g.userRef === me.userRef &&
            grantDisplayState(g, now) === 'active' && <ExtendButton grant={g} />}
          {allowRenew && g.userRef === me.userRef && grantDisplayState(g, now) === 'active' && (
            <EndAccessButton grant={g} own onOpen={() => setEnding({ grant: g, own: true })} />
          )}
          {allowRevoke && g.userRef !== me.userRef && grantDisplayState(g, now) === 'active' && (
            <RevokeButton grant={g} onOpen={() => setEnding({ grant: g, own: false })} />
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
      {ending && (
        <EndAccessDialog
          grant={ending.grant}
          own={ending.own}
          open
          onClose={() => setEnding(undefined)}
          onEnded={() => onChanged?.()}
        />
      )}
      <Table<Grant>
        title={title}
        options={{ paging: grants.length > 20, pageSize: 20, search: grants.length > 20, padding: 'dense' }}
        emptyContent={<Box p={2}><Typography variant="body2">No access here yet.</Typography></Box>}
        columns={columns}
        data={grants.map(g => ({ ...g }))}
      />
    </Box>
  );
}
