import { useState } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Button, Grid, TextField, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Grant,
  POST_HOC_REVIEWS_NEEDED,
  PostHocReview,
} from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { BreakGlassChip } from './GrantsTable';
import { describeError, formatTime, shortRef } from './format';


/** How many more post-hoc reviews a break-glass grant needs (0 when done or not break-glass). */
export function postHocReviewsStillNeeded(
  grant: Pick<Grant, 'breakGlass' | 'postHocReviews' | 'postHocReviewsNeeded'>,
): number {
  if (!grant.breakGlass) return 0;
  const needed = grant.postHocReviewsNeeded ?? POST_HOC_REVIEWS_NEEDED;
  const distinct = new Set((grant.postHocReviews ?? []).map(r => r.reviewer))
    .size;
  return Math.max(0, needed - distinct);
}

/** Break-glass grants that still need post-hoc reviews, newest first. */
export function grantsAwaitingPostHocReview(grants: Grant[]): Grant[] {
  return grants
    .filter(g => g.breakGlass && postHocReviewsStillNeeded(g) > 0)
    .sort((a, b) => b.startsAt.localeCompare(a.startsAt));
}

function ReviewList(props: { reviews: PostHocReview[] }) {
  if (!props.reviews.length) {
    return <Typography variant="body2">No post-hoc reviews yet.</Typography>;
  }
  return (
    <ul data-testid="post-hoc-reviewers">
      {props.reviews.map(r => (
        <li key={`${r.reviewer}-${r.createdAt}`}>
          <Typography variant="body2">
            <strong>{shortRef(r.reviewer)}</strong>{' '}
            {r.decision === 'flag' ? 'FLAGGED' : 'confirmed'} at{' '}
            {formatTime(r.createdAt)}
            {r.comment ? `: ${r.comment}` : ''}
          </Typography>
        </li>
      ))}
    </ul>
  );
}

/** Confirm / Flag with a required comment. The backend decides who may (security reviewers, not the holder, once each). */
export function PostHocReviewPanel(props: {
  grant: Grant;
  onReviewed?: (grant: Grant) => void;
}) {
  const { grant, onReviewed } = props;
  const api = useApi(accessRequestsApiRef);
  const [comment, setComment] = useState('');
  const [commentError, setCommentError] = useState<string>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const decide = async (decision: 'confirm' | 'flag') => {
    setError(undefined);
    setDone(undefined);
    if (!comment.trim()) {
      setCommentError('A comment is required for a post-hoc review.');
      return;
    }
    setCommentError(undefined);
    setBusy(true);
    try {
      const { grant: updated } = await api.postHocReview(grant.id, {
        decision,
        comment: comment.trim(),
      });
      setDone(
        `${
          decision === 'confirm' ? 'Confirmed' : 'Flagged'
        }. ${postHocReviewsStillNeeded(
          updated,
        )} more post-hoc review(s) needed.`,
      );
      setComment('');
      onReviewed?.(updated);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box mt={1} data-testid="post-hoc-review-panel">
      {error && (
        <Alert
          severity="error"
          role="alert"
          data-testid="post-hoc-review-error"
        >
          {error}
        </Alert>
      )}
      {done && (
        <Alert severity="success" data-testid="post-hoc-review-result">
          {done}
        </Alert>
      )}
      <TextField
        id={`post-hoc-comment-${grant.id}`}
        label="Post-hoc review comment"
        fullWidth
        multiline
        margin="dense"
        value={comment}
        onChange={e => setComment(e.target.value)}
        error={!!commentError}
        helperText={
          commentError ??
          'Required: was the emergency real and the access appropriate?'
        }
      />
      <Box display="flex" style={{ gap: 8 }} mt={1}>
        <Button
          variant="contained"
          color="primary"
          disabled={busy}
          onClick={() => decide('confirm')}
        >
          Confirm
        </Button>
        <Button
          variant="contained"
          disabled={busy}
          onClick={() => decide('flag')}
          style={{ backgroundColor: '#b71c1c', color: '#fff' }}
        >
          Flag
        </Button>
      </Box>
    </Box>
  );
}

/**
 * "Break-glass reviews": break-glass grants (GET /grants?scope=all) that still need
 * post-hoc reviews. Render only for users with access-requests.grant.post-hoc-review.
 */
export function BreakGlassReviews() {
  const api = useApi(accessRequestsApiRef);
  const grants = useAsyncRetry(() => api.listGrants({ scope: 'all' }), [api]);
  if (grants.loading && !grants.value) return <Progress />;
  if (grants.error) return <ResponseErrorPanel error={grants.error} />;
  const items = grantsAwaitingPostHocReview(grants.value?.items ?? []);
  if (!items.length) {
    return (
      <Typography data-testid="post-hoc-empty">
        No break-glass grant is waiting for a post-hoc review.
      </Typography>
    );
  }
  return (
    <Grid container spacing={3}>
      {items.map(grant => {
        const missing = postHocReviewsStillNeeded(grant);
        return (
          <Grid item xs={12} key={grant.id}>
            <InfoCard
              title={`Break-glass: ${shortRef(grant.userRef)} on ${
                grant.resourceRef
              }`}
            >
              <div data-testid="post-hoc-item" data-grant-id={grant.id}>
                <BreakGlassChip grant={grant} />
                <Typography variant="body2" style={{ marginTop: 8 }}>
                  Role <code>{grant.roleId}</code>, from{' '}
                  {formatTime(grant.startsAt)} until{' '}
                  {formatTime(grant.expiresAt)} ({grant.status})
                </Typography>
                {grant.justification && (
                  <Typography variant="body2">
                    Justification: {grant.justification}
                  </Typography>
                )}
                <Typography
                  variant="body1"
                  data-testid="post-hoc-missing"
                  data-missing={missing}
                  style={{ marginTop: 8, fontWeight: 600 }}
                >
                  {missing} more post-hoc review{missing === 1 ? '' : 's'}{' '}
                  needed
                </Typography>
                <ReviewList reviews={grant.postHocReviews ?? []} />
                <PostHocReviewPanel
                  grant={grant}
                  onReviewed={() => grants.retry()}
                />
              </div>
            </InfoCard>
          </Grid>
        );
      })}
    </Grid>
  );
}
