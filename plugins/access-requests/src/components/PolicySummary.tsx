import { Box, Chip, Tooltip, Typography } from '@material-ui/core';
import { Table, TableColumn } from '@backstage/core-components';
import {
  AccessRole,
  FrozenPolicySummary,
} from '@internal/plugin-access-requests-common';
import { Fragment } from 'react';
import { formatMinutes } from './format';
import { AllowedActions, PersonName, PolicyTitle } from './Names';
import { describePolicyKind } from './permissionWords';

type RoleRow = FrozenPolicySummary['roles'][number];

/**
 * A role's approval steps in words: "2 from Security reviewers and 1 from the owning team".
 * Groups by their catalog display name (the ref on hover and in `data-group`).
 */
export function ApprovalSteps(props: { role: Pick<AccessRole, 'approvals' | 'selfService'> }) {
  const { role } = props;
  if (role.selfService) return <>self-service (no approval)</>;
  if (!role.approvals.length) return <>no approval steps</>;
  return (
    <>
      {role.approvals.map((a, i) => (
        <Fragment key={`${i}:${a.group}`}>
          {i > 0 && ' and '}
          <span data-testid="approval-step" data-group={a.group} data-count={a.count}>
            {a.count} from {a.group === 'owner' ? 'the owning team' : <PersonName entityRef={a.group} />}
          </span>
        </Fragment>
      ))}
    </>
  );
}

function breadth(privilege: number): string {
  if (privilege <= 1) return 'narrowest';
  return privilege === 2 ? 'broader' : 'broad';
}

/** A policy: kind, maximum duration, requirements and its roles. */
export function PolicySummary(props: {
  policy: FrozenPolicySummary;
  highlightRoleId?: string;
}) {
  const { policy, highlightRoleId } = props;
  const columns: TableColumn<RoleRow>[] = [
    {
      title: 'Role',
      field: 'title',
      render: r => (
        <>
          <strong title={`Role id: ${r.id}`}>{r.title}</strong>
          {r.id === highlightRoleId && (
            <Chip size="small" label="requested" style={{ marginLeft: 8 }} />
          )}
          {r.description && (
            <Typography variant="body2" color="textSecondary">
              {r.description}
            </Typography>
          )}
        </>
      ),
    },
    { title: 'Allows', render: r => <AllowedActions allows={r.allows} /> },
    { title: 'Breadth', render: r => breadth(r.privilege) },
    { title: 'Approvals', render: r => <ApprovalSteps role={r} /> },
  ];
  return (
    <Box data-testid="policy-summary">
      <Typography variant="body2">
        <PolicyTitle policy={policy} /> policy ·{' '}
        <Tooltip title={`Policy kind: ${policy.kind}`}>
          <span data-testid="policy-kind" data-kind={policy.kind}>{describePolicyKind(policy.kind)}</span>
        </Tooltip>{' '}
        · at most{' '}
        {formatMinutes(policy.maxDurationMinutes)}
        {policy.requireJustification ? ' · justification required' : ''}
        {policy.requireTicket ? ' · ticket required' : ''}
        {'allowBreakGlass' in policy && policy.allowBreakGlass === false ? ' · no break-glass' : ''}
      </Typography>
      <Table<RoleRow>
        options={{ paging: false, search: false, toolbar: false, padding: 'dense' }}
        columns={columns}
        data={policy.roles.map(r => ({ ...r }))}
      />
    </Box>
  );
}
