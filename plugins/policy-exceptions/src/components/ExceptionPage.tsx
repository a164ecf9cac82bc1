import { useState } from 'react';
import { Content, InfoCard, Link, Page, Progress, ResponseErrorPanel, Table } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, Chip, Grid, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import {
  CompensatingCheck,
  ExceptionDetails,
  ExceptionHistoryEntry,
  ExceptionRevision,
  PolicyException,
  policyExceptionReviewPermission,
  policyExceptionRevokePermission,
  requiredApprovalsFor,
} from '@internal/plugin-policy-exceptions-common';
import { Link as RouterLink, useParams, useSearchParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { policyExceptionsApiRef } from '../api/apis';
import { newExceptionRouteRef, rootRouteRef } from '../routes';
import {
  ControlTitle, EntityLink, ExceptionsHeader, NotFoundPanel, PersonName, ReasonDialog, RiskChip, StatusChip, describeError, formatTime, isNotFound, useCurrentUser,
} from './common';

/** What a review would decide now, or undefined when there is nothing to review (same rule as the backend). */
export function reviewTargetOf(e: PolicyException): { revision: number; round: number; owner: string; author?: string; needed: number; kind: string } | undefined {
  const s = e.effectiveStatus ?? e.status;
  if (e.status === 'submitted') return { revision: e.revision, round: e.round, owner: e.content.owner, needed: e.requiredApprovals, kind: 'request' };
  if (s === 'expired' || !(e.status === 'approved' || e.status === 'suspended')) return undefined;
  if (e.pendingRevision) {
    return { revision: e.pendingRevision.revision, round: 1, owner: e.pendingRevision.content.owner, author: e.pendingRevision.createdBy, needed: requiredApprovalsFor(e.pendingRevision.content.risk.rating), kind: 'revision' };
  }
  if (e.status === 'suspended') return { revision: e.revision, round: e.round, owner: e.content.owner, needed: e.requiredApprovals, kind: 're-approval' };
  return undefined;
}

/** Whether `me` may review now: not the requester, not an owner, not the revision's author, not reviewed this round. */
export function mayReview(e: PolicyException, me: string | undefined): boolean {
  const t = reviewTargetOf(e);
  if (!t || !me) return false;
  if (me === e.requester || me === e.content.owner || me === t.owner || me === t.author) return false;
  return !e.reviews.some(r => r.reviewer === me && r.revision === t.revision && r.round === t.round);
}

function Coverage(props: { e: PolicyException }) {
  const { e } = props;
  const s = e.effectiveStatus ?? e.status;
  if (s === 'active') {
    return (
      <Alert severity="info" data-testid="coverage">
        Its findings show as <b>excepted until {formatTime(e.content.endsAt)}</b>, approved by{' '}
        {(e.approvedBy ?? []).map((r, i) => <span key={r}>{i > 0 && ', '}<PersonName entityRef={r} /></span>)}. They open again when it ends.
      </Alert>
    );
  }
  const why: Record<string, string> = {
    draft: 'It is a draft: nothing is excepted until it is submitted and approved.',
    submitted: 'It waits for security reviewers: its findings stay open until it is approved.',
    approved: `It is approved and starts ${formatTime(e.content.startsAt)}; until then its findings stay open.`,
    expired: 'It has ended: its findings are open again.',
    rejected: 'It was rejected: its findings stay open.',
    withdrawn: 'It was withdrawn: its findings stay open.',
    revoked: `It was revoked${e.revokedReason ? ` (${e.revokedReason})` : ''}: its findings are open again.`,
    suspended: `It is suspended (${e.suspension?.cause === 'scope-drift' ? 'the scope drifted' : 'a compensating control is failing'}: ${e.suspension?.detail ?? ''}). Its findings are open until a reviewer re-approves it.`,
  };
  return <Alert severity={s === 'suspended' || s === 'revoked' ? 'warning' : 'info'} data-testid="coverage">{why[s]}</Alert>;
}

const CHECK_COLOR: Record<CompensatingCheck['status'], string> = { passing: '#2e7d32', failing: '#b71c1c', unknown: '#757575' };
const TARGET_WORDS: Record<string, string> = { revision: 'waits for review', 're-approval': 'Waits for re-approval', request: 'Waits for review' };

function CompensatingList(props: { e: PolicyException; checks: CompensatingCheck[] }) {
  return (
    <Box>
      {props.e.content.compensatingControls.map((c, i) => (
        <Box key={i} mb={1} data-testid={`compensating-${i}`}>
          {c.kind === 'catalog' ? (
            <>
              <Typography variant="body2"><ControlTitle controlId={c.controlId} /> must keep passing on the same scope</Typography>
              {props.checks.filter(k => k.controlId === c.controlId).map(k => (
                <Box key={k.entityRef} ml={2} display="flex" alignItems="center" style={{ gap: 8 }}>
                  <Chip size="small" label={k.status} data-testid={`check-${c.controlId}-${k.status}`}
                    style={{ backgroundColor: CHECK_COLOR[k.status], color: '#fff' }} />
                  <EntityLink entityRef={k.entityRef} />
                  <Typography variant="caption">{k.detail ?? ''} — checked {formatTime(k.checkedAt)}</Typography>
                </Box>
              ))}
              {props.checks.every(k => k.controlId !== c.controlId) && <Typography variant="caption">Not checked yet.</Typography>}
            </>
          ) : (
            <>
              <Typography variant="body2"><b>{c.measure}</b> (owner <PersonName entityRef={c.owner} />)</Typography>
              <Typography variant="caption" component="div">Constraint: {c.constraint}</Typography>
              <Typography variant="caption" component="div">Objective: {c.objective}</Typography>
              <Typography variant="caption" component="div">Identified risk: {c.identifiedRisk}</Typography>
              <Typography variant="caption" component="div">Validation: {c.validation}</Typography>
              <Typography variant="caption" component="div">Maintenance: {c.maintenance}</Typography>
              <Typography variant="caption" component="div">Evidence: {c.evidence}</Typography>
            </>
          )}
        </Box>
      ))}
    </Box>
  );
}

/** /policy-exceptions/exceptions/:id */
export function ExceptionPage() {
  const { id = '' } = useParams();
  const [params] = useSearchParams();
  const api = useApi(policyExceptionsApiRef);
  const root = useRouteRef(rootRouteRef);
  const newLink = useRouteRef(newExceptionRouteRef);
  const me = useCurrentUser();
  const reviewer = usePermission({ permission: policyExceptionReviewPermission });
  const revoker = usePermission({ permission: policyExceptionRevokePermission });
  const state = useAsyncRetry(() => api.getException(id), [api, id]);
  const [dialog, setDialog] = useState<'approve' | 'reject' | 'revoke' | 'withdraw' | 're-review'>();
  const [done, setDone] = useState<string>();
  const [actionError, setActionError] = useState<string>();

  if (state.loading) return <Page themeId="tool"><ExceptionsHeader title="Exception" /><Content><Progress /></Content></Page>;
  if (state.error) {
    return (
      <Page themeId="tool">
        <ExceptionsHeader title="Exception" />
        <Content>
          {isNotFound(state.error) ? <NotFoundPanel backTo={root?.()} /> : (<><ResponseErrorPanel error={state.error} /><Button onClick={state.retry}>Retry</Button></>)}
        </Content>
      </Page>
    );
  }
  const details = state.value as ExceptionDetails;
  const e = details.exception;
  const status = e.effectiveStatus ?? e.status;
  const target = reviewTargetOf(e);
  const canReview = reviewer.allowed && mayReview(e, me);
  const isRequester = me === e.requester;
  const canWithdraw = (isRequester && (e.status === 'draft' || e.status === 'submitted')) || (!!e.pendingRevision && (isRequester || me === e.pendingRevision.createdBy) && status !== 'expired');
  const canRevoke = revoker.allowed && (status === 'active' || status === 'approved' || status === 'suspended') && me !== e.requester && me !== e.content.owner;
  const canRevise =
    ((isRequester && (e.status === 'draft' || e.status === 'submitted')) ||
      ((isRequester || me === e.content.owner) && (status === 'active' || status === 'approved' || status === 'suspended')));
  const canReReview = reviewer.allowed && e.status === 'approved' && status !== 'expired' && !e.pendingRevision && me !== e.requester && me !== e.content.owner;
  const approvalsSoFar = target ? new Set(e.reviews.filter(r => r.revision === target.revision && r.round === target.round && r.decision === 'approve').map(r => r.reviewer)).size : 0;

  const act = (what: string, fn: () => Promise<unknown>) => async () => {
    setActionError(undefined);
    await fn();
    setDone(what);
    state.retry();
  };

  return (
    <Page themeId="tool">
      <ExceptionsHeader title="Exception" subtitle={<span>to <ControlTitle controlId={e.controlId} /></span>} reviewer={reviewer.allowed} />
      <Content>
        <Box mb={2}><Link to={`${root?.() ?? ''}?view=mine`}>← All exceptions</Link></Box>
        {params.get('revised') && !done && (
          <Alert severity="success" data-testid="revised-message">
            {e.pendingRevision ? 'Revision sent to the security reviewers; the decided revision stays in force until it is approved.' : 'Saved.'}
          </Alert>
        )}
        {params.get('created') && !done && (
          <Alert severity="success" data-testid="created-message">
            Sent to the security reviewers. {e.requiredApprovals === 2 ? 'Two different reviewers must approve' : 'One reviewer must approve'} before it covers anything;
            you and the owner are notified of each decision.
          </Alert>
        )}
        {done && <Alert severity="success" data-testid="action-message">{done}</Alert>}
        {actionError && <Alert severity="error">{actionError}</Alert>}
        <Grid container spacing={3}>
          <Grid item xs={12} md={7}>
            <InfoCard title={<Box display="flex" alignItems="center" style={{ gap: 8 }}><ControlTitle controlId={e.controlId} /><StatusChip status={status} /><RiskChip rating={e.content.risk.rating} /></Box>}>
              <Coverage e={e} />
              <Box mt={2}>
                <Typography variant="subtitle2">Scope</Typography>
                {e.content.scope.entityRefs.map(r => <Box key={r}><EntityLink entityRef={r} /></Box>)}
                <Typography variant="body2" data-testid="finding-key">{e.content.scope.findingKey ? `Finding ${e.content.scope.findingKey}` : 'Every finding of the control on these entities'}</Typography>
              </Box>
              <Box mt={2}>
                <Typography variant="subtitle2">Justification ({e.content.reasonCategory.replace('-', ' ')})</Typography>
                <Typography variant="body2" style={{ whiteSpace: 'pre-wrap' }}>{e.content.justification}</Typography>
              </Box>
              <Box mt={2}>
                <Typography variant="body2">Requested by <PersonName entityRef={e.requester} />, owned by <PersonName entityRef={e.content.owner} /></Typography>
                <Typography variant="body2">Risk: likelihood {e.content.risk.likelihood}, impact {e.content.risk.impact} → {e.content.risk.rating}</Typography>
                <Typography variant="body2">From {formatTime(e.content.startsAt)} until {formatTime(e.content.endsAt)}</Typography>
                {e.nextReviewAt && <Typography variant="body2">Next re-review due {formatTime(e.nextReviewAt)}</Typography>}
              </Box>
              {target && (
                <Box mt={2} data-testid="review-state">
                  <Typography variant="body2">
                    {target.kind === 'revision' ? `Revision ${target.revision} ${TARGET_WORDS.revision}` : TARGET_WORDS[target.kind]}:{' '}
                    {approvalsSoFar} of {target.needed} approval{target.needed > 1 ? 's' : ''}.
                  </Typography>
                </Box>
              )}
              <Box mt={2} display="flex" style={{ gap: 8 }}>
                {canReview && <Button variant="contained" color="primary" onClick={() => setDialog('approve')} data-testid="approve-button">Approve</Button>}
                {canReview && <Button variant="outlined" color="secondary" onClick={() => setDialog('reject')} data-testid="reject-button">Reject</Button>}
                {isRequester && e.status === 'draft' && <Button variant="contained" onClick={() => act('Submitted to the security reviewers.', () => api.submit(e.id))().catch(x => setActionError(describeError(x)))}>Submit</Button>}
                {canRevise && (
                  <Button variant="outlined" component={RouterLink} to={`${newLink?.() ?? ''}?revise=${encodeURIComponent(e.id)}`} data-testid="revise-button">
                    {e.status === 'draft' ? 'Edit draft' : 'Propose a revision'}
                  </Button>
                )}
                {canWithdraw && <Button variant="outlined" onClick={() => setDialog('withdraw')} data-testid="withdraw-button">{e.pendingRevision ? 'Withdraw revision' : 'Withdraw'}</Button>}
                {canReReview && <Button variant="outlined" onClick={() => setDialog('re-review')}>Record re-review</Button>}
                {canRevoke && <Button variant="outlined" color="secondary" onClick={() => setDialog('revoke')} data-testid="revoke-button">Revoke</Button>}
              </Box>
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={5}>
            <InfoCard title="Compensating controls">
              <CompensatingList e={e} checks={details.checks} />
            </InfoCard>
          </Grid>
          <Grid item xs={12}>
            <Table<ExceptionRevision>
              title="Revisions"
              options={{ paging: false, search: false, padding: 'dense' }}
              data={details.revisions}
              columns={[
                { title: 'Revision', field: 'revision' },
                { title: 'Outcome', field: 'outcome' },
                { title: 'Proposed by', render: r => <PersonName entityRef={r.createdBy} /> },
                { title: 'Proposed', render: r => formatTime(r.createdAt) },
                { title: 'Ends', render: r => formatTime(r.content.endsAt) },
                {
                  title: 'Reviews',
                  render: r => r.reviews.map((v, i) => (
                    <Box key={i}><PersonName entityRef={v.reviewer} /> {v.decision === 'approve' ? 'approved' : 'rejected'}{v.round > 1 ? ` (round ${v.round})` : ''}{v.comment ? `: ${v.comment}` : ''}</Box>
                  )),
                },
              ]}
            />
          </Grid>
          <Grid item xs={12}>
            <Table<ExceptionHistoryEntry>
              title="Audit trail"
              options={{ paging: details.history.length > 20, pageSize: 20, search: true, padding: 'dense' }}
              data={details.history}
              columns={[
                { title: 'When', field: 'at', defaultSort: 'desc', render: h => formatTime(h.at) },
                { title: 'Who', field: 'actor', render: h => (h.actor.startsWith('system:') ? 'Frontier Guard' : <PersonName entityRef={h.actor} />) },
                { title: 'What', field: 'action' },
                { title: 'Revision', field: 'revision' },
                { title: 'Detail', field: 'detail' },
              ]}
            />
          </Grid>
        </Grid>
        <ReasonDialog open={dialog === 'approve'} title="Approve this exception" confirmLabel="Approve" optional onClose={() => setDialog(undefined)}
          onConfirm={act('Your approval is recorded.', () => api.review(e.id, { decision: 'approve', comment: '' }))}>
          <Typography>The findings in scope will show as excepted until {formatTime((e.pendingRevision?.content ?? e.content).endsAt)} once enough reviewers approve.</Typography>
        </ReasonDialog>
        <ReasonDialog open={dialog === 'reject'} title="Reject this exception" confirmLabel="Reject" danger onClose={() => setDialog(undefined)}
          onConfirm={r => act('Rejected; the requester and owner are told why.', () => api.review(e.id, { decision: 'reject', comment: r }))()}>
          <Typography>{e.status === 'suspended' && !e.pendingRevision ? 'Rejecting a suspended exception revokes it.' : 'One rejection decides.'}</Typography>
        </ReasonDialog>
        <ReasonDialog open={dialog === 'revoke'} title="Revoke this exception" confirmLabel="Revoke" danger onClose={() => setDialog(undefined)}
          onConfirm={r => act('Revoked; its findings are open again.', () => api.revoke(e.id, r))()}>
          <Typography>Its findings open again at once. The requester and the owner see your reason.</Typography>
        </ReasonDialog>
        <ReasonDialog open={dialog === 're-review'} title="Record a re-review" confirmLabel="Record" onClose={() => setDialog(undefined)}
          onConfirm={r => act('Re-review recorded.', () => api.reReview(e.id, r))()}>
          <Typography>Say what you checked; the next re-review is then due after the cadence for its risk.</Typography>
        </ReasonDialog>
        <ReasonDialog open={dialog === 'withdraw'} title={e.pendingRevision ? 'Withdraw the proposed revision' : 'Withdraw this request'} confirmLabel="Withdraw" optional onClose={() => setDialog(undefined)}
          onConfirm={act('Withdrawn.', () => api.withdraw(e.id))}>
          <Typography>{e.pendingRevision ? 'The decided revision stays in force.' : 'Nothing will be excepted.'}</Typography>
        </ReasonDialog>
      </Content>
    </Page>
  );
}
