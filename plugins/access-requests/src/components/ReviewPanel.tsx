import { useState } from 'react';
import { Box, Button, TextField } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/frontend-plugin-api';
import { AccessRequest, Grant } from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { describeError } from './format';

/**
 * Approve / Deny with a comment. The backend decides who may review (no
 * self-approval, current group membership, one review per person); its
 * refusals (403, 409) are shown as they come.
 */
export function ReviewPanel(props: {
  request: AccessRequest;
  onReviewed?: (result: { request: AccessRequest; grant?: Grant }) => void;
}) {
  const { request, onReviewed } = props;
  const api = useApi(accessRequestsApiRef);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  const decide = async (decision: 'approve' | 'deny') => {
    setError(undefined);
    setDone(undefined);
    setBusy(true);
    try {
      const result = await api.review(request.id, {
        decision,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      });
      setDone(
        decision === 'approve'
          ? `Approved. The request is now ${result.request.status}.`
          : `Denied. The request is now ${result.request.status}.`,
      );
      onReviewed?.(result);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const idPrefix = `review-${request.id}`;
  return (
    <Box data-testid="review-panel" mt={1}>
      {error && (
        <Alert severity="error" role="alert" data-testid="review-error">
          {error}
        </Alert>
      )}
      {done && (
        <Alert severity="success" data-testid="review-result">
          {done}
        </Alert>
      )}
      <TextField
        id={`${idPrefix}-comment`}
        label="Review comment"
        fullWidth
        multiline
        margin="dense"
        value={comment}
        onChange={e => setComment(e.target.value)}
      />
      <Box mt={1} display="flex" style={{ gap: 8 }}>
        <Button
          variant="contained"
          color="primary"
          disabled={busy}
          onClick={() => decide('approve')}
        >
          Approve
        </Button>
        <Button variant="outlined" disabled={busy} onClick={() => decide('deny')}>
          Deny
        </Button>
      </Box>
    </Box>
  );
}
