import { useState } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  TextField,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { modelScanApiRef } from '../api/ModelScanApi';
import { ScannedFile } from '../api/types';
import { modelScanVerdictAcceptPermission } from '../permissions';

function defaultExpiry(now = new Date()): string {
  const d = new Date(now.getTime() + 30 * 24 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}

/**
 * "Accept suspicious verdict" for one exact file hash. Rendered only when the
 * user holds model-scan.verdict.accept and the file's verdict is suspicious;
 * a malicious verdict can never be accepted.
 */
export function AcceptVerdictButton(props: {
  file: ScannedFile;
  onAccepted?: () => void;
}) {
  const { file, onAccepted } = props;
  const { allowed } = usePermission({
    permission: modelScanVerdictAcceptPermission,
  });
  const api = useApi(modelScanApiRef);
  const [open, setOpen] = useState(false);
  const [justification, setJustification] = useState('');
  const [expiry, setExpiry] = useState(defaultExpiry());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (!allowed || file.verdict !== 'suspicious' || !file.sha256) return null;

  const submit = async () => {
    setError(undefined);
    if (!justification.trim()) {
      setError('A justification is required.');
      return;
    }
    const expiresAt = new Date(`${expiry}T23:59:59Z`);
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) {
      setError('The expiry must be a date in the future.');
      return;
    }
    setBusy(true);
    try {
      await api.acceptVerdict({
        sha256: file.sha256,
        justification: justification.trim(),
        expiresAt: expiresAt.toISOString(),
      });
      setOpen(false);
      onAccepted?.();
    } catch (e: any) {
      setError(e?.message ?? String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button variant="outlined" color="primary" onClick={() => setOpen(true)}>
        Accept suspicious verdict
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} fullWidth>
        <DialogTitle>Accept suspicious verdict</DialogTitle>
        <DialogContent>
          <DialogContentText>
            This asks for an exception to the model-scanning control for exactly
            this file (SHA-256 <code style={{ wordBreak: 'break-all' }}>{file.sha256}</code>) until the expiry date.
            Another security reviewer approves it under Exceptions; until then the
            file stays blocked. Any other version of the file is scanned and judged
            again.
          </DialogContentText>
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
          <TextField
            id="accept-justification"
            label="Justification"
            required
            multiline
            minRows={3}
            fullWidth
            margin="normal"
            value={justification}
            onChange={e => setJustification(e.target.value)}
          />
          <TextField
            id="accept-expiry"
            label="Expires on"
            type="date"
            required
            fullWidth
            margin="normal"
            InputLabelProps={{ shrink: true }}
            value={expiry}
            onChange={e => setExpiry(e.target.value)}
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button
            color="primary"
            variant="contained"
            disabled={busy}
            onClick={submit}
          >
            Accept
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
