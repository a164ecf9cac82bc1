import { Link, StatusError, StatusWarning, StatusOK } from '@backstage/core-components';
import { Box, Typography } from '@material-ui/core';
import { Finding, Severity } from '../api/types';
import { atlasTechniqueTitle, atlasTechniqueUrl, cweUrl } from './atlas';
import { explainRuleFamily } from './ruleFamilies';

/** Severity icon and word, e.g. "⛔ critical". */
export function SeverityStatus(props: { severity: Severity }) {
  const { severity } = props;
  if (severity === 'critical' || severity === 'high') {
    return <StatusError>{severity}</StatusError>;
  }
  if (severity === 'medium' || severity === 'low') {
    return <StatusWarning>{severity}</StatusWarning>;
  }
  return <StatusOK>{severity}</StatusOK>;
}

/** "archive member archive/data.pkl, offset 42, opcode STACK_GLOBAL" */
export function describeLocation(location: Finding['location']): string | undefined {
  if (!location) return undefined;
  const parts: string[] = [];
  if (location.member) parts.push(`archive member ${location.member}`);
  if (location.path) parts.push(`at ${location.path}`);
  if (location.offset !== undefined) parts.push(`byte offset ${location.offset}`);
  if (location.opcode) parts.push(`opcode ${location.opcode}`);
  return parts.length ? parts.join(', ') : undefined;
}

/** Explains one finding in plain words, with its rule, location, CWE and ATLAS links. */
export function FindingExplanation(props: { finding: Finding }) {
  const { finding } = props;
  const where = describeLocation(finding.location);
  const background = explainRuleFamily(finding.ruleId);
  return (
    <Box mb={2} data-testid="finding" data-rule-id={finding.ruleId}>
      <Typography variant="body1">
        <SeverityStatus severity={finding.severity} /> {finding.message}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        Rule <code>{finding.ruleId}</code>
        {where ? ` — found in ${where}` : ''}
      </Typography>
      {background && (
        <Typography variant="body2" color="textSecondary" data-testid="rule-background">
          Why it matters: {background}
        </Typography>
      )}
      {(finding.cwe?.length ?? 0) > 0 && (
        <Typography variant="body2">
          Weakness:{' '}
          {finding.cwe!.map((cwe, i) => {
            const url = cweUrl(cwe);
            return (
              <span key={cwe}>
                {i > 0 && ', '}
                {url ? <Link to={url}>{cwe}</Link> : cwe}
              </span>
            );
          })}
        </Typography>
      )}
      {finding.atlas.length > 0 && (
        <Typography variant="body2">
          MITRE ATLAS:{' '}
          {finding.atlas.map((id, i) => {
            const title = atlasTechniqueTitle(id);
            return (
              <span key={id}>
                {i > 0 && ', '}
                <Link to={atlasTechniqueUrl(id)} data-testid="atlas-link">
                  {id}
                </Link>
                {title ? ` (${title})` : ''}
              </span>
            );
          })}
        </Typography>
      )}
    </Box>
  );
}
