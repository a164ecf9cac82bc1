import { Chip, makeStyles } from '@material-ui/core';
import { Severity, Verdict } from '../api/types';

const useStyles = makeStyles(theme => ({
  safe: {
    backgroundColor: theme.palette.success?.main ?? '#2e7d32',
    color: '#fff',
  },
  suspicious: {
    backgroundColor: theme.palette.warning?.main ?? '#ed6c02',
    color: '#000',
  },
  malicious: {
    backgroundColor: theme.palette.error?.main ?? '#d32f2f',
    color: '#fff',
  },
  error: { backgroundColor: theme.palette.grey[600], color: '#fff' },
  pending: {},
}));

const VERDICT_LABELS: Record<Verdict, string> = {
  safe: 'Safe',
  suspicious: 'Suspicious',
  malicious: 'Malicious',
  error: 'Scan error',
};

/** What each verdict means, in plain words. */
export const VERDICT_MEANING: Record<Verdict, string> = {
  safe: 'Only content the scanner knows to be used by legitimate models was found.',
  suspicious:
    'The file contains something outside the allowlists or a structural anomaly; a security reviewer must look at it before it is used.',
  malicious:
    'The file contains a known way to run code when it is loaded. Do not load it.',
  error:
    'The file could not be scanned completely and nothing dangerous was seen before the failure. Treat it as unverified.',
};

/** A coloured chip for a verdict; "Pending" while a scan runs, "Scan failed" when it failed. */
export function VerdictChip(props: {
  verdict?: Verdict;
  severity?: Severity;
  size?: 'small' | 'medium';
  /** the scan's status: a failed scan without a verdict is "Scan failed", never "Pending" */
  status?: string;
}) {
  const classes = useStyles();
  const { verdict, severity, size = 'small', status } = props;
  if (!verdict && status === 'failed') {
    return (
      <Chip
        size={size}
        label="Scan failed · unverified"
        title="The scan did not finish; the file is not verified. Look at the error and scan again."
        className={classes.error}
        data-testid="verdict-chip"
        data-verdict="failed"
      />
    );
  }
  if (!verdict) {
    return (
      <Chip
        size={size}
        label="Pending"
        variant="outlined"
        data-testid="verdict-chip"
        data-verdict="pending"
      />
    );
  }
  const label =
    severity && severity !== 'none' && verdict !== 'safe'
      ? `${VERDICT_LABELS[verdict]} · ${severity}`
      : VERDICT_LABELS[verdict];
  return (
    <Chip
      size={size}
      label={label}
      title={VERDICT_MEANING[verdict]}
      className={classes[verdict]}
      data-testid="verdict-chip"
      data-verdict={verdict}
    />
  );
}
