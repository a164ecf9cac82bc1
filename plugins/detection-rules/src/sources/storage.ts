import type { ActorType, DetectionEvent } from '../types';
import { OCSF_CLASSES } from '../types';
import { cleanIp, portOf } from '../util/net';
import { getCI, isObject, num, parseTime, str } from '../util/json';
import { NO_VIEW, type RecordRef } from './record';

const STORAGE_CATEGORIES = new Set(['storageread', 'storagewrite', 'storagedelete']);

/** StorageBlobLogs record in Log Analytics column shape, from the diagnostic export or LA shape. */
export function asBlobLog(rec: Record<string, unknown>, categoryValue: string | undefined = str(getCI(rec, 'category'))): Record<string, unknown> | undefined {
  const category = categoryValue?.toLowerCase();
  const props = rec.properties;
  if (category && STORAGE_CATEGORIES.has(category) && 'operationName' in rec && !('TimeGenerated' in rec)) {
    const p = isObject(props) ? props : {};
    const identity = isObject(rec.identity) ? rec.identity : {};
    const requester = isObject(identity.requester) ? identity.requester : {};
    const authz = Array.isArray(identity.authorization) ? identity.authorization : [];
    const firstPrincipal = authz
      .flatMap(a => (isObject(a) && Array.isArray(a.principals) ? a.principals : []))
      .find(isObject) as Record<string, unknown> | undefined;
    const resourceId = str(rec.resourceId);
    if (resourceId && !/\/blobservices\//i.test(resourceId) && !('accountName' in p)) return undefined;
    return {
      TimeGenerated: rec.time,
      _ResourceId: resourceId,
      Category: rec.category,
      OperationName: rec.operationName,
      OperationVersion: rec.operationVersion,
      StatusCode: rec.statusCode,
      StatusText: rec.statusText,
      DurationMs: rec.durationMs,
      CallerIpAddress: rec.callerIpAddress,
      CorrelationId: rec.correlationId,
      Location: rec.location,
      Uri: rec.uri,
      Protocol: rec.protocol,
      AuthenticationType: identity.type,
      AuthenticationHash: identity.tokenHash,
      RequesterObjectId: requester.objectId ?? firstPrincipal?.id,
      RequesterPrincipalType: firstPrincipal?.type,
      RequesterUpn: requester.upn,
      RequesterAppId: requester.appId,
      RequesterTenantId: requester.tenantId,
      RequesterTokenIssuer: requester.tokenIssuer,
      AccountName: p.accountName,
      RequestUrl: p.requestUrl,
      UserAgentHeader: p.userAgentHeader,
      ClientRequestId: p.clientRequestId,
      ServiceType: p.serviceType,
      ObjectKey: p.objectKey,
      RequestBodySize: p.requestBodySize,
      ResponseBodySize: p.responseBodySize,
      ContentLengthHeader: p.contentLengthHeader,
      TlsVersion: p.tlsVersion,
      ServerLatencyMs: p.serverLatencyMs,
    };
  }
  const type = str(rec.Type)?.toLowerCase();
  if (
    type === 'storagebloblogs' ||
    ('OperationName' in rec && 'AccountName' in rec && ('ObjectKey' in rec || 'AuthenticationType' in rec || 'StatusText' in rec))
  ) {
    return rec;
  }
  return undefined;
}

const authMethods = new Map<string, string | undefined>();

/** The authentication method of a blob request (memoised: logs repeat a handful of spellings). */
function authMethod(v: unknown): string | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  let m = authMethods.get(s);
  if (m === undefined && !authMethods.has(s)) {
    if (authMethods.size > 1000) authMethods.clear();
    m = authMethodOf(s);
    authMethods.set(s, m);
  }
  return m;
}

function authMethodOf(v: string): string | undefined {
  const t = v.toLowerCase().replace(/[\s_-]/g, '');
  if (!t) return undefined;
  if (t.includes('sas')) return 'sas';
  if (t.includes('accountkey') || t === 'sharedkey' || t === 'key') return 'accountkey';
  if (t.includes('anonymous')) return 'anonymous';
  if (t.includes('oauth') || t === 'bearer' || t === 'aad') return 'oauth';
  if (t.includes('kerberos')) return 'kerberos';
  return t;
}

/** `/account/container/blob…` → parts; also accepts a URL. */
export function splitObjectKey(key: string | undefined, uri?: string): { account?: string; container?: string; blob?: string } {
  let path = key;
  if (!path && uri) {
    try {
      const u = new URL(uri);
      const host = u.hostname.split('.')[0];
      path = `/${host}${decodeURIComponent(u.pathname)}`;
    } catch {
      path = undefined;
    }
  }
  if (!path) return {};
  // "/account/container/blob/with/slashes" (leading slashes optional), without regex or arrays
  let start = 0;
  while (path.charCodeAt(start) === 47) start++;
  const a = path.indexOf('/', start);
  if (a < 0) return { account: path.slice(start) || undefined, container: undefined, blob: undefined };
  const c = path.indexOf('/', a + 1);
  if (c < 0) return { account: path.slice(start, a) || undefined, container: path.slice(a + 1) || undefined, blob: undefined };
  return { account: path.slice(start, a) || undefined, container: path.slice(a + 1, c) || undefined, blob: path.slice(c + 1) || undefined };
}

export function normalizeBlobLog(v: Record<string, unknown>, r: RecordRef): DetectionEvent {
  const statusCode = num(v.StatusCode);
  const statusText = str(v.StatusText);
  // without a code, the Storage status message: Success, SASSuccess, AnonymousSuccess…
  const ok = statusCode !== undefined ? statusCode < 400 : !!statusText?.toLowerCase().endsWith('success');
  const method = authMethod(v.AuthenticationType);
  const ip = cleanIp(v.CallerIpAddress);
  const upn = str(v.RequesterUpn);
  const oid = str(v.RequesterObjectId);
  const appId = str(v.RequesterAppId);
  const ptype = str(v.RequesterPrincipalType)?.toLowerCase();
  let type: ActorType = 'unknown';
  if (method === 'anonymous') type = 'anonymous';
  else if (upn || ptype === 'user') type = 'user';
  else if (oid || appId || ptype === 'serviceprincipal') type = 'service';
  const parts = splitObjectKey(str(v.ObjectKey), str(v.Uri));
  const account = str(v.AccountName) ?? parts.account;
  const container = parts.container;
  const resourceId = str(v._ResourceId) ?? str(v.ResourceId);
  const accountScope = resourceId?.replace(/\/blobservices\/.*$/i, '');
  const op = str(v.OperationName) ?? 'unknown';
  return {
    id: str(v.CorrelationId) ? `${v.CorrelationId}` : r.digest(),
    key: r.key(),
    source: 'storage_blob',
    classUid: OCSF_CLASSES.api_activity.uid,
    className: OCSF_CLASSES.api_activity.name,
    activity: op,
    time: parseTime(v.TimeGenerated ?? v.time),
    outcome: ok ? 'success' : 'failure',
    statusCode: statusCode !== undefined ? String(statusCode) : statusText,
    statusDetail: statusText,
    actor: {
      name: upn ?? oid ?? appId ?? (type === 'anonymous' ? 'anonymous' : undefined) ?? ip,
      upn,
      uid: oid,
      appId,
      type,
    },
    src: { ip, port: portOf(v.CallerIpAddress) },
    resource: {
      type: 'azure/storage/blob',
      name: container ? `${account}/${container}` : `${account ?? 'unknown'}`,
      account,
      container,
      objectKey: str(v.ObjectKey),
      azureId: accountScope
        ? container
          ? `${accountScope}/blobServices/default/containers/${container}`
          : accountScope
        : undefined,
    },
    auth: { method },
    bytes: num(v.ResponseBodySize) ?? 0,
    view: r.wantsView('storage_blob') ? { ...v, AuthenticationMethod: method, IsSuccess: ok } : NO_VIEW,
    raw: r.raw('storage_blob'),
  };
}
