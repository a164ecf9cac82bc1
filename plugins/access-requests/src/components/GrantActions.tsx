import { useState } from 'react';
import { useApi, useAppNavigate, useRouteRef } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, TextField, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsync from 'react-use/esm/useAsync';
import { Grant } from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { requestRouteRef } from '../routes';
import { DurationField } from './DurationField';
import { PersonName } from './Names';
import { REASON_MAX, ReasonDialog } from './ReasonDialog';
import { describeError, fieldErrorsFrom, formatMinutes } from './format';

/** The confirmation of ending/revoking a grant, with a reason the holder sees. */
export function EndAccessDialog(props: { grant: Grant; own: boolean; open: boolean; onClose: () => void; onEnded?: (grant: Grant) => void }) {
  const { grant, own, open, onClose, onEnded } = props;
  const api = useApi(accessRequestsApiRef);
  return (
    <ReasonDialog
      open={open}
      title={own ? 'End your access now?' : 'Revoke this access?'}
      confirmLabel={own ? 'End access now' : 'Revoke access'}
      danger
      testId={own ? 'end-early-dialog' : 'revoke-dialog'}
      onClose={onClose}
      onConfirm={async reason => {
        const { grant: ended } = await api.revokeGrant(grant.id, reason);
        onEnded?.(ended);
      }}
    >
      <Typography variant="body2">
        {own ? 'You lose' : <><PersonName entityRef={grant.userRef} /> loses</>} this access now; it is removed from
        the resource and the reason is recorded in the audit trail{own ? '' : ' and shown to them'}.
      </Typography>
    </ReasonDialog>
  );
}

/** The button that opens EndAccessDialog (`onOpen` lets a table keep the dialog outside its cells). */
export function EndAccessButton(props: { grant: Grant; own: boolean; onEnded?: (grant: Grant) => void; onOpen?: () => void }) {
  const { grant, own, onEnded, onOpen } = props;
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        size="small"
        variant="outlined"
        style={{ color: '#b71c1c', borderColor: '#b71c1c' }}
        onClick={() => (onOpen ? onOpen() : setOpen(true))}
        aria-label={own ? 'End my access early' : `Revoke access of ${grant.userRef.slice(grant.userRef.lastIndexOf('/') + 1)}`}
        data-testid={own ? 'end-early' : 'revoke'}
      >
        {own ? 'End my access early' : 'Revoke'}
      </Button>
      {!onOpen && <EndAccessDialog grant={grant} own={own} open={open} onClose={() => setOpen(false)} onEnded={onEnded} />}
    </>
  );
}

/**
 * "Extend": a new request linked to this grant, with the same checks as the request form
 * (whole minutes, the policy maximum, a justification) and duration presets.
 */
export function ExtendButton(props: { grant: Grant; maxMinutes?: number }) {
  const { grant } = props;
  const maxMinutes = props.maxMinutes ?? 480;
  const api = useApi(accessRequestsApiRef);
  const navigate = useAppNavigate();
  const requestLink = useRouteRef(requestRouteRef);
  const [open, setOpen] = useState(false);
  const [duration, setDuration] = useState(Math.min(60, maxMinutes));
  const [justification, setJustification] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setError(undefined);
    const found: Record<string, string> = {};
    if (!Number.isInteger(duration) || duration < 1) found.durationMinutes = 'Enter a whole number of minutes, at least 1.';
    else if (duration > maxMinutes) found.durationMinutes = `At most ${formatMinutes(maxMinutes)} under this policy.`;
    if (!justification.trim()) found.justification = 'Say why you need more time; reviewers see it.';
    else if (justification.trim().length > REASON_MAX) found.justification = `At most ${REASON_MAX.toLocaleString('en-US')} characters.`;
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const { request } = await api.renewGrant(grant.id, { durationMinutes: duration, justification: justification.trim() });
      setOpen(false);
      if (requestLink) navigate(requestLink({ id: request.id }));
    } catch (e) {
      const fields = fieldErrorsFrom(e);
      if (Object.keys(fields).length) setErrors(fields);
      else setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="small" variant="outlined" onClick={() => setOpen(true)} data-testid="extend">
        Extend
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} fullWidth>
        <DialogTitle>Extend your access</DialogTitle>
        <DialogContent>
          <Typography variant="body2">
            Extending is a new request linked to this access; it needs the same approvals again. Your current
            access continues until it ends.
          </Typography>
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
          <DurationField
            id={`extend-duration-${grant.id}`}
            value={duration}
            maxMinutes={maxMinutes}
            error={errors.durationMinutes}
            onChange={setDuration}
          />
          <TextField
            id={`extend-justification-${grant.id}`}
            label="Justification"
            required
            fullWidth
            multiline
            margin="normal"
            value={justification}
            error={!!errors.justification}
            helperText={errors.justification ?? `${justification.length.toLocaleString('en-US')} / ${REASON_MAX.toLocaleString('en-US')}`}
            onChange={e => setJustification(e.target.value)}
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" color="primary" onClick={submit} disabled={busy}>
            Request extension
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/** How to use a grant: the storage URL and `az` command, or the `kubectl` context, from the resource's annotations. */
export function usageInstructions(annotations: Record<string, string>): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  const scope = annotations['frontier-guard.io/azure-scope'];
  const storage = scope ? /storageAccounts\/([^/]+)\/blobServices\/default\/containers\/([^/]+)/.exec(scope) : null;
  if (storage) {
    const [, account, container] = storage;
    out.push({ label: 'Storage URL', value: `https://${account}.blob.core.windows.net/${container}` });
    out.push({ label: 'List the files', value: `az storage blob list --account-name ${account} --container-name ${container} --auth-mode login --output table` });
  } else if (scope) {
    out.push({ label: 'Azure scope', value: scope });
  }
  const cluster = annotations['backstage.io/kubernetes-cluster'];
  const namespace = annotations['frontier-guard.io/kubernetes-namespace'];
  if (cluster) {
    out.push({ label: 'Kubernetes', value: `kubectl --context ${cluster}${namespace ? ` --namespace ${namespace}` : ''} get pods` });
  }
  return out;
}

export function UsageInstructions(props: { resourceRef: string }) {
  const catalog = useApi(catalogApiRef);
  const entity = useAsync(() => catalog.getEntityByRef(props.resourceRef), [catalog, props.resourceRef]);
  const lines = usageInstructions(entity.value?.metadata.annotations ?? {});
  if (!lines.length) return null;
  return (
    <Box data-testid="usage-instructions">
      <Typography variant="subtitle2">How to use this access</Typography>
      {lines.map(l => (
        <Box key={l.label} mt={1}>
          <Typography variant="caption" color="textSecondary">
            {l.label}
          </Typography>
          <Box component="pre" m={0} p={1} style={{ background: 'rgba(127,127,127,0.12)', overflowX: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {l.value}
          </Box>
        </Box>
      ))}
    </Box>
  );
}
