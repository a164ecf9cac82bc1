import { useState } from 'react';
import { Box, Button, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  AccessRequest,
  Grant,
  denyEndsRequest,
} from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { PersonName } from './Names';
import { ReasonDialog } from './ReasonDialog';
import { approvalsStillNeeded } from './RemainingApprovals';

/** What happened after a review, in a sentence with what comes next. */
export function reviewOutcomeText(decision: 'approve' | 'deny', result: AccessRequest): string {
  if (result.status === 'approved') return 'Approved. The request is complete and the access is being set up.';
  if (result.status === 'denied') return 'Denied. The requester sees your reason.';
  const missing = approvalsStillNeeded(result.remaining);
  return decision === 'approve'
    ? `Approved. ${missing} more approval${missing === 1 ? '' : 's'} needed before access is granted.`
    : 'Denial recorded. The request stays open until enough reviewers deny it or it is approved.';
}

/**
 * Approve / Deny, shown only when the caller has checked mayReviewRequest. Both ask for
 * confirmation; Deny needs a reason, which the requester sees. The backend still decides.
 */
export function ReviewPanel(props: {
  request: AccessRequest;
  onReviewed?: (result: { request: AccessRequest; grant?: Grant }, message: string) => void;
  compact?: boolean;
}) {
  const { request, onReviewed, compact } = props;
  const api = useApi(accessRequestsApiRef);
  const [dialog, setDialog] = useState<'approve' | 'deny'>();
  const [done, setDone] = useState<string>();
  const role = request.policy.roles.find(r => r.id === request.roleId);
  const ends = denyEndsRequest(request);

  const decide = async (decision: 'approve' | 'deny', comment: string) => {
    const result = await api.review(request.id, { decision, ...(comment ? { comment } : {}) });
    const message = reviewOutcomeText(decision, result.request);
    setDone(message);
    onReviewed?.(result, message);
  };

  return (
    <Box data-testid="review-panel" mt={compact ? 0 : 1}>
      {done && (
        <Alert severity="success" data-testid="review-result">
          {done}
        </Alert>
      )}
      <Box mt={compact ? 0 : 1} display="flex" style={{ gap: 8, flexWrap: 'wrap' }}>
        <Button variant="contained" color="primary" size={compact ? 'small' : 'medium'} style={{ whiteSpace: 'nowrap' }} onClick={() => setDialog('approve')}>
          Approve
        </Button>
        <Button variant="outlined" size={compact ? 'small' : 'medium'} style={{ whiteSpace: 'nowrap' }} onClick={() => setDialog('deny')}>
          Deny
        </Button>
      </Box>
      <ReasonDialog
        open={dialog === 'approve'}
        title="Approve this request?"
        confirmLabel="Approve"
        optional
        testId="approve-dialog"
        onClose={() => setDialog(undefined)}
        onConfirm={c => decide('approve', c)}
      >
        <Typography variant="body2">
          <PersonName entityRef={request.requester} /> asks for <strong>{role?.title ?? request.roleId}</strong>.
          Your approval counts once; the requester sees your comment.
        </Typography>
      </ReasonDialog>
      <ReasonDialog
        open={dialog === 'deny'}
        title="Deny this request?"
        confirmLabel="Deny request"
        danger
        testId="deny-dialog"
        onClose={() => setDialog(undefined)}
        onConfirm={c => decide('deny', c)}
      >
        <Typography variant="body2" data-testid="deny-consequence">
          {ends
            ? 'Denying ends this request now; it cannot be approved afterwards. '
            : 'Your denial is recorded; the request stays open until enough reviewers deny it. '}
          <PersonName entityRef={request.requester} /> sees your reason.
        </Typography>
      </ReasonDialog>
    </Box>
  );
}
