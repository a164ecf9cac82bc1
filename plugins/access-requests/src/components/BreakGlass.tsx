import { useState } from 'react';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  FormHelperText,
  InputLabel,
  MenuItem,
  Select,
  TextField,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import WarningIcon from '@material-ui/icons/Warning';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  FrozenPolicySummary,
  Grant,
  BREAK_GLASS_MAX_MINUTES,
  BREAK_GLASS_MIN_JUSTIFICATION,
  accessBreakGlassPermission,
  breakGlassAllowed,
  breakGlassMaxMinutes,
} from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { describeError, formatMinutes } from './format';
import { validateRoleAndDuration } from './RequestForm';
import { describeAllowsText } from './permissionWords';
import { RoleTitle } from './Names';

const DANGER = '#b71c1c';

export interface BreakGlassFormValues {
  roleId: string;
  durationMinutes: number;
  justification: string;
}

/** Checks the break-glass form (the backend checks again); returns field → reason. */
export function validateBreakGlassForm(
  values: BreakGlassFormValues,
  policy: FrozenPolicySummary,
): Record<string, string> {
  const max = breakGlassMaxMinutes(policy);
  const errors = validateRoleAndDuration(
    values,
    policy,
    max,
    `Break-glass access lasts at most ${max} minutes here.`,
  );
  const justification = values.justification.trim();
  if (!justification) {
    errors.justification =
      'A justification is required for break-glass access.';
  } else if (justification.length < BREAK_GLASS_MIN_JUSTIFICATION) {
    errors.justification = `Explain the emergency in at least ${BREAK_GLASS_MIN_JUSTIFICATION} characters.`;
  }
  return errors;
}

/**
 * "Emergency access (break-glass)": shown only to users with the
 * access-requests.break-glass permission; the backend enforces it again.
 */
export function BreakGlassButton(props: {
  resourceRef: string;
  resourceTitle?: string;
  policy: FrozenPolicySummary;
  onGranted?: (grant: Grant) => void;
}) {
  const { resourceRef, resourceTitle, policy, onGranted } = props;
  const { allowed, loading } = usePermission({
    permission: accessBreakGlassPermission,
  });
  const api = useApi(accessRequestsApiRef);
  const max = breakGlassMaxMinutes(policy);
  const narrowest = [...policy.roles].sort(
    (a, b) => a.privilege - b.privilege,
  )[0];
  const initial = (): BreakGlassFormValues => ({
    roleId: narrowest?.id ?? '',
    durationMinutes: Math.min(30, max),
    justification: '',
  });
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<BreakGlassFormValues>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [submitError, setSubmitError] = useState<string>();
  const [granted, setGranted] = useState<Grant>();
  const [busy, setBusy] = useState(false);

  if (loading || !allowed) return null;
  // only where the resource's policy allows it (the backend refuses otherwise)
  const policyCheck = breakGlassAllowed(policy);
  if (!policyCheck.allowed) {
    return (
      <Typography variant="body2" color="textSecondary" data-testid="break-glass-not-allowed">
        {policyCheck.reason}
      </Typography>
    );
  }

  const close = () => {
    setOpen(false);
    setErrors({});
    setSubmitError(undefined);
  };

  const submit = async () => {
    setSubmitError(undefined);
    const found = validateBreakGlassForm(values, policy);
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const { grant } = await api.breakGlass({
        resourceRef,
        roleId: values.roleId,
        durationMinutes: values.durationMinutes,
        justification: values.justification.trim(),
      });
      setGranted(grant);
      setValues(initial());
      setOpen(false);
      onGranted?.(grant);
    } catch (e) {
      setSubmitError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box data-testid="break-glass">
      <Button
        variant="outlined"
        startIcon={<WarningIcon />}
        onClick={() => setOpen(true)}
        style={{ color: DANGER, borderColor: DANGER, fontWeight: 700 }}
      >
        Emergency access (break-glass)
      </Button>
      {granted && (
        <Alert
          severity="warning"
          data-testid="break-glass-granted"
          style={{ marginTop: 8 }}
        >
          Break-glass access granted:{' '}
          <RoleTitle roleId={granted.roleId} policy={policy} /> until{' '}
          {new Date(granted.expiresAt).toLocaleString()}. Security reviewers
          have been notified; two post-hoc reviews are required.
        </Alert>
      )}
      <Dialog
        open={open}
        onClose={close}
        fullWidth
        aria-labelledby="break-glass-title"
      >
        <DialogTitle
          id="break-glass-title"
          style={{ backgroundColor: DANGER, color: '#fff' }}
        >
          Emergency access (break-glass)
        </DialogTitle>
        <DialogContent>
          <Alert
            severity="error"
            data-testid="break-glass-warning"
            style={{ marginTop: 8 }}
          >
            <Typography variant="body2">
              <strong>This bypasses every approval.</strong> Use it only in a
              real emergency on <strong>{resourceTitle ?? resourceRef}</strong>.
              It is logged as a critical audit event,{' '}
              <strong>security reviewers are notified at once</strong>, and the
              grant needs <strong>two post-hoc reviews</strong> by different
              security reviewers, who may flag it.
            </Typography>
          </Alert>
          {submitError && (
            <Alert
              severity="error"
              role="alert"
              data-testid="break-glass-error"
              style={{ marginTop: 8 }}
            >
              {submitError}
            </Alert>
          )}
          <FormControl fullWidth margin="normal" error={!!errors.roleId}>
            <InputLabel id="break-glass-role-label">Role</InputLabel>
            <Select
              labelId="break-glass-role-label"
              value={values.roleId}
              onChange={e =>
                setValues({ ...values, roleId: e.target.value as string })
              }
              SelectDisplayProps={
                { 'data-testid': 'break-glass-role-select' } as any
              }
            >
              {policy.roles.map(r => (
                <MenuItem key={r.id} value={r.id} title={`Role id: ${r.id}; policy values: ${r.allows.join(', ')}`}>
                  {r.title} — {describeAllowsText(r.allows)}
                </MenuItem>
              ))}
            </Select>
            {errors.roleId && <FormHelperText>{errors.roleId}</FormHelperText>}
          </FormControl>
          <TextField
            id="break-glass-duration"
            label="Duration (minutes)"
            type="number"
            fullWidth
            margin="normal"
            inputProps={{ min: 1, max }}
            value={
              Number.isNaN(values.durationMinutes) ? '' : values.durationMinutes
            }
            onChange={e =>
              setValues({
                ...values,
                durationMinutes: parseInt(e.target.value, 10),
              })
            }
            error={!!errors.durationMinutes}
            helperText={
              errors.durationMinutes ??
              `At most ${max} minutes (${formatMinutes(
                max,
              )}): break-glass is capped at ${BREAK_GLASS_MAX_MINUTES} minutes and by the policy.`
            }
          />
          <TextField
            id="break-glass-justification"
            label="Justification (required)"
            fullWidth
            multiline
            minRows={3}
            margin="normal"
            value={values.justification}
            onChange={e =>
              setValues({ ...values, justification: e.target.value })
            }
            error={!!errors.justification}
            helperText={
              errors.justification ??
              'What is the emergency and why can it not wait for approval?'
            }
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>Cancel</Button>
          <Button
            variant="contained"
            onClick={submit}
            disabled={busy}
            style={{ backgroundColor: DANGER, color: '#fff' }}
          >
            Break glass now
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
