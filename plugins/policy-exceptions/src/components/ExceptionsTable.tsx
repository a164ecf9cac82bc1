import { Link, Table, TableColumn } from '@backstage/core-components';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { Box, Typography } from '@material-ui/core';
import { PolicyException } from '@internal/plugin-policy-exceptions-common';
import { exceptionRouteRef } from '../routes';
import { ControlTitle, EntityLink, PersonName, RISK_ORDER, RiskChip, StatusChip, formatTime } from './common';

/** A growing list of exceptions: sortable, searchable, paged; newest first. */
export function ExceptionsTable(props: { items: PolicyException[]; title: string; now?: Date; testId?: string }) {
  const link = useRouteRef(exceptionRouteRef);
  const now = props.now ?? new Date();
  const columns: TableColumn<PolicyException>[] = [
    {
      title: 'Control',
      field: 'controlId',
      render: e => (
        <Link to={link?.({ id: e.id }) ?? '#'} data-testid="exception-link">
          <ControlTitle controlId={e.controlId} />
        </Link>
      ),
    },
    {
      title: 'Scope',
      field: 'content.scope.findingKey',
      render: e => (
        <Box>
          {e.content.scope.entityRefs.map(r => (
            <Box key={r}><EntityLink entityRef={r} /></Box>
          ))}
          {e.content.scope.findingKey && <Typography variant="caption">{e.content.scope.findingKey}</Typography>}
        </Box>
      ),
    },
    { title: 'Status', field: 'effectiveStatus', render: e => <StatusChip status={e.effectiveStatus ?? e.status} /> },
    {
      title: 'Risk',
      field: 'content.risk.rating',
      customSort: (a, b) => RISK_ORDER[a.content.risk.rating] - RISK_ORDER[b.content.risk.rating],
      render: e => <RiskChip rating={e.content.risk.rating} />,
    },
    { title: 'Requester', field: 'requester', render: e => <PersonName entityRef={e.requester} /> },
    { title: 'Owner', field: 'content.owner', render: e => <PersonName entityRef={e.content.owner} /> },
    {
      title: 'Ends',
      field: 'content.endsAt',
      defaultSort: 'asc',
      customSort: (a, b) => Date.parse(a.content.endsAt) - Date.parse(b.content.endsAt),
      render: e => formatTime(e.content.endsAt, now),
    },
    {
      title: 'Filed',
      field: 'createdAt',
      customSort: (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt),
      render: e => formatTime(e.createdAt, now),
    },
  ];
  return (
    <div data-testid={props.testId ?? 'exceptions-table'}>
      <Table<PolicyException>
        title={props.title}
        options={{ paging: props.items.length > 20, pageSize: 20, search: true, padding: 'dense' }}
        columns={columns}
        data={props.items}
      />
    </div>
  );
}
