import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from './config';
import { DetectionEngine } from './engine';
import { compileSigmaToKql } from './sigma/kql';
import { loadSigmaText, loadSigmaDir, shippedRulesDir } from './sigma/load';

/** Golden files: `UPDATE_GOLDEN=1` rewrites them; review the diff like code. */
const GOLDEN = path.join(__dirname, '__golden__', 'kql');

function golden(name: string, actual: string) {
  const file = path.join(GOLDEN, `${name}.kql`);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, `${actual}\n`);
  expect(actual).toBe(fs.readFileSync(file, 'utf8').replace(/\n$/, ''));
}

describe('KQL compilation', () => {
  const config = resolveConfig({ weightStores: [{ account: 'frontierweights', containers: ['frontier-70b'] }], researchCidrs: ['10.30.0.0/16'] });
  const engine = new DetectionEngine({ config, sigmaRules: [] });

  it.each(engine.statefulRules().map(r => [r.id, r] as const))('stateful rule %s', (id, rule) => {
    golden(id, rule.kql(config));
  });

  const sigma = [...loadSigmaDir(shippedRulesDir()), ...loadSigmaDir(path.resolve(shippedRulesDir(), '..', 'sigma-optional'))];
  it.each(sigma.map(r => [r.rule.id, r] as const))('shipped Sigma rule %s', (id, r) => {
    golden(`sigma-${id}`, compileSigmaToKql(r.rule));
  });

  it('compiles modifiers and conditions to the matching KQL operators', () => {
    const [r] = loadSigmaText(`title: modifiers
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    verb: [create, update]
    objectRef.resource|startswith: secret
    requestURI|contains|all: [/api/, /namespaces/]
    user.username|endswith: '@contoso.com'
    userAgent: 'kubectl*linux*'
    responseStatus.code|gte: 400
    sourceIPs|cidr: 10.0.0.0/8
  re:
    user.username|re|i: '^admin-\\d+$'
  filter:
    objectRef.namespace: null
  condition: sel and not filter or re
`);
    golden('modifiers', compileSigmaToKql(r.rule));
  });

  /*
   * Column names of the Log Analytics tables the queries read (learn.microsoft.com/azure/azure-monitor/
   * reference/tables/<table>), and the property names inside their dynamic columns (Graph signIn
   * resource; audit.k8s.io/v1 Event). KQL names are case-sensitive: `DeviceDetail.trusttype` is a
   * valid query that never matches.
   */
  const SCHEMAS: Record<string, string[]> = {
    SigninLogs: ['TimeGenerated', 'UserPrincipalName', 'UserId', 'UserDisplayName', 'AppDisplayName', 'AppId', 'IPAddress', 'Location', 'LocationDetails', 'ResultType', 'ResultDescription', 'Status', 'ConditionalAccessStatus', 'ConditionalAccessPolicies', 'AuthenticationRequirement', 'RiskLevelDuringSignIn', 'RiskLevelAggregated', 'RiskState', 'RiskDetail', 'RiskEventTypes_V2', 'DeviceDetail', 'ClientAppUsed', 'IsInteractive', 'CorrelationId', 'UserAgent', 'MfaDetail', 'Category', 'CreatedDateTime', 'Id', 'AutonomousSystemNumber'],
    AADNonInteractiveUserSignInLogs: ['TimeGenerated', 'UserPrincipalName', 'IPAddress', 'Location', 'LocationDetails', 'ResultType', 'Status', 'DeviceDetail', 'ConditionalAccessPolicies', 'MfaDetail', 'AuthenticationRequirement', 'RiskLevelDuringSignIn', 'RiskLevelAggregated', 'RiskState', 'RiskDetail', 'RiskEventTypes_V2', 'AppDisplayName'],
    AADUserRiskEvents: ['TimeGenerated', 'Id', 'RiskEventType', 'RiskLevel', 'RiskState', 'RiskDetail', 'Source', 'DetectionTimingType', 'Activity', 'IpAddress', 'Location', 'ActivityDateTime', 'DetectedDateTime', 'UserId', 'UserDisplayName', 'UserPrincipalName', 'CorrelationId', 'RequestId', 'AdditionalInfo'],
    StorageBlobLogs: ['TimeGenerated', 'AccountName', 'OperationName', 'StatusCode', 'StatusText', 'AuthenticationType', 'AuthenticationHash', 'CallerIpAddress', 'CorrelationId', 'ObjectKey', 'Uri', 'RequesterObjectId', 'RequesterUpn', 'RequesterAppId', 'RequesterTenantId', 'ResponseBodySize', 'RequestBodySize', 'UserAgentHeader', 'Category', '_ResourceId'],
    AKSAudit: ['TimeGenerated', 'Level', 'AuditId', 'Stage', 'RequestUri', 'Verb', 'User', 'ImpersonatedUser', 'SourceIps', 'UserAgent', 'ObjectRef', 'ResponseStatus', 'RequestObject', 'ResponseObject', 'RequestReceivedTime', 'StageReceivedTime', 'Annotations', '_ResourceId'],
    AZFWNetworkRule: ['TimeGenerated', 'Protocol', 'SourceIp', 'SourcePort', 'DestinationIp', 'DestinationPort', 'Action', 'ActionReason', 'Policy', 'RuleCollectionGroup', 'RuleCollection', 'Rule'],
    AZFWApplicationRule: ['TimeGenerated', 'Protocol', 'SourceIp', 'SourcePort', 'DestinationPort', 'Fqdn', 'TargetUrl', 'Action', 'ActionReason', 'Policy', 'RuleCollectionGroup', 'RuleCollection', 'Rule'],
    FrontierGuardAudit_CL: ['TimeGenerated', 'pluginId_s', 'eventId_s', 'meta_s'],
  };
  const PROPS: Record<string, string[]> = {
    DeviceDetail: ['deviceId', 'displayName', 'operatingSystem', 'browser', 'isCompliant', 'isManaged', 'trustType'],
    LocationDetails: ['city', 'state', 'countryOrRegion', 'geoCoordinates', 'latitude', 'longitude'],
    Status: ['errorCode', 'failureReason', 'additionalDetails'],
    ObjectRef: ['apiGroup', 'apiVersion', 'resource', 'subresource', 'namespace', 'name'],
    User: ['username', 'uid', 'groups'],
    ResponseStatus: ['code', 'reason', 'message', 'status'],
    RequestObject: ['roleRef', 'name', 'subjects', 'spec', 'containers', 'securityContext', 'capabilities', 'add', 'volumes', 'hostPath', 'path'],
    ResponseObject: ['roleRef', 'name'],
  };

  function checkColumns(kql: string): string[] {
    const text = kql.replace(/\/\/[^\n]*/g, '').replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
    const tables = Object.keys(SCHEMAS).filter(t => new RegExp(`\\b${t}\\b`).test(text));
    if (!tables.length) return ['no known table'];
    const columns = new Set(tables.flatMap(t => SCHEMAS[t]));
    const lets = new Set([...text.matchAll(/\blet\s+(\w+)/g)].map(m => m[1]));
    const problems: string[] = [];
    for (const m of text.matchAll(/(?<![.\w])([A-Z_][A-Za-z0-9_]*)\b(?!\s*\()/g)) {
      const name = m[1];
      if (!tables.includes(name) && !columns.has(name) && !lets.has(name)) problems.push(`unknown column ${name}`);
    }
    for (const m of text.matchAll(/\b([A-Z][A-Za-z]*)((?:\.[A-Za-z_]\w*)+)/g)) {
      const allowed = PROPS[m[1]];
      if (!allowed) continue;
      for (const prop of m[2].slice(1).split('.')) if (!allowed.includes(prop)) problems.push(`${m[1]} has no property ${prop}`);
    }
    return problems;
  }

  it('names only columns and dynamic properties that the Log Analytics tables have, in their case', () => {
    const queries = [
      ...engine.statefulRules().map(r => [r.id, r.kql(config)] as const),
      ...sigma.map(r => [r.rule.id, compileSigmaToKql(r.rule)] as const),
    ];
    const problems = queries.flatMap(([id, kql]) => checkColumns(kql).map(p => `${id}: ${p}`));
    expect(problems).toEqual([]);
    // the checker itself refuses the wrong spellings it is there for
    expect(checkColumns('SigninLogs\n| where isempty(tostring(DeviceDetail.trusttype))')).toEqual(['DeviceDetail has no property trusttype']);
    expect(checkColumns('StorageBlobLogs\n| where IPAddress == "1.2.3.4"')).toEqual(['unknown column IPAddress']);
  });

  it('compares StorageBlobLogs status codes as numbers (StatusCode is a string column)', () => {
    for (const r of engine.statefulRules()) {
      const kql = r.kql(config);
      if (kql.includes('StorageBlobLogs')) expect(kql).not.toMatch(/(?<!toint\()StatusCode\s*[<>]/);
    }
  });
});
