import { Box, Typography } from '@material-ui/core';
import { RemainingApproval, Review } from '@internal/plugin-access-requests-common';
import { PersonName } from './Names';

/** Total approvals still missing over all steps. */
export function approvalsStillNeeded(remaining: RemainingApproval[]): number {
  return remaining.reduce((n, r) => n + Math.max(0, r.needed - r.have), 0);
}

/**
 * "2 more approvals needed: 2 from security-reviewers (0 of 2)", and who
 * has approved so far.
 */
export function RemainingApprovals(props: {
  remaining: RemainingApproval[];
  reviews?: Review[];
}) {
  const { remaining, reviews = [] } = props;
  const missing = approvalsStillNeeded(remaining);
  return (
    <Box data-testid="remaining-approvals" data-missing={missing}>
      <Typography variant="body2">
        <strong>
          {missing === 0
            ? 'All required approvals are in'
            : `${missing} more approval${missing === 1 ? '' : 's'} needed`}
        </strong>
      </Typography>
      {remaining.map(r => {
        const approvers = reviews.filter(v => v.decision === 'approve' && v.asGroup === r.group);
        const still = Math.max(0, r.needed - r.have);
        return (
          <Typography key={r.group} variant="body2">
            {still > 0 ? `${still} from ` : ''}
            <PersonName entityRef={r.group} />
            {still > 0 ? '' : ': complete'} ({r.have} of {r.needed}
            {approvers.map((v, i) => (
              <span key={v.reviewer}>
                {i === 0 ? ': ' : ', '}
                <PersonName entityRef={v.reviewer} />
              </span>
            ))}
            )
          </Typography>
        );
      })}
    </Box>
  );
}
