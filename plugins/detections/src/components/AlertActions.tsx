import { ReactNode, useState } from 'react';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef, EntityDisplayName, EntityRefLink } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  FormControlLabel,
  Radio,
  RadioGroup,
  TextField,
  Typography,
} from '@material-ui/core';
import { Alert as MuiAlert, Autocomplete } from '@material-ui/lab';
import useAsync from 'react-use/esm/useAsync';
import {
  Alert,
  AlertGrant,
  CLOSE_REASONS,
  CloseReason,
  COMMENT_MAX,
  detectionsAlertRevokePermission,
  detectionsAlertTriagePermission,
  detectionsApiRef,
  RevokedGrant,
} from '../api';
import { CLOSE_REASON_HELP, CLOSE_REASON_LABEL, describeError, formatTime } from './common';

/** Which triage steps the alert's state allows (the backend answers 409 to the others). */
export function allowedActions(alert: Pick<Alert, 'status'>) {
  const open = alert.status !== 'closed';
  return {
    acknowledge: alert.status === 'new',
    assign: open,
    note: true,
    close: open,
    reopen: !open,
    revoke: open,
  };
}

/** A text field with a counter and the backend's limit. */
function CommentField(props: { label: string; value: string; onChange: (v: string) => void; testId: string; required?: boolean; helper?: string }) {
  return (
    <TextField
      label={props.label}
      required={props.required}
      multiline
      minRows={3}
      fullWidth
      margin="normal"
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      inputProps={{ maxLength: COMMENT_MAX, 'data-testid': props.testId }}
      helperText={`${props.helper ? `${props.helper} ` : ''}${props.value.length.toLocaleString('en-US')} / ${COMMENT_MAX.toLocaleString('en-US')}`}
    />
  );
}

/** The frame of every triage dialog: an error line, Cancel and a confirm button that waits for the server. */
function ActionDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  danger?: boolean;
  testId: string;
  onClose: () => void;
  /** Returns an error sentence to show instead of calling the server, or undefined. */
  validate?: () => string | undefined;
  onConfirm: () => Promise<void>;
  disabled?: boolean;
  children: ReactNode;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const local = props.validate?.();
    setError(local);
    if (local) return;
    setBusy(true);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={props.open} onClose={busy ? undefined : props.onClose} fullWidth maxWidth="sm" data-testid={props.testId}>
      <DialogTitle>{props.title}</DialogTitle>
      <DialogContent>
        {props.children}
        {error && <MuiAlert severity="error" role="alert">{error}</MuiAlert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>Cancel</Button>
        <Button onClick={submit} disabled={busy || props.disabled} color={props.danger ? 'secondary' : 'primary'} variant="contained" data-testid={`${props.testId}-confirm`}>
          {props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function AcknowledgeDialog(props: { alert: Alert; open: boolean; onClose: () => void; onDone: (a: Alert, message: string) => void }) {
  const api = useApi(detectionsApiRef);
  const [comment, setComment] = useState('');
  return (
    <ActionDialog open={props.open} onClose={props.onClose} title="Acknowledge this alert" confirmLabel="Acknowledge" testId="acknowledge-dialog"
      onConfirm={async () => {
        const alert = await api.acknowledge(props.alert.id, comment.trim() || undefined);
        props.onDone(alert, 'Acknowledged: the queue shows you are on it. The alert stays open until someone closes it with a reason.');
      }}>
      <DialogContentText>Tell the other reviewers you are looking into it. A comment is optional.</DialogContentText>
      <CommentField label="Comment (optional)" value={comment} onChange={setComment} testId="acknowledge-comment" />
    </ActionDialog>
  );
}

function AssignDialog(props: { alert: Alert; open: boolean; onClose: () => void; onDone: (a: Alert, message: string) => void }) {
  const api = useApi(detectionsApiRef);
  const catalog = useApi(catalogApiRef);
  const identity = useApi(identityApiRef);
  const [assignee, setAssignee] = useState<string | null>(props.alert.assignee ?? null);
  const people = useAsync(async () => {
    if (!props.open) return [];
    const [me, res] = await Promise.all([
      identity.getBackstageIdentity(),
      catalog.getEntities({ filter: { kind: 'User' }, fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title', 'spec.profile.displayName'] }),
    ]);
    const options = res.items.map(e => ({
      ref: stringifyEntityRef(e),
      name: ((e.spec as any)?.profile?.displayName as string | undefined) ?? e.metadata.title ?? e.metadata.name,
    }));
    options.sort((a, b) => a.name.localeCompare(b.name));
    return [{ ref: me.userEntityRef, name: 'Me' }, ...options.filter(o => o.ref !== me.userEntityRef)];
  }, [props.open, catalog, identity]);
  const options = people.value ?? [];
  return (
    <ActionDialog open={props.open} onClose={props.onClose} title="Assign this alert" confirmLabel="Assign" testId="assign-dialog"
      validate={() => (assignee ? undefined : 'Choose the person who will look into it.')}
      onConfirm={async () => {
        const alert = await api.assign(props.alert.id, assignee!);
        props.onDone(alert, 'Assigned. The assignee sees it in the queue under their name.');
      }}>
      {people.error && <MuiAlert severity="warning">The people of the catalog could not be listed; try again.</MuiAlert>}
      <Autocomplete
        options={options.map(o => o.ref)}
        loading={people.loading}
        value={assignee}
        onChange={(_e, v) => setAssignee(v)}
        getOptionLabel={ref => options.find(o => o.ref === ref)?.name ?? ref}
        renderInput={params => <TextField {...params} label="Assignee" margin="normal" inputProps={{ ...params.inputProps, 'data-testid': 'assignee-input' }} />}
      />
    </ActionDialog>
  );
}

function NoteDialog(props: { alert: Alert; open: boolean; onClose: () => void; onDone: (a: Alert, message: string) => void }) {
  const api = useApi(detectionsApiRef);
  const [text, setText] = useState('');
  return (
    <ActionDialog open={props.open} onClose={props.onClose} title="Add a note" confirmLabel="Add note" testId="note-dialog"
      validate={() => (text.trim() ? undefined : 'Write the note first.')}
      onConfirm={async () => {
        const alert = await api.addNote(props.alert.id, text.trim());
        setText('');
        props.onDone(alert, 'Note added to the history.');
      }}>
      <CommentField label="Note" required value={text} onChange={setText} testId="note-text" helper="Other reviewers see it in the history." />
    </ActionDialog>
  );
}

function CloseDialog(props: { alert: Alert; open: boolean; onClose: () => void; onDone: (a: Alert, message: string) => void }) {
  const api = useApi(detectionsApiRef);
  const [reason, setReason] = useState<CloseReason | ''>('');
  const [comment, setComment] = useState('');
  return (
    <ActionDialog open={props.open} onClose={props.onClose} title="Close this alert" confirmLabel="Close alert" danger testId="close-dialog"
      validate={() => {
        if (!reason) return 'Choose what the alert turned out to be.';
        if (!comment.trim()) return 'Say what you found; the reason stays with the alert.';
        return undefined;
      }}
      onConfirm={async () => {
        const alert = await api.close(props.alert.id, reason as CloseReason, comment.trim());
        props.onDone(alert, `Closed as ${CLOSE_REASON_LABEL[reason as CloseReason].toLocaleLowerCase('en-US')}. New detections of the same activity open a new alert; you can reopen this one from here.`);
      }}>
      <DialogContentText>What did the alert turn out to be? This stays with the alert, and tunes the rule's record.</DialogContentText>
      <RadioGroup value={reason} onChange={e => setReason(e.target.value as CloseReason)} aria-label="Close reason">
        {CLOSE_REASONS.map(r => (
          <FormControlLabel key={r} value={r} control={<Radio color="primary" inputProps={{ 'data-testid': `close-reason-${r}` } as any} />}
            label={<Box><Typography variant="body1">{CLOSE_REASON_LABEL[r]}</Typography><Typography variant="body2" color="textSecondary">{CLOSE_REASON_HELP[r]}</Typography></Box>} />
        ))}
      </RadioGroup>
      <CommentField label="What you found" required value={comment} onChange={setComment} testId="close-comment" />
    </ActionDialog>
  );
}

function ReopenDialog(props: { alert: Alert; open: boolean; onClose: () => void; onDone: (a: Alert, message: string) => void }) {
  const api = useApi(detectionsApiRef);
  const [comment, setComment] = useState('');
  return (
    <ActionDialog open={props.open} onClose={props.onClose} title="Reopen this alert" confirmLabel="Reopen" testId="reopen-dialog"
      validate={() => (comment.trim() ? undefined : 'Say why it needs another look.')}
      onConfirm={async () => {
        const alert = await api.reopen(props.alert.id, comment.trim());
        props.onDone(alert, 'Reopened: it is back in the open queue.');
      }}>
      <CommentField label="Why reopen" required value={comment} onChange={setComment} testId="reopen-comment" />
    </ActionDialog>
  );
}

function RevokeDialog(props: { alert: Alert; open: boolean; onClose: () => void; onDone: (a: Alert, message: ReactNode) => void }) {
  const api = useApi(detectionsApiRef);
  const [reason, setReason] = useState('');
  const grants = useAsync(async (): Promise<AlertGrant[]> => (props.open ? api.listAlertGrants(props.alert.id) : []), [props.open, api, props.alert.id]);
  const count = grants.value?.length ?? 0;
  return (
    <ActionDialog open={props.open} onClose={props.onClose} title="Revoke access" confirmLabel={count === 1 ? 'Revoke 1 grant' : `Revoke ${count} grants`}
      danger testId="revoke-dialog" disabled={grants.loading || !!grants.error || count === 0}
      validate={() => (reason.trim() ? undefined : 'Give a reason; the person whose access ends sees it.')}
      onConfirm={async () => {
        const res = await api.revokeGrants(props.alert.id, reason.trim());
        props.onDone(res.alert, <RevokeResult revoked={res.revoked} />);
      }}>
      {grants.loading && <Typography variant="body2">Looking up the active grants…</Typography>}
      {grants.error && <MuiAlert severity="error">The grants could not be listed. {describeError(grants.error)}</MuiAlert>}
      {grants.value && count === 0 && (
        <MuiAlert severity="info" data-testid="no-grants">
          {props.alert.principalRef ? <EntityDisplayName entityRef={props.alert.principalRef} hideIcon /> : props.alert.principal} has no active grant
          on {props.alert.resourceRef ? <EntityDisplayName entityRef={props.alert.resourceRef} hideIcon /> : props.alert.resource}, so there is nothing to revoke.
          Access that did not come from a grant (a standing role, a shared key) has to be removed where it was given.
        </MuiAlert>
      )}
      {grants.value && count > 0 && (
        <>
          <DialogContentText>
            These grants end now, through the access requests service, on your behalf. Both the alert and the grants record it.
          </DialogContentText>
          <Box component="ul" data-testid="revoke-grants" pl={2}>
            {grants.value.map(g => (
              <li key={g.grantId}>
                <Typography variant="body2">
                  <EntityDisplayName entityRef={g.userRef} hideIcon /> on <EntityRefLink entityRef={g.resourceRef} hideIcon />
                  {g.role ? ` as ${g.role}` : ''}, would end {formatTime(g.end)}
                </Typography>
              </li>
            ))}
          </Box>
          <CommentField label="Reason" required value={reason} onChange={setReason} testId="revoke-reason" helper="The person whose access ends sees it." />
        </>
      )}
    </ActionDialog>
  );
}

function RevokeResult(props: { revoked: RevokedGrant[] }) {
  if (props.revoked.length === 0) return <>No grant was active any more; nothing was revoked.</>;
  return (
    <span data-testid="revoke-result">
      Revoked {props.revoked.length === 1 ? '1 grant' : `${props.revoked.length} grants`}:{' '}
      {props.revoked.map((g, i) => (
        <span key={g.grantId}>
          {i > 0 ? '; ' : ''}
          <EntityDisplayName entityRef={g.userRef} hideIcon /> on <EntityDisplayName entityRef={g.resourceRef} hideIcon />
        </span>
      ))}
      . Their access ended now; a new request goes through approval again.
    </span>
  );
}

type DialogId = 'acknowledge' | 'assign' | 'note' | 'close' | 'reopen' | 'revoke';

/** The triage buttons the signed-in person may use on this alert, their dialogs and what happened. */
export function AlertActions(props: { alert: Alert; onChange: (a: Alert) => void }) {
  const triage = usePermission({ permission: detectionsAlertTriagePermission });
  const revoke = usePermission({ permission: detectionsAlertRevokePermission });
  const [open, setOpen] = useState<DialogId>();
  const [message, setMessage] = useState<ReactNode>();
  const allowed = allowedActions(props.alert);
  const done = (a: Alert, m: ReactNode) => {
    props.onChange(a);
    setMessage(m);
  };
  const close = () => setOpen(undefined);
  if (triage.loading || revoke.loading) return null;
  if (!triage.allowed && !revoke.allowed) {
    return (
      <Typography variant="body2" color="textSecondary" data-testid="read-only">
        You can read this alert; triage is for security reviewers and platform admins.
      </Typography>
    );
  }
  const button = (id: DialogId, label: string, show: boolean, primary = false) =>
    show ? (
      <Button key={id} variant={primary ? 'contained' : 'outlined'} color={primary ? 'primary' : 'default'} onClick={() => { setMessage(undefined); setOpen(id); }} data-testid={`action-${id}`}>
        {label}
      </Button>
    ) : null;
  return (
    <Box data-testid="alert-actions">
      <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
        {button('acknowledge', 'Acknowledge', triage.allowed && allowed.acknowledge, true)}
        {button('assign', props.alert.assignee ? 'Reassign' : 'Assign', triage.allowed && allowed.assign)}
        {button('note', 'Add note', triage.allowed && allowed.note)}
        {button('revoke', 'Revoke access', revoke.allowed && allowed.revoke)}
        {button('close', 'Close', triage.allowed && allowed.close)}
        {button('reopen', 'Reopen', triage.allowed && allowed.reopen)}
      </Box>
      {message && (
        <Box mt={2}>
          <MuiAlert severity="success" onClose={() => setMessage(undefined)} data-testid="action-result">{message}</MuiAlert>
        </Box>
      )}
      {open === 'acknowledge' && <AcknowledgeDialog open alert={props.alert} onClose={close} onDone={done} />}
      {open === 'assign' && <AssignDialog open alert={props.alert} onClose={close} onDone={done} />}
      {open === 'note' && <NoteDialog open alert={props.alert} onClose={close} onDone={done} />}
      {open === 'close' && <CloseDialog open alert={props.alert} onClose={close} onDone={done} />}
      {open === 'reopen' && <ReopenDialog open alert={props.alert} onClose={close} onDone={done} />}
      {open === 'revoke' && <RevokeDialog open alert={props.alert} onClose={close} onDone={done} />}
    </Box>
  );
}
