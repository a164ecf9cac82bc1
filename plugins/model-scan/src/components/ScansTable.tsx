import { Link, Table, TableColumn } from '@backstage/core-components';
import { Chip } from '@material-ui/core';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import { EntityLink } from './EntityLink';
import { Scan } from '../api/types';
import { scanRouteRef } from '../routes';
import { formatTime, shortRef } from './format';
import { VerdictChip } from './VerdictChip';

/** The scan list: target, trigger, status, verdict, requester, time. */
export function ScansTable(props: {
  scans: Scan[];
  title?: string;
  isLoading?: boolean;
}) {
  const scanLink = useRouteRef(scanRouteRef);
  const columns: TableColumn<Scan>[] = [
    {
      title: 'Target',
      field: 'target',
      render: s =>
        scanLink ? (
          <Link to={scanLink({ id: s.id })} data-testid="scan-link">
            {s.target}
          </Link>
        ) : (
          s.target
        ),
    },
    {
      title: 'Model',
      field: 'entityRef',
      render: s => (s.entityRef ? <EntityLink entityRef={s.entityRef} /> : '—'),
    },
    { title: 'Trigger', field: 'trigger' },
    { title: 'Status', field: 'status', lookup: { queued: 'queued', running: 'running', completed: 'completed', failed: 'failed' } },
    {
      title: 'Verdict',
      field: 'verdict',
      render: s => (
        <>
          <VerdictChip verdict={s.verdict} severity={s.severity} status={s.status} />
          {s.reviewRequest && (
            <Chip
              size="small"
              variant="outlined"
              color="primary"
              label="Review requested"
              title={`Asked ${formatTime(s.reviewRequest.requestedAt)}: ${s.reviewRequest.note}`}
              data-testid="review-requested-mark"
              style={{ marginLeft: 4 }}
            />
          )}
        </>
      ),
    },
    {
      title: 'Requested by',
      field: 'requestedBy',
      render: s => (s.requestedBy.startsWith('user:') ? <EntityDisplayName entityRef={s.requestedBy} hideIcon /> : shortRef(s.requestedBy)),
    },
    {
      title: 'Time',
      field: 'createdAt',
      render: s => formatTime(s.createdAt),
      defaultSort: 'desc',
    },
  ];
  return (
    <Table<Scan>
      title={props.title ?? 'Scans'}
      isLoading={props.isLoading}
      options={{ paging: true, pageSize: 20, search: true, padding: 'dense' }}
      columns={columns}
      data={props.scans}
    />
  );
}
