import { ReactNode, useId, useState } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  TextField,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { describeError, fieldErrorsFrom } from './format';

/** Reason fields hold at most this many characters (the backend's limit). */
export const REASON_MAX = 4096;

/**
 * Confirmation with a reason for weighty actions (deny, revoke, end early, withdraw): says
 * what will happen and who sees the reason; the reason is required unless `optional`.
 */
export function ReasonDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  reasonLabel?: string;
  confirmLabel: string;
  danger?: boolean;
  optional?: boolean;
  /** no text field at all (the action takes no reason) */
  noReason?: boolean;
  testId?: string;
  onClose: () => void;
  onConfirm: (reason: string) => Promise<void>;
}) {
  const { open, title, children, confirmLabel, danger, optional, onClose, onConfirm } = props;
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const fieldId = `reason-${useId().replace(/:/g, '')}`;
  const label = props.reasonLabel ?? (optional ? 'Comment (optional)' : 'Reason (required)');
  const submit = async () => {
    setError(undefined);
    const trimmed = reason.trim();
    if (!optional && !props.noReason && !trimmed) {
      setReasonError('Please give a reason; the person concerned will see it.');
      return;
    }
    if (trimmed.length > REASON_MAX) {
      setReasonError(`At most ${REASON_MAX.toLocaleString('en-US')} characters.`);
      return;
    }
    setReasonError(undefined);
    setBusy(true);
    try {
      await onConfirm(trimmed);
      setReason('');
      onClose();
    } catch (e) {
      const fields = fieldErrorsFrom(e);
      const fieldMessage = fields.reason ?? fields.comment;
      if (fieldMessage) setReasonError(fieldMessage);
      else setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} fullWidth data-testid={props.testId ?? 'reason-dialog'}>
      <DialogTitle>{title}</DialogTitle>
      <DialogContent>
        {children}
        {error && (
          <Alert severity="error" role="alert" data-testid="reason-dialog-error">
            {error}
          </Alert>
        )}
        {!props.noReason && (
        <TextField
          id={fieldId}
          label={label}
          fullWidth
          multiline
          minRows={2}
          margin="normal"
          value={reason}
          onChange={e => setReason(e.target.value)}
          error={!!reasonError}
          helperText={reasonError ?? `${reason.length.toLocaleString('en-US')} / ${REASON_MAX.toLocaleString('en-US')}`}
          inputProps={{ 'data-testid': 'reason-input' }}
        />
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          variant="contained"
          color={danger ? undefined : 'primary'}
          style={danger ? { backgroundColor: '#b71c1c', color: '#fff' } : undefined}
          onClick={submit}
          disabled={busy}
        >
          {confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
