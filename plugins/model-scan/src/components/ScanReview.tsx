import { useEffect, useState } from 'react';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  TextField,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import {
  MAX_REVIEW_NOTE_LENGTH,
  MIN_REVIEW_NOTE_LENGTH,
  reviewRequestRefusal,
} from '@internal/plugin-model-scan-common';
import { modelScanApiRef } from '../api/ModelScanApi';
import { Scan } from '../api/types';
import { formatTime } from './format';

/** Saves a blob under a file name through a temporary object URL (the browser's download). */
export function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * "Download ML-BOM (CycloneDX)" of a completed scan. Fetched through the API client (fetchApi adds
 * the user's token, which a plain link would not carry), then saved as the file the backend names.
 */
export function DownloadBomButton(props: { scan: Scan }) {
  const api = useApi(modelScanApiRef);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  if (props.scan.status !== 'completed') return null;
  const download = async () => {
    setBusy(true);
    setFailed(false);
    try {
      const { blob, fileName } = await api.getBom(props.scan.id);
      saveBlob(blob, fileName);
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="outlined" disabled={busy} onClick={download} data-testid="download-bom">
        Download ML-BOM (CycloneDX)
      </Button>
      {failed && (
        <Alert severity="error" role="alert" action={<Button onClick={download}>Retry</Button>}>
          The bill of materials could not be downloaded. Try again in a moment.
        </Alert>
      )}
    </>
  );
}

/** The "review requested" mark: who asked, when, and their note (seen by reviewers and the requester). */
export function ReviewRequestNotice(props: { scan: Scan }) {
  const r = props.scan.reviewRequest;
  if (!r) return null;
  return (
    <Alert severity="info" data-testid="review-requested">
      Review requested by <EntityDisplayName entityRef={r.requestedBy} hideIcon /> on {formatTime(r.requestedAt)}:{' '}
      <span style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>“{r.note}”</span>
    </Alert>
  );
}

/** The backend's refusals of a review request, in words. */
const REFUSALS: Record<number, string> = {
  403: 'Only the person who requested this scan may ask for its review.',
  409: 'A review of this scan has already been requested.',
};

/**
 * "Ask for review", offered only where the backend's rule (`reviewRequestRefusal`, shared from
 * -common) lets the signed-in user ask: their own completed suspicious or malicious scan, once.
 */
export function AskForReviewButton(props: { scan: Scan; onAsked: () => void }) {
  const { scan, onAsked } = props;
  const api = useApi(modelScanApiRef);
  const identityApi = useApi(identityApiRef);
  const [me, setMe] = useState<string>();
  useEffect(() => {
    let cancelled = false;
    identityApi.getBackstageIdentity().then(
      id => !cancelled && setMe(id.userEntityRef),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [identityApi]);
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);

  if (sent) {
    return (
      <Alert severity="success" role="status" data-testid="review-sent">
        Sent to the security reviewers with your note. They see it on this page and in their
        notifications; the promotion gate stays closed until they decide.
      </Alert>
    );
  }
  if (!me || reviewRequestRefusal(scan, me)) return null;

  const trimmed = note.trim();
  const tooShort = trimmed.length < MIN_REVIEW_NOTE_LENGTH;
  const tooLong = trimmed.length > MAX_REVIEW_NOTE_LENGTH;
  const submit = async () => {
    setError(undefined);
    if (tooShort || tooLong) {
      setError(tooShort ? `Write at least ${MIN_REVIEW_NOTE_LENGTH} characters.` : `At most ${MAX_REVIEW_NOTE_LENGTH.toLocaleString('en-US')} characters.`);
      return;
    }
    setBusy(true);
    try {
      await api.requestReview(scan.id, trimmed);
      setOpen(false);
      setSent(true);
      onAsked();
    } catch (e: any) {
      setError(REFUSALS[e?.response?.status] ?? 'The request could not be sent. Try again in a moment.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button variant="contained" color="primary" onClick={() => setOpen(true)}>
        Ask for review
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} fullWidth aria-labelledby="ask-review-title">
        <DialogTitle id="ask-review-title">Ask the security reviewers for a review</DialogTitle>
        <DialogContent>
          <DialogContentText>
            The scan found this file {scan.verdict}. Tell the reviewers where the file comes from and
            why you think it is safe to use (or what you need it for). They are notified with your
            note and a link to this page.
          </DialogContentText>
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
          <TextField
            id="review-note"
            label="Note to the reviewers"
            required
            multiline
            minRows={3}
            fullWidth
            margin="normal"
            value={note}
            error={tooLong}
            helperText={`${trimmed.length.toLocaleString('en-US')} / ${MAX_REVIEW_NOTE_LENGTH.toLocaleString('en-US')} characters (at least ${MIN_REVIEW_NOTE_LENGTH})`}
            onChange={e => setNote(e.target.value)}
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button color="primary" variant="contained" disabled={busy || tooShort || tooLong} onClick={submit}>
            Send to reviewers
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/** The scan's actions row: review request and BOM download. */
export function ScanActions(props: { scan: Scan; onChanged: () => void }) {
  return (
    <Box mt={1} display="flex" flexWrap="wrap" style={{ gap: 8 }}>
      <AskForReviewButton scan={props.scan} onAsked={props.onChanged} />
      <DownloadBomButton scan={props.scan} />
    </Box>
  );
}
