import { Box, Chip, Tooltip, Typography } from '@material-ui/core';
import { Table, TableColumn } from '@backstage/core-components';
import {
  AccessRole,
  FrozenPolicySummary,
} from '@internal/plugin-access-requests-common';
import { formatMinutes, shortRef } from './format';
import { AllowedActions, PolicyTitle } from './Names';
import { describePolicyKind } from './permissionWords';

type RoleRow = FrozenPolicySummary['roles'][number];

export function describeApprovals(role: Pick<AccessRole, 'approvals' | 'selfService'>): string {
  if (role.selfService) return 'self-service (no approval)';
  if (!role.approvals.length) return 'no approval steps';
  return role.approvals
    .map(a => `${a.count} from ${a.group === 'owner' ? 'the owning team' : shortRef(a.group)}`)
    .join(' and ');
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
    { title: 'Approvals', render: r => describeApprovals(r) },
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
