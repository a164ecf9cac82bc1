import { Box, Typography } from '@material-ui/core';
import { AccessRequest } from '@internal/plugin-access-requests-common';
import { PolicySummary } from './PolicySummary';
import { RemainingApprovals } from './RemainingApprovals';
import { StatusChip } from './RequestStatusChip';
import { formatMinutes, formatTime, shortRef } from './format';

/** Everything a reviewer needs to decide: who, what, why, the frozen policy, the reviews. */
export function RequestSummary(props: { request: AccessRequest; showPolicy?: boolean }) {
  const { request, showPolicy = true } = props;
  const role = request.policy.roles.find(r => r.id === request.roleId);
  return (
    <Box data-testid="request-summary" data-request-id={request.id}>
      <Typography variant="body1">
        <StatusChip status={request.status} testId="request-status" />{' '}
        <strong>{shortRef(request.requester)}</strong> requests{' '}
        <strong>{role?.title ?? request.roleId}</strong> on{' '}
        <code>{request.resourceRef}</code> for {formatMinutes(request.durationMinutes)}
      </Typography>
      <Typography variant="body2">
        Justification: {request.justification || '—'}
        {request.ticket ? ` · Ticket: ${request.ticket}` : ''}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        Created {formatTime(request.createdAt)}
        {request.status === 'pending' &&
          ` · must be decided by ${formatTime(request.expiresAt)}`}
        {request.status !== 'pending' &&
          request.decidedAt &&
          ` · decided ${formatTime(request.decidedAt)}`}
        {request.renewsGrantId ? ` · renews grant ${request.renewsGrantId}` : ''}
      </Typography>
      <Box mt={1}>
        <RemainingApprovals remaining={request.remaining} reviews={request.reviews} />
      </Box>
      <Box mt={1}>
        <Typography variant="subtitle2">Reviews so far</Typography>
        {request.reviews.length === 0 ? (
          <Typography variant="body2">None yet.</Typography>
        ) : (
          <ul data-testid="reviews">
            {request.reviews.map(r => (
              <li key={`${r.reviewer}-${r.createdAt}`}>
                <Typography variant="body2">
                  {shortRef(r.reviewer)} {r.decision === 'approve' ? 'approved' : 'denied'}
                  {r.asGroup ? ` (as ${shortRef(r.asGroup)})` : ''} on{' '}
                  {formatTime(r.createdAt)}
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
            Frozen policy (as it was when the request was made
            {request.policy.frozenAt ? `, ${formatTime(request.policy.frozenAt)}` : ''})
          </Typography>
          <PolicySummary policy={request.policy} highlightRoleId={request.roleId} />
        </Box>
      )}
    </Box>
  );
}
