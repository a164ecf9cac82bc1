/**
 * Builders of records in the shapes the real systems export, for tests, the benchmark and the
 * sample data of the browser test. Every builder takes overrides.
 */
import { randomUUID } from 'node:crypto';

export const SUB = '00000000-0000-0000-0000-000000000000';
export const TENANT = '11111111-2222-3333-4444-555555555555';

export interface SignInOpts {
  time: string;
  upn: string;
  userId?: string;
  ip: string;
  country?: string;
  city?: string;
  lat?: number;
  lon?: number;
  errorCode?: number;
  failureReason?: string;
  risk?: string;
  riskState?: string;
  riskDetail?: string;
  mfa?: boolean;
  app?: string;
  id?: string;
  interactive?: boolean;
}

/** Microsoft Graph `signIn` (GET /auditLogs/signIns). */
export function graphSignIn(o: SignInOpts): Record<string, unknown> {
  return {
    id: o.id ?? randomUUID(),
    createdDateTime: o.time,
    userDisplayName: o.upn.split('@')[0],
    userPrincipalName: o.upn,
    userId: o.userId ?? randomUUID(),
    appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
    appDisplayName: o.app ?? 'Azure Portal',
    ipAddress: o.ip,
    clientAppUsed: 'Browser',
    correlationId: randomUUID(),
    conditionalAccessStatus: 'success',
    isInteractive: o.interactive ?? true,
    riskDetail: o.riskDetail ?? 'none',
    riskLevelAggregated: o.risk ?? 'none',
    riskLevelDuringSignIn: o.risk ?? 'none',
    riskState: o.riskState ?? 'none',
    riskEventTypes_v2: o.risk && o.risk !== 'none' ? ['unfamiliarFeatures'] : [],
    resourceDisplayName: 'Windows Azure Service Management API',
    resourceId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
    authenticationRequirement: o.mfa ? 'multiFactorAuthentication' : 'singleFactorAuthentication',
    status: { errorCode: o.errorCode ?? 0, failureReason: o.failureReason ?? (o.errorCode ? 'Invalid username or password or Invalid on-premise username or password.' : 'Other.'), additionalDetails: o.mfa ? 'MFA requirement satisfied by claim in the token' : null },
    deviceDetail: { deviceId: '', displayName: '', operatingSystem: 'Windows 10', browser: 'Edge 120.0.0', isCompliant: false, isManaged: false, trustType: '' },
    location: {
      city: o.city ?? 'London',
      state: '',
      countryOrRegion: o.country ?? 'GB',
      geoCoordinates: { altitude: null, latitude: o.lat ?? 51.5072, longitude: o.lon ?? -0.1276 },
    },
  };
}

/** Entra diagnostic-settings export of a sign-in (storage account / Event Hub record). */
export function diagnosticSignIn(o: SignInOpts): Record<string, unknown> {
  const g = graphSignIn(o);
  return {
    time: o.time,
    resourceId: `/tenants/${TENANT}/providers/Microsoft.aadiam`,
    operationName: 'Sign-in activity',
    operationVersion: '1.0',
    category: o.interactive === false ? 'NonInteractiveUserSignInLogs' : 'SignInLogs',
    tenantId: TENANT,
    resultType: String(o.errorCode ?? 0),
    resultSignature: 'None',
    resultDescription: (g.status as any).failureReason,
    durationMs: 0,
    callerIpAddress: o.ip,
    correlationId: g.correlationId,
    identity: o.upn.split('@')[0],
    Level: 4,
    location: o.country ?? 'GB',
    properties: g,
  };
}

/** Log Analytics `SigninLogs` row (dynamic columns as JSON text, as exports write them). */
export function laSignIn(o: SignInOpts): Record<string, unknown> {
  const g = graphSignIn(o) as any;
  return {
    TenantId: TENANT,
    TimeGenerated: o.time,
    CreatedDateTime: o.time,
    Id: g.id,
    UserPrincipalName: o.upn,
    UserId: g.userId,
    UserDisplayName: g.userDisplayName,
    AppDisplayName: g.appDisplayName,
    AppId: g.appId,
    IPAddress: o.ip,
    Location: g.location.countryOrRegion,
    LocationDetails: JSON.stringify(g.location),
    ResultType: String(o.errorCode ?? 0),
    ResultDescription: g.status.failureReason,
    Status: JSON.stringify(g.status),
    ConditionalAccessStatus: 'success',
    AuthenticationRequirement: g.authenticationRequirement,
    RiskLevelDuringSignIn: g.riskLevelDuringSignIn,
    RiskLevelAggregated: g.riskLevelAggregated,
    RiskState: g.riskState,
    RiskDetail: g.riskDetail,
    DeviceDetail: JSON.stringify(g.deviceDetail),
    IsInteractive: g.isInteractive,
    CorrelationId: g.correlationId,
    Type: 'SigninLogs',
  };
}

export function riskDetection(o: { time: string; upn: string; type: string; level?: string; state?: string; ip?: string; id?: string }): Record<string, unknown> {
  return {
    id: o.id ?? randomUUID().replace(/-/g, ''),
    requestId: randomUUID(),
    correlationId: randomUUID(),
    riskEventType: o.type,
    riskState: o.state ?? 'atRisk',
    riskLevel: o.level ?? 'medium',
    riskDetail: 'none',
    source: 'IdentityProtection',
    detectionTimingType: 'realtime',
    activity: 'signin',
    tokenIssuerType: 'AzureAD',
    ipAddress: o.ip ?? '203.0.113.9',
    activityDateTime: o.time,
    detectedDateTime: o.time,
    lastUpdatedDateTime: o.time,
    userId: randomUUID(),
    userDisplayName: o.upn.split('@')[0],
    userPrincipalName: o.upn,
    additionalInfo: '[{"Key":"userAgent","Value":"Mozilla/5.0"}]',
    location: { city: 'Amsterdam', state: 'Noord-Holland', countryOrRegion: 'NL', geoCoordinates: { latitude: 52.37, longitude: 4.89 } },
  };
}

export interface BlobOpts {
  time: string;
  account: string;
  container: string;
  blob?: string;
  op?: string;
  bytes?: number;
  status?: number;
  auth?: 'OAuth' | 'SAS' | 'AccountKey' | 'Anonymous';
  upn?: string;
  objectId?: string;
  appId?: string;
  ip?: string;
  correlationId?: string;
}

/** StorageBlobLogs record as the diagnostic setting writes it (insights-logs-storageread). */
export function diagnosticBlobLog(o: BlobOpts): Record<string, unknown> {
  const op = o.op ?? 'GetBlob';
  const status = o.status ?? (op === 'GetBlob' && o.bytes !== undefined ? 200 : 200);
  const key = o.blob ? `/${o.account}/${o.container}/${o.blob}` : o.container ? `/${o.account}/${o.container}` : `/${o.account}`;
  const auth = o.auth ?? 'OAuth';
  return {
    time: o.time,
    resourceId: `/subscriptions/${SUB}/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/${o.account}/blobServices/default`,
    category: op.startsWith('Put') || op.startsWith('Set') ? 'StorageWrite' : op.startsWith('Delete') ? 'StorageDelete' : 'StorageRead',
    operationName: op,
    operationVersion: '2023-11-03',
    schemaVersion: '1.0',
    statusCode: status,
    statusText: status < 400 ? 'Success' : status === 403 ? 'AuthorizationPermissionMismatch' : 'ClientOtherError',
    durationMs: 120,
    callerIpAddress: `${o.ip ?? '10.1.2.3'}:${40000 + Math.floor(Math.random() * 20000)}`,
    correlationId: o.correlationId ?? randomUUID(),
    location: 'westeurope',
    uri: `https://${o.account}.blob.core.windows.net/${o.container}${o.blob ? `/${o.blob}` : ''}`,
    protocol: 'HTTPS',
    identity:
      auth === 'OAuth'
        ? {
            type: 'OAuth',
            tokenHash: 'sha256(8F4E2A)',
            authorization: [
              {
                action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
                roleAssignmentId: randomUUID(),
                roleDefinitionId: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
                principals: [{ id: o.objectId ?? randomUUID(), type: o.upn ? 'User' : 'ServicePrincipal' }],
                denyAssignmentId: '',
                type: 'RBAC',
                result: 'Granted',
                reason: 'Policy',
              },
            ],
            requester: { appId: o.appId ?? '04b07795-8ddb-461a-bbee-02f9e1bf7b46', audience: 'https://storage.azure.com/', objectId: o.objectId, tenantId: TENANT, tokenIssuer: `https://sts.windows.net/${TENANT}/`, upn: o.upn },
          }
        : auth === 'Anonymous'
          ? { type: 'Anonymous' }
          : { type: auth, tokenHash: auth === 'SAS' ? 'key1(0B6E2C),SasSignature(9A1F3D)' : 'key1(0B6E2C)' },
    properties: {
      accountName: o.account,
      userAgentHeader: 'azsdk-python-storage-blob/12.19.0 Python/3.11.6 (Linux)',
      serviceType: 'blob',
      objectKey: key,
      requestHeaderSize: 1200,
      responseHeaderSize: 300,
      responseBodySize: o.bytes ?? 0,
      requestBodySize: 0,
      serverLatencyMs: 80,
      tlsVersion: 'TLS 1.2',
    },
  };
}

/** Log Analytics `StorageBlobLogs` row. */
export function laBlobLog(o: BlobOpts): Record<string, unknown> {
  const d = diagnosticBlobLog(o) as any;
  return {
    TimeGenerated: o.time,
    AccountName: o.account,
    Location: 'westeurope',
    Protocol: 'HTTPS',
    OperationName: d.operationName,
    AuthenticationType: d.identity.type,
    StatusCode: String(d.statusCode),
    StatusText: d.statusText,
    DurationMs: 120,
    CallerIpAddress: d.callerIpAddress,
    CorrelationId: d.correlationId,
    AuthenticationHash: d.identity.tokenHash,
    RequesterObjectId: o.objectId,
    RequesterUpn: o.upn,
    RequesterAppId: d.identity.requester?.appId,
    Uri: d.uri,
    ObjectKey: d.properties.objectKey,
    ResponseBodySize: o.bytes ?? 0,
    Category: d.category,
    Type: 'StorageBlobLogs',
    _ResourceId: d.resourceId.toLowerCase(),
  };
}

export interface AuditOpts {
  time: string;
  user: string;
  groups?: string[];
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  code?: number;
  apiGroup?: string;
  requestObject?: unknown;
  stage?: string;
  auditID?: string;
}

export function k8sAudit(o: AuditOpts): Record<string, unknown> {
  const path = `${o.apiGroup ? `/apis/${o.apiGroup}/v1` : '/api/v1'}${o.namespace ? `/namespaces/${o.namespace}` : ''}/${o.resource}${o.name ? `/${o.name}` : ''}${o.subresource ? `/${o.subresource}` : ''}`;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: o.requestObject ? 'RequestResponse' : 'Metadata',
    auditID: o.auditID ?? randomUUID(),
    stage: o.stage ?? 'ResponseComplete',
    requestURI: path,
    verb: o.verb,
    user: { username: o.user, groups: o.groups ?? (o.user.startsWith('system:serviceaccount:') ? ['system:serviceaccounts', 'system:authenticated'] : ['system:authenticated']) },
    sourceIPs: ['10.240.0.4'],
    userAgent: 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350',
    objectRef: { resource: o.resource, namespace: o.namespace, name: o.name, apiGroup: o.apiGroup, apiVersion: 'v1', subresource: o.subresource },
    responseStatus: { metadata: {}, code: o.code ?? 200 },
    requestObject: o.requestObject,
    requestReceivedTimestamp: o.time,
    stageTimestamp: o.time,
    annotations: { 'authorization.k8s.io/decision': (o.code ?? 200) < 400 ? 'allow' : 'forbid', 'authorization.k8s.io/reason': '' },
  };
}

/** AKS diagnostic export (category kube-audit) wrapping the audit event as a JSON string. */
export function aksDiagnosticAudit(o: AuditOpts): Record<string, unknown> {
  return {
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    category: 'kube-audit',
    ccpNamespace: '65f1b0c3a1b2',
    resourceId: `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/RG-AKS/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-RESEARCH`,
    properties: { log: JSON.stringify(k8sAudit(o)), stream: 'stdout', pod: 'kube-apiserver-7c9f8d6b5-x2x4z', containerID: 'abc' },
    time: o.time,
    Cloud: 'AzureCloud',
    Environment: 'prod',
  };
}

export function firewallClassic(o: { time: string; src: string; dst: string; port: number; action: 'Deny' | 'Allow'; app?: boolean }): Record<string, unknown> {
  const msg = o.app
    ? `HTTPS request from ${o.src}:51234 to ${o.dst}:${o.port}. Action: ${o.action}. ${o.action === 'Deny' ? 'No rule matched. Proceeding with default action' : 'Rule Collection: allow-web. Rule: pypi'}`
    : `TCP request from ${o.src}:51234 to ${o.dst}:${o.port}. Action: ${o.action}. ${o.action === 'Deny' ? '' : 'Rule Collection: allow-net. Rule: ntp'}`;
  return {
    category: o.app ? 'AzureFirewallApplicationRule' : 'AzureFirewallNetworkRule',
    time: o.time,
    resourceId: `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/RG-NET/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW-HUB`,
    operationName: o.app ? 'AzureFirewallApplicationRuleLog' : 'AzureFirewallNetworkRuleLog',
    properties: { msg: msg.trim() },
  };
}

export function firewallStructured(o: { time: string; src: string; fqdn?: string; dstIp?: string; port: number; action: 'Deny' | 'Allow'; la?: boolean }): Record<string, unknown> {
  const fields = {
    SourceIp: o.src,
    SourcePort: 50123,
    DestinationIp: o.dstIp ?? '',
    DestinationPort: o.port,
    Protocol: o.fqdn ? 'HTTPS' : 'TCP',
    Action: o.action,
    ActionReason: o.action === 'Deny' ? 'Default Action' : '',
    Policy: 'fwp-hub',
    RuleCollectionGroup: o.action === 'Deny' ? '' : 'rcg-egress',
    RuleCollection: o.action === 'Deny' ? '' : 'allow-web',
    Rule: o.action === 'Deny' ? '' : 'pypi',
    ...(o.fqdn ? { Fqdn: o.fqdn, TargetUrl: '', IsTlsInspected: false, WebCategory: '', IsExplicitProxyRequest: false } : {}),
  };
  const type = o.fqdn ? 'AZFWApplicationRule' : 'AZFWNetworkRule';
  if (o.la) return { TimeGenerated: o.time, Type: type, ...fields };
  return {
    time: o.time,
    resourceId: `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/RG-NET/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW-HUB`,
    category: type,
    operationName: type,
    properties: fields,
  };
}

export function hubbleFlow(o: { time: string; ns: string; pod: string; srcIp: string; dstIp: string; dstName?: string; port: number; verdict: 'DROPPED' | 'FORWARDED'; reason?: string; direction?: string; reply?: boolean }): Record<string, unknown> {
  return {
    flow: {
      time: o.time,
      uuid: randomUUID(),
      verdict: o.verdict,
      ...(o.verdict === 'DROPPED' ? { drop_reason: 133, drop_reason_desc: o.reason ?? 'POLICY_DENIED' } : {}),
      ethernet: { source: 'aa:bb:cc:dd:ee:01', destination: 'aa:bb:cc:dd:ee:02' },
      IP: { source: o.srcIp, destination: o.dstIp, ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 43512, destination_port: o.port, flags: { SYN: true } } },
      source: { ID: 1234, identity: 56789, namespace: o.ns, labels: [`k8s:io.kubernetes.pod.namespace=${o.ns}`, 'k8s:app=trainer'], pod_name: o.pod, workloads: [{ name: o.pod.replace(/-[^-]+$/, ''), kind: 'Deployment' }] },
      destination: { identity: 2, labels: ['reserved:world'] },
      Type: 'L3_L4',
      node_name: 'aks-gpu-12345678-vmss000001',
      destination_names: o.dstName ? [o.dstName] : [],
      event_type: { type: o.verdict === 'DROPPED' ? 1 : 4 },
      traffic_direction: o.direction ?? 'EGRESS',
      is_reply: o.reply ?? false,
      Summary: `TCP Flags: SYN`,
    },
    node_name: 'aks-gpu-12345678-vmss000001',
    time: o.time,
  };
}

export function portalAudit(o: { time: string; pluginId: string; eventId: string; status?: string; actor?: string; meta?: Record<string, unknown>; seq?: number }): Record<string, unknown> {
  return {
    seq: o.seq ?? 1,
    id: randomUUID(),
    correlationId: randomUUID(),
    occurredAt: o.time,
    pluginId: o.pluginId,
    eventId: o.eventId,
    severity: 'high',
    status: o.status ?? 'succeeded',
    actor: o.actor ?? 'user:default/alice',
    actorType: 'user',
    request: { method: 'POST', url: `/api/${o.pluginId}`, ip: '10.0.0.9' },
    meta: { actor: o.actor ?? 'user:default/alice', ...o.meta },
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
    hashAlg: 'sha256',
  };
}

export const GiB = 1024 ** 3;

export function iso(base: string, plusMinutes: number): string {
  return new Date(Date.parse(base) + plusMinutes * 60_000).toISOString();
}
