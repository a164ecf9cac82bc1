import { useEffect, useMemo, useState } from 'react';
import { Content, InfoCard, Page } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Box, Button, FormControl, FormControlLabel, Grid, IconButton, InputLabel, MenuItem, Radio, RadioGroup, Select, TextField, Typography,
} from '@material-ui/core';
import DeleteIcon from '@material-ui/icons/Delete';
import { Alert } from '@material-ui/lab';
import {
  CompensatingControl,
  CreateExceptionBody,
  JUSTIFICATION_MIN,
  RiskLevel,
  policyExceptionReviewPermission,
  requiredApprovalsFor,
  riskRating,
} from '@internal/plugin-policy-exceptions-common';
import { securityControls } from '@internal/plugin-security-controls-common';
import { useNavigate, useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { policyExceptionsApiRef, postureFindingsApiRef } from '../api/apis';
import { exceptionRouteRef } from '../routes';
import { ExceptionsHeader, RiskChip, describeError, useCurrentUser } from './common';

const DAY = 86_400_000;
const LEVELS: RiskLevel[] = ['low', 'medium', 'high'];
const WORKSHEET: Array<[keyof Omit<Extract<CompensatingControl, { kind: 'described' }>, 'kind' | 'owner'>, string, string]> = [
  ['measure', 'Compensating control', 'What is done instead of the original control'],
  ['constraint', 'Constraint', 'Why the original control cannot be met (technical or business constraint)'],
  ['objective', 'Objective', 'The objective of the original control, and how this measure meets it'],
  ['identifiedRisk', 'Identified risk', 'The risk posed by the lack of the original control'],
  ['validation', 'Validation', 'How the measure was validated and tested'],
  ['maintenance', 'Maintenance', 'How the measure is maintained and monitored'],
  ['evidence', 'Evidence', 'Where the evidence is (ticket, document, dashboard)'],
];

type Described = Extract<CompensatingControl, { kind: 'described' }>;
const emptyDescribed = (owner: string): Described => ({
  kind: 'described', measure: '', owner, evidence: '', constraint: '', objective: '', identifiedRisk: '', validation: '', maintenance: '',
});

/** Maps "field.path: reason; …" (a 400 from the backend) to fields. */
function fieldErrors(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of message.split('; ')) {
    const i = part.indexOf(': ');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 2);
  }
  return out;
}

/** /policy-exceptions/new — request an exception to one control for an exact scope. */
export function RequestExceptionPage() {
  const api = useApi(policyExceptionsApiRef);
  const postureApi = useApi(postureFindingsApiRef);
  const navigate = useNavigate();
  const exceptionLink = useRouteRef(exceptionRouteRef);
  const reviewer = usePermission({ permission: policyExceptionReviewPermission });
  const me = useCurrentUser();
  const [params] = useSearchParams();
  const reviseId = params.get('revise') ?? undefined;

  const [entityRefs, setEntityRefs] = useState(params.get('entityRef') ?? '');
  const [controlId, setControlId] = useState(params.get('controlId') ?? '');
  const [findingChoice, setFindingChoice] = useState<string>(params.get('findingKey') ? 'other' : 'all');
  const [otherFinding, setOtherFinding] = useState(params.get('findingKey') ?? '');
  const [justification, setJustification] = useState('');
  const [reasonCategory, setReasonCategory] = useState<CreateExceptionBody['reasonCategory']>('operational-requirement');
  const [likelihood, setLikelihood] = useState<RiskLevel>('medium');
  const [impact, setImpact] = useState<RiskLevel>('medium');
  const [owner, setOwner] = useState('');
  const [endDate, setEndDate] = useState(new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10));
  const [controls, setControls] = useState<CompensatingControl[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (me && !owner && !reviseId) setOwner(me);
  }, [me, owner, reviseId]);

  // ?revise=<id>: an edit of an existing exception, prefilled from the revision proposed or in force
  const revising = useAsync(async () => (reviseId ? (await api.getException(reviseId)).exception : undefined), [api, reviseId]);
  useEffect(() => {
    const e = revising.value;
    if (!e) return;
    const c = e.pendingRevision?.content ?? e.content;
    setControlId(e.controlId);
    setEntityRefs(c.scope.entityRefs.join('\n'));
    setFindingChoice(c.scope.findingKey ? 'other' : 'all');
    setOtherFinding(c.scope.findingKey ?? '');
    setJustification(c.justification);
    setReasonCategory(c.reasonCategory);
    setLikelihood(c.risk.likelihood);
    setImpact(c.risk.impact);
    setOwner(c.owner);
    setEndDate(c.endsAt.slice(0, 10));
    setControls(c.compensatingControls);
  }, [revising.value]);

  const firstEntity = entityRefs.split(/[\s,]+/).filter(Boolean)[0];
  const findings = useAsync(async () => {
    if (!firstEntity || !controlId) return undefined;
    return (await postureApi.listFindings({ entityRef: firstEntity, controlId, status: 'fail' })).items;
  }, [postureApi, firstEntity, controlId]);

  const rating = riskRating(likelihood, impact);
  let findingKey: string | undefined = findingChoice;
  if (findingChoice === 'all') findingKey = undefined;
  if (findingChoice === 'other') findingKey = otherFinding.trim() || undefined;
  const controlOptions = useMemo(() => [...securityControls].sort((a, b) => a.title.localeCompare(b.title)), []);

  const submit = async () => {
    setError(undefined);
    setErrors({});
    const local: Record<string, string> = {};
    if (!controlId) local.controlId = 'Choose the control the exception is to.';
    if (!firstEntity) local['scope.entityRefs'] = 'Name at least one catalog entity.';
    if (justification.trim().length < JUSTIFICATION_MIN) local.justification = `At least ${JUSTIFICATION_MIN} characters.`;
    if (controls.length === 0) local.compensatingControls = 'Add at least one compensating control.';
    if (Object.keys(local).length) {
      setErrors(local);
      return;
    }
    setBusy(true);
    try {
      const content = {
        scope: { entityRefs: entityRefs.split(/[\s,]+/).filter(Boolean), ...(findingKey ? { findingKey } : {}) },
        justification: justification.trim(),
        reasonCategory,
        risk: { likelihood, impact },
        compensatingControls: controls,
        owner,
        endsAt: new Date(`${endDate}T23:59:00Z`).toISOString(),
      };
      const { exception } = reviseId
        ? await api.reviseException(reviseId, content)
        : await api.createException({ controlId, ...content });
      navigate(`${exceptionLink?.({ id: exception.id }) ?? ''}?${reviseId ? 'revised' : 'created'}=1`);
    } catch (e) {
      const message = describeError(e);
      setErrors(fieldErrors(message));
      setError(message);
    } finally {
      setBusy(false);
    }
  };

  const err = (field: string) => Object.entries(errors).find(([k]) => k === field || k.startsWith(`${field}.`))?.[1];
  const setControl = (i: number, c: CompensatingControl) => setControls(cs => cs.map((x, j) => (j === i ? c : x)));

  return (
    <Page themeId="tool">
      <ExceptionsHeader
        title={reviseId ? 'Propose a revision' : 'Request an exception'}
        subtitle={reviseId ? 'A decided exception never changes silently: the revision gets its own review, and the decided one stays in force until then' : 'An exception lets a finding stay open for a while, only with compensating controls'}
        tab={reviseId ? undefined : 'new'}
        reviewer={reviewer.allowed}
      />
      <Content>
        {error && <Alert severity="error" role="alert" data-testid="form-error">{error}</Alert>}
        <Grid container spacing={3}>
          <Grid item xs={12} md={6}>
            <InfoCard title="What is excepted">
              <FormControl fullWidth margin="normal" error={!!err('controlId')}>
                <InputLabel id="control-label">Control</InputLabel>
                <Select labelId="control-label" value={controlId} disabled={!!reviseId} onChange={e => setControlId(String(e.target.value))} inputProps={{ 'data-testid': 'control-select' }}>
                  {controlOptions.map(c => <MenuItem key={c.id} value={c.id} data-testid={`control-option-${c.id}`}>{c.title}</MenuItem>)}
                </Select>
                {err('controlId') && <Typography color="error" variant="caption">{err('controlId')}</Typography>}
              </FormControl>
              <TextField label="Catalog entities (one per line)" fullWidth margin="normal" multiline minRows={1} value={entityRefs}
                onChange={e => setEntityRefs(e.target.value)} error={!!err('scope.entityRefs')} helperText={err('scope.entityRefs') ?? 'e.g. resource:default/training-cluster'}
                inputProps={{ 'data-testid': 'entity-input' }} />
              <Typography variant="subtitle2">Finding</Typography>
              <RadioGroup value={findingChoice} onChange={e => setFindingChoice(e.target.value)}>
                <FormControlLabel value="all" control={<Radio />} label="Every finding of this control on these entities" />
                {(findings.value ?? []).map(f => (
                  <FormControlLabel key={f.findingKey} value={f.findingKey} control={<Radio />} data-testid={`finding-${f.findingKey}`}
                    label={`${f.title}: ${f.subjectName} — ${f.message}`} />
                ))}
                <FormControlLabel value="other" control={<Radio />} label="Another finding (its key)" />
              </RadioGroup>
              {findings.error && <Typography variant="caption">Open findings could not be loaded; type the finding key instead.</Typography>}
              {findings.value && findings.value.length === 0 && <Typography variant="caption">No open finding of this control on the entity.</Typography>}
              {findingChoice === 'other' && (
                <TextField label="Finding key" fullWidth margin="dense" value={otherFinding} onChange={e => setOtherFinding(e.target.value)}
                  error={!!err('scope.findingKey')} helperText={err('scope.findingKey') ?? 'e.g. FG-K8S-EGRESS-ALLOWLIST:k8s/rl-team/… or sha256:<hash>'}
                  inputProps={{ 'data-testid': 'finding-key-input' }} />
              )}
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={6}>
            <InfoCard title="Why, how risky, until when">
              <TextField label="Justification" required fullWidth multiline minRows={3} margin="normal" value={justification}
                onChange={e => setJustification(e.target.value)} error={!!err('justification')}
                helperText={err('justification') ?? `${justification.length.toLocaleString('en-US')} / 8,192 (at least ${JUSTIFICATION_MIN})`}
                inputProps={{ 'data-testid': 'justification-input', maxLength: 8192 }} />
              <FormControl fullWidth margin="normal">
                <InputLabel id="reason-label">Reason</InputLabel>
                <Select labelId="reason-label" value={reasonCategory} onChange={e => setReasonCategory(e.target.value as any)}>
                  <MenuItem value="operational-requirement">Operational requirement</MenuItem>
                  <MenuItem value="false-positive">False positive</MenuItem>
                  <MenuItem value="risk-accepted">Risk accepted</MenuItem>
                  <MenuItem value="vendor-dependency">Vendor dependency</MenuItem>
                </Select>
              </FormControl>
              <Box display="flex" style={{ gap: 16 }} alignItems="center">
                <FormControl margin="normal" style={{ minWidth: 140 }}>
                  <InputLabel id="likelihood-label">Likelihood</InputLabel>
                  <Select labelId="likelihood-label" value={likelihood} onChange={e => setLikelihood(e.target.value as RiskLevel)} inputProps={{ 'data-testid': 'likelihood-select' }}>
                    {LEVELS.map(l => <MenuItem key={l} value={l} data-testid={`likelihood-${l}`}>{l}</MenuItem>)}
                  </Select>
                </FormControl>
                <FormControl margin="normal" style={{ minWidth: 140 }}>
                  <InputLabel id="impact-label">Impact</InputLabel>
                  <Select labelId="impact-label" value={impact} onChange={e => setImpact(e.target.value as RiskLevel)} inputProps={{ 'data-testid': 'impact-select' }}>
                    {LEVELS.map(l => <MenuItem key={l} value={l} data-testid={`impact-${l}`}>{l}</MenuItem>)}
                  </Select>
                </FormControl>
                <RiskChip rating={rating} />
              </Box>
              <Typography variant="caption" data-testid="approvals-needed">
                {requiredApprovalsFor(rating) === 2 ? 'Two different security reviewers must approve.' : 'One security reviewer must approve.'}
              </Typography>
              <TextField label="Owner (accountable for the exception)" fullWidth margin="normal" value={owner} onChange={e => setOwner(e.target.value)}
                error={!!err('owner')} helperText={err('owner') ?? 'A user, e.g. user:default/alice'} />
              <Box display="flex" alignItems="center" style={{ gap: 8 }}>
                <TextField label="Ends on" type="date" margin="normal" value={endDate} onChange={e => setEndDate(e.target.value)}
                  InputLabelProps={{ shrink: true }} error={!!err('endsAt')} helperText={err('endsAt') ?? 'Every exception ends; the riskier, the sooner.'}
                  inputProps={{ 'data-testid': 'end-date-input' }} />
                {[7, 30, 90].map(d => (
                  <Button key={d} size="small" variant="outlined" onClick={() => setEndDate(new Date(Date.now() + d * DAY).toISOString().slice(0, 10))}>{d} days</Button>
                ))}
              </Box>
            </InfoCard>
          </Grid>
          <Grid item xs={12}>
            <InfoCard title="Compensating controls">
              {err('compensatingControls') && <Alert severity="error">{err('compensatingControls')}</Alert>}
              {controls.map((c, i) => (
                <Box key={i} mb={2} p={1} border={1} borderColor="grey.300" borderRadius={4} data-testid={`compensating-${i}`}>
                  <Box display="flex" justifyContent="space-between" alignItems="center">
                    <Typography variant="subtitle2">{c.kind === 'catalog' ? 'A catalog control that must keep passing on the same scope' : 'A described measure (PCI DSS worksheet)'}</Typography>
                    <IconButton aria-label="Remove" size="small" onClick={() => setControls(cs => cs.filter((_x, j) => j !== i))}><DeleteIcon /></IconButton>
                  </Box>
                  {c.kind === 'catalog' ? (
                    <FormControl fullWidth>
                      <Select value={c.controlId} onChange={e => setControl(i, { kind: 'catalog', controlId: String(e.target.value) })} inputProps={{ 'data-testid': `compensating-${i}-select` }}>
                        {controlOptions.filter(o => o.id !== controlId).map(o => <MenuItem key={o.id} value={o.id} data-testid={`compensating-option-${o.id}`}>{o.title}</MenuItem>)}
                      </Select>
                    </FormControl>
                  ) : (
                    <Grid container spacing={1}>
                      {WORKSHEET.map(([field, label, help]) => (
                        <Grid item xs={12} md={6} key={field}>
                          <TextField label={label} fullWidth multiline required value={c[field]} helperText={err(`compensatingControls.${i}.${field}`) ?? help}
                            error={!!err(`compensatingControls.${i}.${field}`)} onChange={e => setControl(i, { ...c, [field]: e.target.value })}
                            inputProps={{ 'data-testid': `compensating-${i}-${field}`, maxLength: 4096 }} />
                        </Grid>
                      ))}
                      <Grid item xs={12} md={6}>
                        <TextField label="Owner of the measure" fullWidth value={c.owner} onChange={e => setControl(i, { ...c, owner: e.target.value })} />
                      </Grid>
                    </Grid>
                  )}
                </Box>
              ))}
              <Box display="flex" style={{ gap: 8 }}>
                <Button variant="outlined" onClick={() => setControls(cs => [...cs, { kind: 'catalog', controlId: '' }])} data-testid="add-catalog-control">Add a catalog control</Button>
                <Button variant="outlined" onClick={() => setControls(cs => [...cs, emptyDescribed(me ?? '')])} data-testid="add-described-control">Describe a measure</Button>
              </Box>
            </InfoCard>
          </Grid>
          <Grid item xs={12}>
            <Button variant="contained" color="primary" onClick={submit} disabled={busy} data-testid="submit-exception">{reviseId ? 'Send the revision to security reviewers' : 'Send to security reviewers'}</Button>
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}
