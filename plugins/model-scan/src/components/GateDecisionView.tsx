import { StatusError, StatusOK } from '@backstage/core-components';
import { Box, Typography } from '@material-ui/core';
import { GateDecision } from '../api/types';

/** The promotion gate's answer for one target: allowed or refused, and why. */
export function GateDecisionView(props: { decision: GateDecision }) {
  const { decision } = props;
  return (
    <Box
      data-testid="gate-decision"
      data-allowed={decision.allowed ? 'true' : 'false'}
    >
      <Typography variant="body1">
        {decision.allowed ? (
          <StatusOK>Gate: allowed</StatusOK>
        ) : (
          <StatusError>Gate: refused</StatusError>
        )}{' '}
        <code style={{ wordBreak: 'break-all' }}>{decision.target}</code>
      </Typography>
      {decision.reasons.length > 0 && (
        <ul>
          {decision.reasons.map(r => (
            <li key={r}>
              <Typography variant="body2">{r}</Typography>
            </li>
          ))}
        </ul>
      )}
    </Box>
  );
}
