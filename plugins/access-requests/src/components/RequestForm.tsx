import { useState } from 'react';
import {
  Box,
  Button,
  FormControl,
  InputLabel,
  MenuItem,
  Select,
  TextField,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  AccessRequest,
  FrozenPolicySummary,
} from '@internal/plugin-access-requests-common';
import { accessRequestsApiRef } from '../api/AccessRequestsApi';
import { ApprovalSteps } from './PolicySummary';
import { describeError, fieldErrorsFrom, formatMinutes } from './format';
import { DurationField } from './DurationField';
import { AllowedActions } from './Names';
import { REASON_MAX } from './ReasonDialog';
import { breakGlassAllowed } from '@internal/plugin-access-requests-common';

export interface RequestFormValues {
  roleId: string;
  durationMinutes: number;
  justification: string;
  ticket: string;
}

/**
 * Role and duration checks shared by the request and break-glass forms (the backend checks
 * again); returns field → reason.
 */
export function validateRoleAndDuration(
  values: { roleId: string; durationMinutes: number },
  policy: FrozenPolicySummary,
  maxMinutes: number,
  tooLong: string,
): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!policy.roles.some(r => r.id === values.roleId)) {
    errors.roleId = 'Choose one of the roles of this policy.';
  }
  if (!Number.isInteger(values.durationMinutes) || values.durationMinutes < 1) {
    errors.durationMinutes = Number.isFinite(values.durationMinutes) && values.durationMinutes > 0
      ? 'Enter a whole number of minutes (no fractions).'
      : 'Enter a whole number of minutes, at least 1.';
  } else if (values.durationMinutes > maxMinutes) {
    errors.durationMinutes = tooLong;
  }
  return errors;
}

/** Checks the form against the resource's policy; returns field → reason. */
export function validateRequestForm(
  values: RequestFormValues,
  policy: FrozenPolicySummary,
): Record<string, string> {
  const max = policy.maxDurationMinutes;
  const errors = validateRoleAndDuration(
    values,
    policy,
    max,
    `At most ${max} minutes (${formatMinutes(max)}) under this policy.`,
  );
  if (policy.requireJustification && !values.justification.trim()) {
    errors.justification = 'This policy requires a justification.';
  } else if (values.justification.trim().length > REASON_MAX) {
    errors.justification = `At most ${REASON_MAX.toLocaleString('en-US')} characters.`;
  }
  if (policy.requireTicket && !values.ticket.trim()) {
    errors.ticket = 'This policy requires a ticket reference.';
  }
  return errors;
}

/** The request form for one resource: role, duration, justification, ticket. */
export function RequestForm(props: {
  resourceRef: string;
  resourceTitle?: string;
  policy: FrozenPolicySummary;
  suggestedRoleId?: string;
  onCreated: (request: AccessRequest) => void;
}) {
  const { resourceRef, resourceTitle, policy, suggestedRoleId, onCreated } = props;
  const api = useApi(accessRequestsApiRef);
  const narrowest = [...policy.roles].sort((a, b) => a.privilege - b.privilege)[0];
  const [values, setValues] = useState<RequestFormValues>({
    roleId:
      (suggestedRoleId && policy.roles.some(r => r.id === suggestedRoleId) ? suggestedRoleId : undefined) ??
      narrowest?.id ??
      '',
    durationMinutes: Math.min(60, policy.maxDurationMinutes),
    justification: '',
    ticket: '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [submitError, setSubmitError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const role = policy.roles.find(r => r.id === values.roleId);

  const submit = async () => {
    setSubmitError(undefined);
    const found = validateRequestForm(values, policy);
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const { request } = await api.createRequest({
        resourceRef,
        roleId: values.roleId,
        durationMinutes: values.durationMinutes,
        ...(values.justification.trim()
          ? { justification: values.justification.trim() }
          : {}),
        ...(values.ticket.trim() ? { ticket: values.ticket.trim() } : {}),
      });
      onCreated(request);
    } catch (e) {
      const fields = fieldErrorsFrom(e);
      if (Object.keys(fields).length) setErrors(fields);
      else setSubmitError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box data-testid="request-form">
      <Typography variant="h6">
        Request access to {resourceTitle ?? resourceRef}
      </Typography>
      {submitError && (
        <Alert severity="error" role="alert">
          {submitError}
        </Alert>
      )}
      <FormControl fullWidth margin="normal" error={!!errors.roleId}>
        <InputLabel id="request-role-label">Role</InputLabel>
        <Select
          labelId="request-role-label"
          id="request-role"
          SelectDisplayProps={{ 'data-testid': 'request-role-select' } as any}
          value={values.roleId}
          onChange={e => setValues(v => ({ ...v, roleId: String(e.target.value) }))}
        >
          {policy.roles.map(r => (
            <MenuItem key={r.id} value={r.id}>
              {r.title}{r.id === suggestedRoleId ? ' — suggested' : ''}
            </MenuItem>
          ))}
        </Select>
        {errors.roleId && <Typography color="error">{errors.roleId}</Typography>}
      </FormControl>
      {role && (
        <Typography variant="body2" color="textSecondary">
          {role.description ? `${role.description}. ` : ''}Allows: <AllowedActions allows={role.allows} />.
          Needs <ApprovalSteps role={role} />.{' '}
          {breakGlassAllowed(policy).allowed ? '' : 'This resource allows no break-glass access.'}
        </Typography>
      )}
      <DurationField
        id="request-duration"
        value={values.durationMinutes}
        maxMinutes={policy.maxDurationMinutes}
        error={errors.durationMinutes}
        onChange={m => setValues(v => ({ ...v, durationMinutes: m }))}
      />
      <TextField
        id="request-justification"
        label="Justification"
        required={policy.requireJustification}
        fullWidth
        multiline
        minRows={2}
        margin="normal"
        value={values.justification}
        error={!!errors.justification}
        helperText={errors.justification ?? `${values.justification.length.toLocaleString('en-US')} / ${REASON_MAX.toLocaleString('en-US')}`}
        onChange={e => setValues(v => ({ ...v, justification: e.target.value }))}
      />
      {policy.requireTicket && (
        <TextField
          id="request-ticket"
          label="Ticket"
          required
          fullWidth
          margin="normal"
          value={values.ticket}
          error={!!errors.ticket}
          helperText={errors.ticket}
          onChange={e => setValues(v => ({ ...v, ticket: e.target.value }))}
        />
      )}
      <Box mt={2}>
        <Button variant="contained" color="primary" disabled={busy} onClick={submit}>
          Submit request
        </Button>
      </Box>
    </Box>
  );
}
