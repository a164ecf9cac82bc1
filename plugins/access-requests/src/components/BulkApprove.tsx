import { useState } from 'react';
import { Box, Button, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/frontend-plugin-api';
import { AccessRequest, ActionCheck, mayReviewRequest } from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { PersonName, ResourceLink, RoleTitle } from './Names';
import { ReasonDialog } from './ReasonDialog';
import { reviewOutcomeText } from './ReviewPanel';
import { describeError, formatMinutes } from './format';

/** How risky granting a request is (see requestRisk in InboxPage). */
type WithRisk = AccessRequest & { risk: 'high' | 'medium' | 'low' };

/**
 * Whether a request may be approved together with others: only when the person may decide it
 * (the shared -common rule the backend enforces: pending, in time, not their own, not reviewed
 * yet, a current approver) and it is not high-risk (broad or write roles are approved one at a
 * time, after reading the request). Deny is never bulk: each denial needs its own reason.
 */
export function bulkApprovable(
  request: WithRisk,
  user: string | undefined,
  groups: string[],
  now: Date,
): ActionCheck {
  if (!user) return { allowed: false, reason: 'Signing you in…' };
  const review = mayReviewRequest(request, user, groups, now);
  if (!review.allowed) return review;
  if (request.risk === 'high') {
    return { allowed: false, reason: 'High-risk requests are approved one at a time.' };
  }
  return { allowed: true };
}

export interface BulkResult {
  request: AccessRequest;
  ok: boolean;
  message: string;
}

/**
 * Approves each selected request with its own POST /requests/:id/reviews, one after the
 * other, so every decision goes through the same backend rules; returns one result per request
 * (a refusal for one does not stop the others).
 */
export async function approveEach(
  api: { review: (id: string, body: { decision: 'approve'; comment?: string }) => Promise<{ request: AccessRequest }> },
  requests: AccessRequest[],
  comment: string,
  onProgress?: (done: number) => void,
): Promise<BulkResult[]> {
  const results: BulkResult[] = [];
  for (const request of requests) {
    try {
      const { request: after } = await api.review(request.id, { decision: 'approve', ...(comment ? { comment } : {}) });
      results.push({ request, ok: true, message: reviewOutcomeText('approve', after) });
    } catch (e) {
      results.push({ request, ok: false, message: describeError(e) });
    }
    onProgress?.(results.length);
  }
  return results;
}

/** The "Approve selected" bar of the inbox: a confirmation naming how many and which, then per-request results. */
export function BulkApproveBar(props: {
  selected: WithRisk[];
  onClear: () => void;
  onDone: (results: BulkResult[]) => void;
}) {
  const { selected, onClear, onDone } = props;
  const api = useApi(accessRequestsApiRef);
  const [open, setOpen] = useState(false);
  const [progress, setProgress] = useState<number>();
  const n = selected.length;
  const plural = n === 1 ? 'request' : 'requests';
  return (
    <Box display="flex" alignItems="center" style={{ gap: 8 }} mb={1} data-testid="bulk-bar">
      <Typography variant="body2" data-testid="bulk-count" data-count={n}>
        {n === 0 ? 'Select requests to approve them together.' : `${n} ${plural} selected`}
      </Typography>
      <Button variant="contained" color="primary" size="small" disabled={n === 0} onClick={() => setOpen(true)} data-testid="bulk-approve">
        Approve selected{n ? ` (${n})` : ''}
      </Button>
      {n > 0 && (
        <Button size="small" onClick={onClear}>
          Clear selection
        </Button>
      )}
      {progress !== undefined && (
        <Typography variant="body2" color="textSecondary">
          Approving… {progress} of {n}
        </Typography>
      )}
      <ReasonDialog
        open={open}
        title={`Approve ${n} ${plural}?`}
        confirmLabel={`Approve ${n} ${plural}`}
        optional
        testId="bulk-approve-dialog"
        onClose={() => setOpen(false)}
        onConfirm={async comment => {
          setProgress(0);
          try {
            onDone(await approveEach(api, selected, comment, setProgress));
          } finally {
            setProgress(undefined);
          }
        }}
      >
        <Typography variant="body2">
          Each approval counts once and is checked on its own; the requesters see your comment. Deny is
          not offered here: each denial needs its own reason.
        </Typography>
        <ul data-testid="bulk-approve-list">
          {selected.map(r => (
            <li key={r.id} data-request-id={r.id}>
              <Typography variant="body2">
                <PersonName entityRef={r.requester} /> — <RoleTitle roleId={r.roleId} policy={r.policy} /> on{' '}
                <ResourceLink entityRef={r.resourceRef} /> for {formatMinutes(r.durationMinutes)}
              </Typography>
            </li>
          ))}
        </ul>
      </ReasonDialog>
    </Box>
  );
}

/** What happened to each request of a bulk approval. */
export function BulkResults(props: { results: BulkResult[]; onClose: () => void }) {
  const { results, onClose } = props;
  const failed = results.filter(r => !r.ok).length;
  return (
    <Alert severity={failed ? 'warning' : 'success'} onClose={onClose} data-testid="bulk-results">
      <Typography variant="body2">
        {results.length - failed} of {results.length} approved{failed ? `; ${failed} refused` : ''}.
      </Typography>
      <ul style={{ margin: 0 }}>
        {results.map(r => (
          <li key={r.request.id} data-testid="bulk-result" data-request-id={r.request.id} data-ok={String(r.ok)}>
            <Typography variant="body2">
              <PersonName entityRef={r.request.requester} /> — <RoleTitle roleId={r.request.roleId} policy={r.request.policy} />:{' '}
              {r.message}
            </Typography>
          </li>
        ))}
      </ul>
    </Alert>
  );
}
