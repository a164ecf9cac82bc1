import { Chip } from '@material-ui/core';
import { RequestStatus } from '@internal/plugin-access-requests-common';
import { GrantDisplayState } from './format';

const COLORS: Record<string, string> = {
  pending: '#ed6c02',
  approved: '#2e7d32',
  active: '#2e7d32',
  denied: '#d32f2f',
  failed: '#d32f2f',
  revoked: '#d32f2f',
  expired: '#757575',
  withdrawn: '#757575',
  scheduled: '#1f5493',
  provisioning: '#1f5493',
};

export function StatusChip(props: {
  status: RequestStatus | GrantDisplayState;
  testId?: string;
  grantId?: string;
}) {
  return (
    <Chip
      size="small"
      label={props.status}
      data-testid={props.testId ?? 'status-chip'}
      data-status={props.status}
      data-grant-id={props.grantId}
      style={{ backgroundColor: COLORS[props.status], color: '#fff' }}
    />
  );
}
