import { Chip } from '@material-ui/core';
import type { FindingStatus, PostureState, Severity } from '@internal/plugin-weight-inventory-common';

const POSTURE_COLOR: Record<PostureState, string> = { passing: '#2e7d32', failing: '#c62828', unknown: '#757575' };
const STATUS_COLOR: Record<FindingStatus, string> = { pass: '#2e7d32', fail: '#c62828', 'not-applicable': '#757575' };
const SEVERITY_COLOR: Record<Severity, string> = { critical: '#7b1fa2', high: '#c62828', medium: '#ef6c00', low: '#1565c0' };

export function PostureChip(props: { posture: PostureState }) {
  return <Chip size="small" label={props.posture} data-testid="posture-chip" style={{ backgroundColor: POSTURE_COLOR[props.posture], color: '#fff' }} />;
}

export function StatusChip(props: { status: FindingStatus }) {
  return <Chip size="small" label={props.status} style={{ backgroundColor: STATUS_COLOR[props.status], color: '#fff' }} />;
}

export function SeverityChip(props: { severity: Severity }) {
  return <Chip size="small" variant="outlined" label={props.severity} style={{ borderColor: SEVERITY_COLOR[props.severity], color: SEVERITY_COLOR[props.severity] }} />;
}

/** A failing check covered by an active policy exception: still failing, never "pass". */
export function ExceptedChip() {
  return <Chip size="small" variant="outlined" label="excepted" data-testid="excepted-chip" style={{ borderColor: '#ef6c00', color: '#ef6c00' }} />;
}
