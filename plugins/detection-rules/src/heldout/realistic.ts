/**
 * Records written from the vendors' documentation, independently of src/testing/builders.ts (which
 * the rest of the tests share with the code): Microsoft Graph `signIn` v1.0 (no
 * authenticationRequirement, no authenticationDetails), the Entra diagnostic-settings export
 * (`category` SignInLogs, record in `properties`, Event Hub `{"records": […]}` batches), Log
 * Analytics `SigninLogs` rows (dynamic columns as JSON text, 7-digit fractions), StorageBlobLogs
 * diagnostic records (`identity.requester`, `properties.responseBodySize`, `callerIpAddress`
 * "ip:port", ranged reads answered 206) and Log Analytics rows (string StatusCode), Data Lake
 * (dfs endpoint) operation names, audit.k8s.io/v1 Events (exec over WebSocket = verb get,
 * ResponseStarted + ResponseComplete stages) raw, AKS `kube-audit` (event JSON text in
 * `properties.log`, upper-case resource id) and `AKSAudit` rows, Hubble exporter lines
 * (nanosecond times, `drop_reason_desc`), Azure Firewall classic `msg` and structured AZFW
 * records, and the portal's audit rows. Values vary the way real exports vary.
 */
import { randomUUID as uuid } from 'node:crypto';

export const T0 = Date.parse('2026-11-02T08:00:00Z');
export const SUB = '3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8';
export const TEN = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** ISO time `sec` seconds after T0 with the given fractional part (Azure writes 7 digits, Hubble 9). */
export function at(sec: number, frac = ''): string {
  return new Date(T0 + sec * 1000).toISOString().replace('.000Z', `${frac}Z`);
}
/** The same instant written with a UTC offset of `h` hours (local time of the writer). */
export function atOffset(sec: number, h: number): string {
  const local = new Date(T0 + sec * 1000 + h * 3_600_000).toISOString().slice(0, 19);
  return `${local}${h >= 0 ? '+' : '-'}${String(Math.abs(h)).padStart(2, '0')}:00`;
}

type Loc = { city: string; state: string; countryOrRegion: string; geoCoordinates: { latitude: number; longitude: number } };
export const LONDON: Loc = { city: 'London', state: 'London', countryOrRegion: 'GB', geoCoordinates: { latitude: 51.5088, longitude: -0.093 } };
export const MOSCOW: Loc = { city: 'Moscow', state: 'Moscow', countryOrRegion: 'RU', geoCoordinates: { latitude: 55.7522, longitude: 37.6156 } };
export const NEW_YORK: Loc = { city: 'New York', state: 'New York', countryOrRegion: 'US', geoCoordinates: { latitude: 40.7143, longitude: -74.006 } };

/** Microsoft Graph v1.0 signIn (GET /auditLogs/signIns item). */
export function graphSignIn(sec: number, upn: string, ip: string, loc: Loc, o: Record<string, unknown> = {}) {
  return {
    id: uuid(), createdDateTime: at(sec), userDisplayName: upn.split('@')[0], userPrincipalName: upn, userId: uuid(),
    appId: '00000003-0000-0ff1-ce00-000000000000', appDisplayName: 'Office 365 SharePoint Online', ipAddress: ip, clientAppUsed: 'Browser',
    correlationId: uuid(), conditionalAccessStatus: 'success', isInteractive: true, riskDetail: 'none', riskLevelAggregated: 'none',
    riskLevelDuringSignIn: 'none', riskState: 'none', riskEventTypes: [], riskEventTypes_v2: [], resourceDisplayName: 'Office 365 SharePoint Online',
    resourceId: uuid(), status: { errorCode: 0, failureReason: 'Other.', additionalDetails: null },
    deviceDetail: { deviceId: '', displayName: null, operatingSystem: 'MacOs', browser: 'Safari 17.1', isCompliant: false, isManaged: false, trustType: null },
    location: loc, appliedConditionalAccessPolicies: [], ...o,
  };
}

/** Log Analytics SigninLogs row (as `az monitor log-analytics query` / the API returns it). */
export function laSignIn(sec: number, upn: string, ip: string, loc: Loc, o: Record<string, unknown> = {}) {
  const t = at(sec, '.1234567');
  return {
    TenantId: TEN, SourceSystem: 'Azure AD', TimeGenerated: t, ResourceId: `/tenants/${TEN}/providers/Microsoft.aadiam`, OperationName: 'Sign-in activity',
    OperationVersion: '1.0', Category: 'SignInLogs', ResultType: '0', ResultSignature: 'None', ResultDescription: '', DurationMs: '0', CorrelationId: uuid(),
    Identity: upn.split('@')[0], Level: '4', Location: loc.countryOrRegion, AppDisplayName: 'Microsoft Teams', AppId: '1fec8e78-bce4-4aaf-ab1b-5451cc387264',
    AuthenticationRequirement: 'singleFactorAuthentication', ClientAppUsed: 'Mobile Apps and Desktop clients', ConditionalAccessStatus: 'notApplied', CreatedDateTime: t,
    DeviceDetail: JSON.stringify({ deviceId: '', operatingSystem: 'Windows10', browser: 'Rich Client 5.2.4.0' }), IsInteractive: true, Id: uuid(), IPAddress: ip,
    LocationDetails: JSON.stringify(loc), MfaDetail: '{}', RiskDetail: 'none', RiskEventTypes: '[]', RiskEventTypes_V2: '[]', RiskLevelAggregated: 'none',
    RiskLevelDuringSignIn: 'none', RiskState: 'none', Status: JSON.stringify({ errorCode: 0 }), UserDisplayName: upn.split('@')[0], UserId: uuid(),
    UserPrincipalName: upn, UserType: 'Member', Type: 'SigninLogs', ...o,
  };
}

/** Entra diagnostic-settings sign-in record (storage account / Event Hub export). */
export function diagSignIn(sec: number, upn: string, ip: string, props: Record<string, any> = {}): Record<string, any> {
  const code = props.status?.errorCode ?? 0;
  return {
    time: at(sec, '.5170000'), resourceId: `/tenants/${TEN}/providers/Microsoft.aadiam`, operationName: 'Sign-in activity', operationVersion: '1.0',
    category: 'SignInLogs', tenantId: TEN, resultType: String(code), resultSignature: 'None', resultDescription: props.status?.failureReason, durationMs: 0,
    callerIpAddress: ip, correlationId: uuid(), identity: upn, Level: 4, location: 'GB',
    properties: {
      id: uuid(), createdDateTime: at(sec, '.5170000'), userDisplayName: upn, userPrincipalName: upn, userId: uuid(), appId: uuid(), appDisplayName: 'Azure Portal',
      ipAddress: ip, status: { errorCode: 0 }, clientAppUsed: 'Browser', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', conditionalAccessStatus: 'notApplied',
      originalRequestId: uuid(), isInteractive: true, tokenIssuerType: 'AzureAD', processingTimeInMilliseconds: 120, riskDetail: 'none', riskLevelAggregated: 'none',
      riskLevelDuringSignIn: 'none', riskState: 'none', riskEventTypes: [], riskEventTypes_v2: [], resourceDisplayName: 'Windows Azure Service Management API',
      resourceId: '797f4846-ba00-4fd7-ba43-dac1f8f63013', location: LONDON, deviceDetail: {}, authenticationDetails: [],
      authenticationRequirement: 'singleFactorAuthentication', ...props,
    },
  };
}

export interface BlobOpts {
  acct: string;
  cont?: string;
  blob?: string;
  op?: string;
  bytes?: number;
  auth?: 'OAuth' | 'SAS' | 'AccountKey' | 'Anonymous';
  upn?: string;
  oid?: string;
  appId?: string;
  ip?: string;
  status?: number;
  statusText?: string;
}

export const blobResourceId = (acct: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/${acct}/blobServices/default`;

/** StorageRead resource-log record as diagnostic settings write it (monitor-blob-storage-reference). */
export function blobDiag(sec: number, o: BlobOpts): Record<string, any> {
  const { acct, cont, blob, op = 'GetBlob', bytes = 0, auth = 'OAuth', upn, oid, appId, ip = '10.20.1.7', status = 200, statusText = 'Success' } = o;
  const identity =
    auth === 'OAuth'
      ? {
          type: 'OAuth', tokenHash: `sha256:${'A'.repeat(64)}`,
          authorization: [{ action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', roleAssignmentId: uuid(), roleDefinitionId: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe', principals: [{ id: oid, type: upn ? 'User' : 'ServicePrincipal' }], denyAssignmentId: '', type: 'RBAC', result: 'Granted', reason: 'MatchedAllow' }],
          requester: { appId, audience: 'https://storage.azure.com/', objectId: oid, tenantId: TEN, tokenIssuer: `https://sts.windows.net/${TEN}/`, ...(upn ? { upn } : {}) },
        }
      : auth === 'SAS'
        ? { type: 'SAS', tokenHash: 'key1(0F2C5D0E),SasSignature(8C3A9B1F)' }
        : auth === 'AccountKey'
          ? { type: 'AccountKey', tokenHash: 'key1(5RTE343A6FEB12342672AFD40072B23343897AA4A7CE74CDB06EBA79F8E0F40)' }
          : { type: 'Anonymous' };
  const path = blob ? `/${acct}/${cont}/${blob}` : cont ? `/${acct}/${cont}` : `/${acct}`;
  const host = op.includes('File') ? 'dfs' : 'blob';
  return {
    time: at(sec, '.0000000'), resourceId: blobResourceId(acct), category: 'StorageRead', operationName: op, operationVersion: '2021-08-06', schemaVersion: '1.0',
    statusCode: status, statusText, durationMs: 1234, callerIpAddress: `${ip}:${50000 + (sec % 1000)}`, correlationId: uuid(), identity, location: 'westeurope',
    protocol: 'HTTPS', resourceType: 'Microsoft.Storage/storageAccounts/blobServices', uri: `https://${acct}.${host}.core.windows.net${path.slice(acct.length + 1)}`,
    properties: {
      accountName: acct, userAgentHeader: 'azsdk-python-storage-blob/12.19.0 Python/3.11.6 (Linux-5.15.0-1052-azure-x86_64-with-glibc2.35)', clientRequestId: uuid(),
      etag: '0x8DBF0A1B2C3D4E5', serverLatencyMs: 80, serviceType: 'blob', operationCount: 0, requestHeaderSize: 512, requestBodySize: 0, responseHeaderSize: 380,
      responseBodySize: bytes, contentLengthHeader: 0, requestMd5: '', serverMd5: '', lastModifiedTime: '11/1/2026 3:12:45 PM', conditionsUsed: '', tlsVersion: 'TLS 1.2',
      objectKey: path,
    },
  };
}

/** The same request as a Log Analytics StorageBlobLogs row (StatusCode is a string column). */
export function blobLa(sec: number, o: BlobOpts): Record<string, any> {
  const d = blobDiag(sec, o);
  const rq = d.identity.requester ?? {};
  return {
    TenantId: TEN, TimeGenerated: at(sec, '.0000000'), AccountName: o.acct, Location: 'westeurope', Protocol: 'HTTPS', OperationName: d.operationName,
    AuthenticationType: d.identity.type, StatusCode: String(d.statusCode), StatusText: d.statusText, DurationMs: 1234, ServerLatencyMs: 80, Uri: d.uri,
    CallerIpAddress: d.callerIpAddress, CorrelationId: d.correlationId, SchemaVersion: '1.0', OperationVersion: '2021-08-06', AuthenticationHash: d.identity.tokenHash,
    RequesterObjectId: rq.objectId ?? '', RequesterTenantId: rq.tenantId ?? '', RequesterAppId: rq.appId ?? '', RequesterAudience: rq.audience ?? '',
    RequesterTokenIssuer: rq.tokenIssuer ?? '', RequesterUpn: rq.upn ?? '', AuthorizationDetails: JSON.stringify(d.identity.authorization ?? []),
    UserAgentHeader: d.properties.userAgentHeader, ClientRequestId: d.properties.clientRequestId, ServiceType: 'blob', ObjectKey: d.properties.objectKey,
    RequestHeaderSize: 512, RequestBodySize: 0, ResponseHeaderSize: 380, ResponseBodySize: o.bytes ?? 0, ContentLengthHeader: 0, Category: 'StorageRead',
    TlsVersion: 'TLS 1.2', SourceSystem: 'Azure', Type: 'StorageBlobLogs', _ResourceId: blobResourceId(o.acct).toLowerCase(),
  };
}

export const ALICE = { upn: 'alice@contoso.com', oid: 'a1a1a1a1-0000-4000-8000-000000000001', appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', ip: '10.20.1.7' };
export const TRAINER_MI = { oid: '9c9c9c9c-0000-4000-8000-00000000000c', appId: 'e5e5e5e5-0000-4000-8000-00000000000e', ip: '10.20.4.11' };

/** `n` ranged reads of 256 MiB (answered 206 Partial Content), one every `everySec` seconds. */
export function rangedReads(n: number, everySec: number, who: Partial<BlobOpts>, o: Partial<BlobOpts> = {}) {
  return Array.from({ length: n }, (_, i) =>
    blobDiag(i * everySec, { acct: 'stfrontierprod', cont: 'llm-70b', blob: `ckpt-120000/model-${String(Math.floor(i / 8) + 1).padStart(5, '0')}-of-00006.safetensors`, bytes: 256 * MiB, status: 206, ...who, ...o }),
  );
}
export { GiB, MiB };

const person = { username: 'alice@contoso.com', groups: ['4a2c6f1e-0000-4000-8000-0000000000aa', 'system:authenticated'], extra: { oid: ['a1a1a1a1-0000-4000-8000-000000000001'] } };
export const CI_SA = { username: 'system:serviceaccount:ci:gitlab-runner', uid: uuid(), groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'] };

/** audit.k8s.io/v1 Event as the API server's log backend writes it. */
export function k8sEvent(sec: number, o: { verb: string; uri: string; objectRef: Record<string, unknown>; code?: number; user?: unknown; stage?: string; auditID?: string; level?: string; requestObject?: unknown }) {
  return {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: o.level ?? 'Metadata', auditID: o.auditID ?? uuid(), stage: o.stage ?? 'ResponseComplete', requestURI: o.uri,
    verb: o.verb, user: o.user ?? person, sourceIPs: ['10.240.0.4'], userAgent: 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350', objectRef: o.objectRef,
    ...(o.code === undefined ? {} : { responseStatus: { metadata: {}, code: o.code } }), ...(o.requestObject ? { requestObject: o.requestObject } : {}),
    requestReceivedTimestamp: at(sec, '.123456'), stageTimestamp: at(sec + 1, '.654321'),
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  };
}

/** AKS diagnostic-settings `kube-audit` record: the event as JSON text in properties.log. */
export function aksDiag(ev: Record<string, unknown>, cluster = 'aks-research-weu') {
  return {
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read', category: 'kube-audit', ccpNamespace: '6512d1b0e0',
    resourceId: `/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/RG-AKS/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/${cluster.toUpperCase()}`,
    properties: { log: JSON.stringify(ev), stream: 'stdout', pod: 'kube-apiserver-6d9c8f7b9d-x2x4l' }, time: ev.stageTimestamp,
  };
}

export function bindingObject(kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, role: string, ns?: string) {
  return {
    kind, apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name, ...(ns ? { namespace: ns } : {}), creationTimestamp: null },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory@contoso.com' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  };
}

/** Hubble flow exporter line (`{"flow": …, "node_name", "time"}`), a policy drop of egress by default. */
export function hubbleFlow(sec: number, ns: string, o: Record<string, unknown> = {}) {
  const time = at(sec, '.365272245');
  return {
    flow: {
      time, uuid: uuid(), verdict: 'DROPPED', drop_reason: 133, ethernet: { source: '8a:3f:00:00:00:01', destination: '8a:3f:00:00:00:02' },
      IP: { source: '10.244.3.17', destination: '104.18.32.47', ipVersion: 'IPv4' }, l4: { TCP: { source_port: 51234, destination_port: 443, flags: { SYN: true } } },
      source: { ID: 1234, identity: 48211, namespace: ns, labels: [`k8s:io.kubernetes.pod.namespace=${ns}`], pod_name: 'trainer-7b-0', workloads: [{ name: 'trainer-7b', kind: 'StatefulSet' }] },
      destination: { identity: 2, labels: ['reserved:world'] }, Type: 'L3_L4', node_name: 'aks-gpu-12345678-vmss000003', event_type: { type: 1, sub_type: 133 },
      traffic_direction: 'EGRESS', drop_reason_desc: 'POLICY_DENIED', Summary: 'TCP Flags: SYN', ...o,
    },
    node_name: 'aks-gpu-12345678-vmss000003', time,
  };
}

const FW_ID = `/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/RG-HUB/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/AFW-HUB`;
export function firewallClassic(sec: number, category: 'AzureFirewallApplicationRule' | 'AzureFirewallNetworkRule', msg: string) {
  return { category, time: at(sec, '.0000000'), resourceId: FW_ID, operationName: `${category}Log`, properties: { msg } };
}
export function firewallStructured(sec: number, p: Record<string, unknown>) {
  return { time: at(sec, '.1234567'), resourceId: FW_ID, category: 'AZFWApplicationRule', operationName: 'AZFWApplicationRule', properties: { Policy: 'fwp-hub', RuleCollectionGroup: '', RuleCollection: '', Rule: '', ...p } };
}

/** A row of GET /api/audit/events. */
export function portalAudit(sec: number, pluginId: string, eventId: string, status: 'succeeded' | 'failed', actor: string, meta: Record<string, unknown>) {
  return { seq: 800 + sec, id: uuid(), pluginId, eventId, severityLevel: 'high', status, actor, occurredAt: at(sec, '.412'), request: { url: `/api/${pluginId}/${eventId}`, method: 'POST', ip: '10.1.2.3' }, meta };
}

/** Kusto column type of a value as the Log Analytics query API names it (dynamic columns are JSON text). */
function kustoType(k: string, v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'real';
  if (typeof v === 'string' && /(Time|DateTime|Generated)$/.test(k) && /^\d{4}-\d\d-\d\dT/.test(v)) return 'datetime';
  if (typeof v === 'string' && /^[[{]/.test(v)) return 'dynamic';
  return 'string';
}

/**
 * A Log Analytics query API response (POST /v1/workspaces/{id}/query, `az rest`): one table whose
 * columns are the rows' keys, values by position, missing values null. The API names the result
 * `PrimaryResult` whatever the query; exports made per table carry the table's name.
 */
export function laQueryResponse(rows: Record<string, unknown>[], name = 'PrimaryResult') {
  const keys = [...new Set(rows.flatMap(r => Object.keys(r)))];
  return {
    tables: [
      {
        name,
        columns: keys.map(k => ({ name: k, type: kustoType(k, rows.find(r => r[k] !== undefined && r[k] !== null)?.[k]) })),
        rows: rows.map(r => keys.map(k => r[k] ?? null)),
      },
    ],
  };
}

/** `az monitor log-analytics query -o json`: an array of row objects, each with `TableName`. */
export function azCliQueryOutput(rows: Record<string, unknown>[]) {
  return rows.map(r => ({ TableName: 'PrimaryResult', ...r }));
}
