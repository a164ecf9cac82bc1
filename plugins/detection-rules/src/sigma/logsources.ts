import { SIGNIN_KQL } from '../rules/types';
import type { SourceId } from '../types';
import type { SigmaLogsource } from './types';

/**
 * Per-logsource field mapping: which event sources a Sigma logsource covers, the Log Analytics
 * table it compiles to, and how Sigma field names map to the event's view (evaluation) and to KQL
 * columns (compilation). Field lookups in the view are case-insensitive dotted paths; fields that
 * are not listed map to themselves.
 */
export interface LogsourceMapping {
  name: string;
  sources: SourceId[];
  kqlTable: string;
  /** lower-cased Sigma field → view path */
  view: Record<string, string>;
  /** lower-cased Sigma field → KQL expression (a column, or a dynamic access) */
  kql: Record<string, string>;
  /** first path segment (lower-cased) → KQL column, for dotted paths into dynamic columns */
  kqlRoots?: Record<string, string>;
  /**
   * lower-cased property → its spelling inside the dynamic columns. Property access in KQL is
   * case-sensitive (`DeviceDetail.trusttype` is always empty; the property is `trustType`), while
   * Sigma rules and the engine match field names case-insensitively.
   */
  kqlProps?: Record<string, string>;
  /**
   * Events of this logsource no rule of it should alert on (the compiled KQL's table filters the
   * same rows out): e.g. risk detections already closed.
   */
  skip?: (view: Record<string, unknown>) => boolean;
}

const CLOSED_RISK = new Set(['remediated', 'dismissed', 'confirmedsafe']);

/** Property names of Entra sign-in dynamic columns (Graph signIn resource; SigninLogs / AADNonInteractiveUserSignInLogs). */
const SIGNIN_PROPS = propMap([
  // DeviceDetail
  'deviceId', 'displayName', 'operatingSystem', 'browser', 'isCompliant', 'isManaged', 'trustType',
  // LocationDetails
  'city', 'state', 'countryOrRegion', 'geoCoordinates', 'latitude', 'longitude', 'altitude',
  // Status
  'errorCode', 'failureReason', 'additionalDetails',
  // ConditionalAccessPolicies[]
  'id', 'enforcedGrantControls', 'enforcedSessionControls', 'result',
]);

/** Property names of the audit.k8s.io/v1 Event's objects (AKSAudit dynamic columns). */
const K8S_PROPS = propMap([
  'apiGroup', 'apiVersion', 'resource', 'subresource', 'namespace', 'name', 'uid', 'resourceVersion',
  'username', 'groups', 'extra', 'code', 'status', 'reason', 'message', 'roleRef', 'subjects', 'kind',
  'spec', 'containers', 'securityContext', 'capabilities', 'add', 'privileged', 'volumes', 'hostPath', 'path',
  'hostNetwork', 'hostPID', 'hostIPC', 'metadata', 'labels', 'annotations',
]);

function propMap(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map(n => [n.toLowerCase(), n]));
}

export const LOGSOURCES: LogsourceMapping[] = [
  {
    name: 'azure/signinlogs',
    sources: ['entra_signin'],
    kqlTable: SIGNIN_KQL,
    view: {},
    kql: { status: 'iff(ResultType == "0", "Success", "Failure")' },
    kqlProps: SIGNIN_PROPS,
    kqlRoots: {
      devicedetail: 'DeviceDetail',
      locationdetails: 'LocationDetails',
      status: 'Status',
      conditionalaccesspolicies: 'ConditionalAccessPolicies',
    },
  },
  {
    name: 'azure/riskdetection',
    sources: ['entra_risk'],
    // a detection whose risk was remediated (the user passed MFA), dismissed or confirmed safe is
    // closed: Entra raises unlikelyTravel for many flights and closes it when the traveller passes MFA
    kqlTable: 'AADUserRiskEvents\n| where RiskState !in~ ("remediated", "dismissed", "confirmedSafe")',
    view: {},
    kql: {},
    skip: view => CLOSED_RISK.has(String(view.riskState ?? '').toLowerCase()),
  },
  {
    name: 'kubernetes/audit',
    sources: ['k8s_audit'],
    kqlTable: 'AKSAudit',
    view: {
      capabilities: 'requestObject.spec.containers.securityContext.capabilities.add',
      hostpath: 'requestObject.spec.volumes.hostPath.path',
    },
    kql: {
      verb: 'Verb',
      auditid: 'AuditId',
      level: 'Level',
      stage: 'Stage',
      requesturi: 'RequestUri',
      useragent: 'UserAgent',
      // the originating client is the first address (the rest are proxies)
      sourceips: 'tostring(SourceIps[0])',
      capabilities: 'RequestObject.spec.containers[0].securityContext.capabilities.add',
      hostpath: 'RequestObject.spec.volumes[0].hostPath.path',
    },
    kqlRoots: {
      objectref: 'ObjectRef',
      user: 'User',
      responsestatus: 'ResponseStatus',
      requestobject: 'RequestObject',
      responseobject: 'ResponseObject',
      impersonateduser: 'ImpersonatedUser',
      annotations: 'Annotations',
    },
    kqlProps: K8S_PROPS,
  },
  {
    name: 'azure/storagebloblogs',
    sources: ['storage_blob'],
    kqlTable: 'StorageBlobLogs',
    view: {},
    // StatusCode is a string column ("200", or "Unknown" when interrupted)
    kql: { authenticationmethod: 'AuthenticationType', issuccess: '(toint(StatusCode) < 400)' },
  },
  {
    name: 'firewall',
    sources: ['azure_firewall', 'hubble'],
    kqlTable: 'union AZFWNetworkRule, AZFWApplicationRule',
    view: {},
    kql: {
      src_ip: 'SourceIp',
      src_port: 'SourcePort',
      dst_ip: 'DestinationIp',
      dst_port: 'DestinationPort',
      dst_host: 'Fqdn',
      action: 'tolower(Action)',
      blocked: '(Action == "Deny")',
      protocol: 'Protocol',
    },
  },
  {
    name: 'frontier-guard/audit',
    sources: ['portal_audit'],
    kqlTable: 'FrontierGuardAudit_CL',
    view: {},
    kql: {},
  },
];

export function mappingFor(ls: SigmaLogsource): LogsourceMapping | undefined {
  const product = ls.product?.toLowerCase();
  const service = ls.service?.toLowerCase();
  const category = ls.category?.toLowerCase();
  if (product === 'azure' && service === 'signinlogs') return LOGSOURCES[0];
  if (product === 'azure' && service === 'riskdetection') return LOGSOURCES[1];
  if (product === 'kubernetes' && service === 'audit') return LOGSOURCES[2];
  if (product === 'azure' && (service === 'storagebloblogs' || service === 'storage')) return LOGSOURCES[3];
  if (category === 'firewall') return LOGSOURCES[4];
  if ((product === 'frontier-guard' || product === 'frontierguard') && service === 'audit') return LOGSOURCES[5];
  return undefined;
}
