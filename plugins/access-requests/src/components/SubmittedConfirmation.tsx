import { Fragment } from 'react';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsync from 'react-use/esm/useAsync';
import { AccessRequest, DecisionTimeSummary } from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { PersonName } from './Names';
import { approvalsStillNeeded } from './RemainingApprovals';
import { formatMinutes, formatTime } from './format';

/** "usually decided within 2 h (median of the last 5 decisions you can see here)". */
export function decisionTimeText(summary: DecisionTimeSummary | undefined): string | undefined {
  if (!summary || summary.medianMinutes === undefined || summary.decided === 0) return undefined;
  const where = summary.basis === 'policy' ? 'on resources under the same policy' : 'on this resource';
  const within = summary.medianMinutes < 1 ? 'less than a minute' : formatMinutes(summary.medianMinutes);
  const of = summary.decided === 1 ? 'the one earlier decision' : `the last ${summary.decided} decisions`;
  return `Requests ${where} are usually decided within ${within} (median of ${of} you can see).`;
}

/** The people notified of a new request: current members of its approval groups, not the requester. */
export function useApprovers(request: AccessRequest): { loading: boolean; byGroup: Array<{ group: string; members: string[] }> } {
  // optional: without a catalog the refs' names are shown
  const catalog = useApiHolder().get(catalogApiRef);
  // the approval steps' groups (merged per group), as the backend notifies them
  const groups = [...new Set(request.remaining.map(r => r.group))];
  const state = useAsync(async () => {
    return Promise.all(
      groups.map(async group => {
        const entity = catalog ? await catalog.getEntityByRef(group).catch(() => undefined) : undefined;
        const members = (entity?.relations ?? [])
          .filter(r => r.type === 'hasMember')
          .map(r => stringifyEntityRef(parseEntityRef(r.targetRef)))
          .filter(m => m !== request.requester)
          .sort();
        return { group, members };
      }),
    );
  }, [catalog, request.id]);
  return { loading: state.loading, byGroup: state.value ?? groups.map(group => ({ group, members: [] })) };
}

function joinNodes(nodes: JSX.Element[]): JSX.Element {
  return (
    <>
      {nodes.map((n, i) => (
        <Fragment key={i}>
          {i > 0 ? (i === nodes.length - 1 ? ' and ' : ', ') : ''}
          {n}
        </Fragment>
      ))}
    </>
  );
}

/**
 * Shown to the requester right after submitting: who was told (the approvers by name, from the
 * request's frozen approval steps), how many approvals are needed, the deadline, and how long
 * requests here usually take (GET /decision-times, over the decided requests they may read).
 */
export function SubmittedConfirmation(props: { request: AccessRequest }) {
  const { request } = props;
  const api = useApi(accessRequestsApiRef);
  const approvers = useApprovers(request);
  const timing = useAsync(
    () => api.decisionTime({ resourceRef: request.resourceRef, policy: request.policy.name }),
    [api, request.id],
  );
  if (request.status === 'approved' && request.selfService) {
    return (
      <Alert severity="success" data-testid="submitted-confirmation">
        Approved at once: this role is self-service under the resource's policy. Your access is being set up.
      </Alert>
    );
  }
  if (request.status !== 'pending') return null;
  const missing = approvalsStillNeeded(request.remaining);
  const people = approvers.byGroup.filter(g => g.members.length > 0);
  const usually = decisionTimeText(timing.value);
  return (
    <Alert severity="success" data-testid="submitted-confirmation">
      <Typography variant="body2" data-testid="notified-approvers">
        <strong>Request sent.</strong>{' '}
        {approvers.loading ? (
          'Finding who was notified…'
        ) : people.length > 0 ? (
          <>
            Sent to{' '}
            {joinNodes(
              people.map(g => (
                <span key={g.group}>
                  {joinNodes(g.members.map(m => <PersonName key={m} entityRef={m} />))} (<PersonName entityRef={g.group} />)
                </span>
              )),
            )}
            .
          </>
        ) : (
          <>
            Sent to the approver group{approvers.byGroup.length === 1 ? '' : 's'}{' '}
            {joinNodes(approvers.byGroup.map(g => <PersonName key={g.group} entityRef={g.group} />))}.
          </>
        )}{' '}
        {missing} approval{missing === 1 ? '' : 's'} needed; if nobody decides by {formatTime(request.expiresAt)}, it expires.
      </Typography>
      <Typography variant="body2" data-testid="decision-time" data-basis={timing.value?.basis ?? ''}>
        {timing.loading
          ? 'Working out how long requests here usually take…'
          : usually ?? 'There are no earlier decisions here you can see, so no estimate of how long it takes yet.'}
      </Typography>
    </Alert>
  );
}
