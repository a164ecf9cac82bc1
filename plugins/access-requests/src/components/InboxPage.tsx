import { useMemo, useState } from 'react';
import {
  Content,
  EmptyState,
  Link,
  Page,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Box, Button, Checkbox, Chip, Tab, Tabs, Tooltip } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  AccessRequest,
  accessGrantPostHocReviewPermission,
} from '@internal/plugin-access-requests-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { requestRouteRef } from '../routes';
import { AccessHeader } from './AccessHeader';
import { PersonName, ResourceLink } from './Names';
import { approvalsStillNeeded } from './RemainingApprovals';
import { StatusChip } from './RequestStatusChip';
import { ReviewPanel } from './ReviewPanel';
import { BreakGlassReviews } from './PostHocReviews';
import { BulkApproveBar, BulkResult, BulkResults, bulkApprovable } from './BulkApprove';
import { describeError, formatMinutes, formatTime } from './format';
import { useCurrentUser } from './useCurrentUser';

export type Risk = 'high' | 'medium' | 'low';

/**
 * How risky granting a request is, for sorting: broad roles (privilege 3+) or roles that
 * write/delete are high, privilege 2 is medium, the narrowest read roles are low.
 */
export function requestRisk(request: Pick<AccessRequest, 'policy' | 'roleId'>): Risk {
  const role = request.policy.roles.find(r => r.id === request.roleId);
  if (!role) return 'medium';
  if (role.privilege >= 3 || role.allows.some(a => /write|delete|admin|\*/i.test(a))) return 'high';
  return role.privilege >= 2 ? 'medium' : 'low';
}

const RISK_COLOR: Record<Risk, string> = { high: '#b71c1c', medium: '#ed6c02', low: '#2e7d32' };
const RISK_ORDER: Record<Risk, number> = { high: 3, medium: 2, low: 1 };

type Row = AccessRequest & {
  requesterName: string;
  roleTitle: string;
  risk: Risk;
  ageMinutes: number;
  missing: number;
};

function toRow(r: AccessRequest, now: Date): Row {
  const role = r.policy.roles.find(x => x.id === r.roleId);
  return {
    ...r,
    requesterName: r.requester.slice(r.requester.lastIndexOf('/') + 1),
    roleTitle: role?.title ?? r.roleId,
    risk: requestRisk(r),
    ageMinutes: Math.max(0, Math.round((now.getTime() - Date.parse(r.createdAt)) / 60_000)),
    missing: approvalsStillNeeded(r.remaining),
  };
}

/**
 * /access/inbox: the requests the signed-in reviewer may decide (a table sorted by deadline,
 * filterable by resource, role and risk), the requests they decided, and for security
 * reviewers the break-glass reviews.
 */
export function InboxPage() {
  const postHoc = usePermission({ permission: accessGrantPostHocReviewPermission });
  const [tab, setTab] = useState<'requests' | 'decided' | 'break-glass'>('requests');
  return (
    <Page themeId="tool">
      <AccessHeader title="Access" subtitle="Requests waiting for your decision" tab="inbox" />
      <Content>
        <Box mb={2}>
          <Tabs value={tab} onChange={(_e, v) => setTab(v)} indicatorColor="primary">
            <Tab value="requests" label="To decide" data-testid="inbox-tab-requests" />
            <Tab value="decided" label="Decided by me" data-testid="inbox-tab-decided" />
            {postHoc.allowed && <Tab value="break-glass" label="Break-glass reviews" />}
          </Tabs>
        </Box>
        {tab === 'requests' && <RequestInbox />}
        {tab === 'decided' && <DecidedByMe />}
        {tab === 'break-glass' && postHoc.allowed && <BreakGlassReviews />}
      </Content>
    </Page>
  );
}

/** The per-row checkbox of bulk approval: enabled only where bulkApprovable says yes. */
export interface Selection {
  selected: Set<string>;
  toggle: (row: Row) => void;
  check: (row: Row) => { allowed: boolean; reason?: string };
}

function useColumns(options: { decided?: boolean; onReviewed?: (message: string) => void; selection?: Selection }): TableColumn<Row>[] {
  const requestLink = useRouteRef(requestRouteRef);
  const me = useCurrentUser();
  const { selection } = options;
  const columns: TableColumn<Row>[] = [];
  if (selection) {
    columns.push({
      title: '',
      filtering: false,
      sorting: false,
      width: '40px',
      cellStyle: { width: 40, maxWidth: 40, paddingLeft: 8, paddingRight: 0 },
      headerStyle: { width: 40, maxWidth: 40, paddingLeft: 8, paddingRight: 0 },
      render: r => {
        const check = selection.check(r);
        const box = (
          <Checkbox
            size="small"
            color="primary"
            checked={check.allowed && selection.selected.has(r.id)}
            disabled={!check.allowed}
            onChange={() => selection.toggle(r)}
            inputProps={{
              'aria-label': `Select the request of ${r.requesterName} for ${r.roleTitle}`,
              'data-testid': 'bulk-select',
              'data-request-id': r.id,
            } as any}
          />
        );
        return check.allowed ? box : <Tooltip title={check.reason ?? ''}><span>{box}</span></Tooltip>;
      },
    });
  }
  columns.push(
    {
      title: 'Requester',
      field: 'requesterName',
      render: r => <PersonName entityRef={r.requester} />,
    },
    {
      title: 'Resource',
      field: 'resourceRef',
      render: r => <ResourceLink entityRef={r.resourceRef} />,
    },
    {
      title: 'Role',
      field: 'roleTitle',
      render: r =>
        requestLink ? (
          <Link to={requestLink({ id: r.id })} data-testid="inbox-request-link" data-request-id={r.id}>
            {r.roleTitle}
          </Link>
        ) : (
          r.roleTitle
        ),
    },
    { title: 'For', field: 'durationMinutes', render: r => formatMinutes(r.durationMinutes), filtering: false, width: '56px' },
    {
      title: 'Age',
      field: 'ageMinutes',
      render: r => <Tooltip title={formatTime(r.createdAt)}><span>{formatMinutes(r.ageMinutes)}</span></Tooltip>,
      filtering: false,
      width: '56px',
    },
  );
  if (options.decided) {
    columns.push(
      { title: 'My decision', field: 'status', render: r => {
        const mine = r.reviews.find(v => v.reviewer === me.userRef);
        return mine ? (mine.decision === 'approve' ? 'approved' : 'denied') : '—';
      }, filtering: false },
      { title: 'Outcome', field: 'status', render: r => <StatusChip status={r.status} testId="request-status" /> },
    );
  } else {
    columns.push(
      {
        title: 'Deadline',
        field: 'expiresAt',
        defaultSort: 'asc',
        render: r => formatTime(r.expiresAt),
        filtering: false,
      },
      { title: 'Approvals needed', field: 'missing', type: 'numeric', filtering: false },
    );
  }
  columns.push({
    title: 'Risk',
    field: 'risk',
    lookup: { high: 'high', medium: 'medium', low: 'low' },
    customSort: (a, b) => RISK_ORDER[a.risk] - RISK_ORDER[b.risk],
    render: r => (
      <Chip size="small" label={r.risk} style={{ backgroundColor: RISK_COLOR[r.risk], color: '#fff' }} data-testid="risk" />
    ),
  });
  if (!options.decided) {
    columns.push({
      title: 'Decide',
      filtering: false,
      sorting: false,
      cellStyle: { minWidth: 96 },
      render: r => (
        <div data-testid="inbox-item" data-request-id={r.id}>
          <ReviewPanel compact request={r} onReviewed={(_res, message) => options.onReviewed?.(message)} />
        </div>
      ),
    });
  }
  return columns;
}

function RequestInbox() {
  const api = useApi(accessRequestsApiRef);
  const me = useCurrentUser();
  const inbox = useAsyncRetry(() => api.listRequests({ scope: 'inbox' }), [api]);
  const [message, setMessage] = useState<string>();
  const [bulkResults, setBulkResults] = useState<BulkResult[]>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  // rows keep their identity between renders (the table keeps its sorting and filters)
  const rows = useMemo(() => {
    const now = new Date();
    return (inbox.value?.items ?? []).map(r => toRow(r, now));
  }, [inbox.value]);
  const check = (r: Row) => bulkApprovable(r, me.userRef, me.groups, new Date());
  const selectable = rows.filter(r => check(r).allowed);
  const chosen = selectable.filter(r => selected.has(r.id));
  const selection: Selection = {
    selected,
    check,
    toggle: r =>
      setSelected(prev => {
        const next = new Set(prev);
        if (next.has(r.id)) next.delete(r.id);
        else next.add(r.id);
        return next;
      }),
  };
  const columns = useColumns({
    onReviewed: m => {
      setMessage(m);
      setBulkResults(undefined);
      inbox.retry();
    },
    selection,
  });
  return (
    <>
      {message && (
        <Alert severity="success" data-testid="inbox-decision-result" onClose={() => setMessage(undefined)}>
          {message}
        </Alert>
      )}
      {bulkResults && <BulkResults results={bulkResults} onClose={() => setBulkResults(undefined)} />}
      {inbox.error && (
        <Alert severity="error" action={<Button onClick={inbox.retry}>Retry</Button>}>
          {describeError(inbox.error)}
        </Alert>
      )}
      {inbox.value && rows.length === 0 ? (
        <Box data-testid="inbox-empty">
          <EmptyState
            missing="data"
            title="Nothing to review"
            description="Requests that need your approval appear here, with the oldest deadline first. You also get a notification for each."
          />
        </Box>
      ) : (
        <>
          {selectable.length > 0 && (
            <Box display="flex" alignItems="center" style={{ gap: 8 }}>
              <BulkApproveBar
                selected={chosen}
                onClear={() => setSelected(new Set())}
                onDone={results => {
                  setBulkResults(results);
                  setMessage(undefined);
                  setSelected(new Set());
                  inbox.retry();
                }}
              />
              {chosen.length < selectable.length && (
                <Button size="small" style={{ marginBottom: 8 }} onClick={() => setSelected(new Set(selectable.map(r => r.id)))}>
                  Select all {selectable.length} I may approve
                </Button>
              )}
            </Box>
          )}
          <Table<Row>
            title={`To decide (${rows.length})`}
            isLoading={inbox.loading && !inbox.value}
            options={{ paging: rows.length > 20, pageSize: 20, search: true, filtering: true, padding: 'dense' }}
            columns={columns}
            data={rows}
          />
        </>
      )}
    </>
  );
}

function DecidedByMe() {
  const api = useApi(accessRequestsApiRef);
  const me = useCurrentUser();
  // scope=reviewed: what I reviewed, readable without read-all (an owner-group approver has none)
  const all = useAsyncRetry(() => api.listRequests({ scope: 'reviewed' }), [api]);
  const columns = useColumns({ decided: true });
  const now = new Date();
  const rows = (all.value?.items ?? [])
    .filter(r => me.userRef && r.reviews.some(v => v.reviewer === me.userRef))
    .map(r => toRow(r, now));
  return (
    <>
      {all.error && <Alert severity="error">{describeError(all.error)}</Alert>}
      <Table<Row>
        title={`Decided by me (${rows.length})`}
        isLoading={all.loading}
        options={{ paging: true, pageSize: 20, search: true, filtering: true, padding: 'dense' }}
        columns={columns}
        data={rows}
        emptyContent={<Box p={2}>You have not reviewed any request yet.</Box>}
      />
    </>
  );
}
