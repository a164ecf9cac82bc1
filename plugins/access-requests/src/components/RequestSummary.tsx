import { Box, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { AccessRequest, denialReason } from '@internal/plugin-access-requests-common';
import { PersonName, ResourceLink, RoleTitle } from './Names';
import { PolicySummary } from './PolicySummary';
import { RemainingApprovals } from './RemainingApprovals';
import { StatusChip } from './RequestStatusChip';
import { formatMinutes, formatTime } from './format';

/** A decided request's outcome in a sentence: who decided, why, and when. */
export function RequestOutcome(props: { request: AccessRequest }) {
  const { request } = props;
  if (request.status === 'pending') return null;
  const denial = denialReason(request);
  const when = request.decidedAt ? ` on ${formatTime(request.decidedAt)}` : '';
  let body: React.ReactNode;
  let severity: 'success' | 'error' | 'info' = 'info';
  switch (request.status) {
    case 'approved':
      severity = 'success';
      body = request.selfService ? `Approved automatically (self-service role)${when}.` : `Approved${when}: every required approval is in.`;
      break;
    case 'denied':
      severity = 'error';
      body = (
        <>
          Denied{when}
          {denial ? (
            <>
              {' '}by <PersonName entityRef={denial.reviewer} />.{' '}
              <span data-testid="denial-reason">
                {denial.comment ? `Reason: “${denial.comment}”` : 'No reason was given.'}
              </span>
            </>
          ) : (
            '.'
          )}
        </>
      );
      break;
    case 'withdrawn':
      body = `Withdrawn by the requester${when}.`;
      break;
    case 'expired':
      body = `Expired: nobody decided it before its deadline (${formatTime(request.expiresAt)}).`;
      break;
    default:
      body = request.status;
  }
  return (
    <Alert severity={severity} data-testid="request-outcome" data-status={request.status}>
      {body}
    </Alert>
  );
}

/** Everything a reviewer needs to decide: who, what, why, the policy, the reviews. */
export function RequestSummary(props: { request: AccessRequest; showPolicy?: boolean }) {
  const { request, showPolicy = true } = props;
  return (
    <Box data-testid="request-summary" data-request-id={request.id}>
      <Typography variant="body1">
        <StatusChip status={request.status} testId="request-status" />{' '}
        <strong>
          <PersonName entityRef={request.requester} />
        </strong>{' '}
        asks for <strong><RoleTitle roleId={request.roleId} policy={request.policy} /></strong> on{' '}
        <ResourceLink entityRef={request.resourceRef} /> for {formatMinutes(request.durationMinutes)}
      </Typography>
      <Typography variant="body2">
        Justification: {request.justification || '—'}
        {request.ticket ? ` · Ticket: ${request.ticket}` : ''}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        Asked {formatTime(request.createdAt)}
        {request.status === 'pending' && ` · must be decided by ${formatTime(request.expiresAt)}`}
        {request.renewsGrantId ? ' · extends an existing access' : ''}
      </Typography>
      <Box mt={1}>
        {request.status === 'pending' ? (
          <RemainingApprovals remaining={request.remaining} reviews={request.reviews} />
        ) : (
          <RequestOutcome request={request} />
        )}
      </Box>
      <Box mt={1}>
        <Typography variant="subtitle2">Reviews</Typography>
        {request.reviews.length === 0 ? (
          <Typography variant="body2">None yet.</Typography>
        ) : (
          <ul data-testid="reviews">
            {request.reviews.map(r => (
              <li key={`${r.reviewer}-${r.createdAt}`}>
                <Typography variant="body2">
                  <PersonName entityRef={r.reviewer} /> {r.decision === 'approve' ? 'approved' : 'denied'}
                  {r.asGroup ? (
                    <>
                      {' '}(for <PersonName entityRef={r.asGroup} />)
                    </>
                  ) : null}{' '}
                  on {formatTime(r.createdAt)}
                  {r.comment ? `: “${r.comment}”` : ''}
                </Typography>
              </li>
            ))}
          </ul>
        )}
      </Box>
      {showPolicy && (
        <Box mt={1}>
          <Typography variant="subtitle2">
            The rules for this request (as they were when it was made
            {request.policy.frozenAt ? `, ${formatTime(request.policy.frozenAt)}` : ''}; later policy edits do not change them)
          </Typography>
          <PolicySummary policy={request.policy} highlightRoleId={request.roleId} />
        </Box>
      )}
    </Box>
  );
}
