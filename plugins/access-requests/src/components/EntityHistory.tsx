import { useMemo } from 'react';
import { Link, Table, TableColumn } from '@backstage/core-components';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { AccessRequest, FrozenPolicySummary, Grant } from '@internal/plugin-access-requests-common';
import { grantRouteRef, requestRouteRef } from '../routes';
import { PersonName, RoleTitle } from './Names';
import { formatTime } from './format';

export interface HistoryRow {
  key: string;
  at: string;
  kind: 'request' | 'grant';
  /** machine name of the event, e.g. request-denied, review-approve, revoked */
  event: string;
  /** the sentence shown */
  text: string;
  /** whose access it is about */
  subject: string;
  roleId: string;
  /** who did it; undefined for the portal itself */
  actor?: string;
  comment?: string;
  requestId?: string;
  grantId?: string;
}

const REQUEST_OUTCOME: Record<string, string> = {
  approved: 'Request approved',
  denied: 'Request denied',
  withdrawn: 'Request withdrawn',
  expired: 'Request expired (nobody decided in time)',
};

const GRANT_EVENT: Record<string, string> = {
  created: 'Access granted',
  'break-glass': 'Break-glass access taken',
  provisioned: 'Access set up',
  'provisioning-failed': 'Setting up access failed',
  'provisioning-resumed': 'Setting up access resumed',
  retry: 'Setting up access retried',
  revoked: 'Access revoked',
  expired: 'Access expired',
  deprovisioned: 'Access removed from the resource',
  'deprovision-failed': 'Removing access failed',
  'deprovision-skipped': 'Access kept (another grant still holds it)',
  'reminder-sent': 'Expiry reminder sent',
  'post-hoc-confirm': 'Break-glass use confirmed',
  'post-hoc-flag': 'Break-glass use flagged',
  'post-hoc-complete': 'Break-glass reviews complete',
};

const isPerson = (ref: string | undefined) => !!ref && (ref.startsWith('user:') || ref.startsWith('group:'));

/**
 * One history of a resource, newest first: each request (asked, every review with its comment,
 * and its outcome — a denied request appears with the denial) and each grant's events. The
 * caller passes only what the person may read (their own, or everything with read-all).
 */
export function historyRows(grants: Grant[], requests: AccessRequest[]): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (const r of requests) {
    const base = { kind: 'request' as const, subject: r.requester, roleId: r.roleId, requestId: r.id, grantId: r.grantId };
    rows.push({
      ...base, key: `${r.id}-asked`, at: r.createdAt, event: 'request-created', actor: r.requester,
      text: r.renewsGrantId ? 'Asked to extend access' : 'Asked for access', comment: r.justification || undefined,
    });
    for (const v of r.reviews) {
      rows.push({
        ...base, key: `${r.id}-review-${v.reviewer}`, at: v.createdAt, event: `review-${v.decision}`, actor: v.reviewer,
        text: v.decision === 'approve' ? 'Approved' : 'Denied', comment: v.comment || undefined,
      });
    }
    if (r.status !== 'pending') {
      const at = r.decidedAt ?? (r.status === 'expired' ? r.expiresAt : r.createdAt);
      rows.push({
        ...base, key: `${r.id}-outcome`, at, event: `request-${r.status}`,
        actor: r.status === 'withdrawn' ? r.requester : undefined,
        text: r.selfService && r.status === 'approved' ? 'Request approved (self-service role)' : REQUEST_OUTCOME[r.status] ?? r.status,
      });
    }
  }
  for (const g of grants) {
    for (const h of g.history) {
      const reason = typeof h.details?.reason === 'string' ? h.details.reason : typeof h.details?.comment === 'string' ? h.details.comment : undefined;
      rows.push({
        key: `${g.id}-${h.event}-${h.at}`, kind: 'grant', at: h.at, event: h.event, subject: g.userRef, roleId: g.roleId,
        actor: isPerson(h.actor) ? h.actor : undefined, grantId: g.id, requestId: g.requestId,
        text: GRANT_EVENT[h.event] ?? h.event.replace(/-/g, ' '), comment: reason,
      });
    }
  }
  return rows.sort((a, b) => b.at.localeCompare(a.at) || a.key.localeCompare(b.key));
}

/** The History table of the entity's Access tab. */
export function EntityHistory(props: {
  grants: Grant[];
  requests: AccessRequest[];
  policy: Pick<FrozenPolicySummary, 'roles'>;
  everyone: boolean;
  loading?: boolean;
}) {
  const { grants, requests, policy, everyone, loading } = props;
  const requestLink = useRouteRef(requestRouteRef);
  const grantLink = useRouteRef(grantRouteRef);
  const rows = useMemo(() => historyRows(grants, requests), [grants, requests]);
  const columns: TableColumn<HistoryRow>[] = [
    { title: 'When', field: 'at', defaultSort: 'desc', render: h => formatTime(h.at) },
    {
      title: 'What',
      field: 'text',
      render: h => (
        <span data-testid="history-row" data-kind={h.kind} data-event={h.event} data-request-id={h.requestId ?? ''}>
          {h.text}
          {h.comment ? `: “${h.comment}”` : ''}
        </span>
      ),
    },
    { title: 'Whose access', render: h => <PersonName entityRef={h.subject} /> },
    { title: 'Role', render: h => <RoleTitle roleId={h.roleId} policy={policy} /> },
    { title: 'By', render: h => (h.actor ? <PersonName entityRef={h.actor} /> : 'the portal') },
    {
      title: 'Details',
      sorting: false,
      render: h => {
        if (h.kind === 'request' && h.requestId && requestLink) return <Link to={requestLink({ id: h.requestId })}>request</Link>;
        if (h.grantId && grantLink) return <Link to={grantLink({ id: h.grantId })}>access</Link>;
        return null;
      },
    },
  ];
  return (
    <Table<HistoryRow>
      title="History"
      subtitle={everyone ? 'Every request and grant on this resource' : 'Your requests and grants on this resource'}
      isLoading={loading}
      options={{ paging: true, pageSize: 20, search: true, padding: 'dense' }}
      columns={columns}
      data={rows}
      emptyContent={<div style={{ padding: 16 }}>No requests or grants on this resource yet.</div>}
    />
  );
}
