import type { DetectionEvent } from '../types';
import { OCSF_CLASSES } from '../types';
import { cleanIp } from '../util/net';
import { dyn, getCI, isObject, num, parseTime, str } from '../util/json';
import type { RecordRef } from './record';

/** The `audit.k8s.io/v1` Event, from the raw event, an AKS diagnostic export or the AKSAudit table. */
export function asK8sAudit(
  rec: Record<string, unknown>,
  categoryValue: string | undefined = str(getCI(rec, 'category')),
): { ev: Record<string, unknown>; cluster?: string } | undefined {
  const kind = str(rec.kind);
  const apiVersion = str(rec.apiVersion);
  if ((kind === 'Event' && apiVersion?.startsWith('audit.k8s.io')) || ('auditID' in rec && 'verb' in rec)) {
    return { ev: rec };
  }
  const category = categoryValue?.toLowerCase();
  if (category === 'kube-audit' || category === 'kube-audit-admin') {
    // diagnostic export: the event in properties.log; Log Analytics AzureDiagnostics table (AKS's
    // default collection mode): the same text in the log_s column
    const log = dyn(isObject(rec.properties) ? rec.properties.log : rec.log_s);
    if (isObject(log)) return { ev: log, cluster: clusterOf(str(rec.resourceId) ?? str(rec.ResourceId) ?? str(rec._ResourceId)) };
    return undefined;
  }
  const type = str(rec.Type)?.toLowerCase();
  if (type === 'aksaudit' || type === 'aksauditadmin' || ('AuditId' in rec && 'Verb' in rec)) {
    return {
      ev: {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: rec.Level,
        auditID: rec.AuditId,
        stage: rec.Stage,
        requestURI: rec.RequestUri,
        verb: rec.Verb,
        user: dyn(rec.User),
        impersonatedUser: dyn(rec.ImpersonatedUser),
        sourceIPs: dyn(rec.SourceIps),
        userAgent: rec.UserAgent,
        objectRef: dyn(rec.ObjectRef),
        responseStatus: dyn(rec.ResponseStatus),
        requestObject: dyn(rec.RequestObject),
        responseObject: dyn(rec.ResponseObject),
        requestReceivedTimestamp: rec.RequestReceivedTime,
        stageTimestamp: rec.StageReceivedTime ?? rec.TimeGenerated,
        annotations: dyn(rec.Annotations),
      },
      cluster: clusterOf(str(rec._ResourceId)),
    };
  }
  return undefined;
}

function clusterOf(resourceId?: string): string | undefined {
  const m = resourceId ? /managedclusters\/([^/]+)/i.exec(resourceId) : null;
  // Azure names are case-insensitive and exports differ (diagnostic resourceId upper case, AKSAudit
  // _ResourceId lower case): one spelling, so alerts of both shapes and the KQL's group together
  return m ? m[1].toLowerCase() : undefined;
}

/** Is a Kubernetes username a person (not a controller, node or service account)? */
export function isK8sPerson(username: string | undefined, groups?: string[]): boolean {
  if (!username) return false;
  const u = username.toLowerCase();
  if (u.startsWith('system:')) return false;
  if (groups?.some(g => g === 'system:serviceaccounts' || g === 'system:nodes')) return false;
  if (['aksservice', 'nodeclient', 'aks-support', 'kube-apiserver', 'konnectivity-client'].includes(u)) return false;
  return true;
}

export function normalizeK8sAudit(
  ev: Record<string, unknown>,
  cluster: string | undefined,
  r: RecordRef,
): DetectionEvent {
  const user = isObject(ev.user) ? ev.user : {};
  const username = str(user.username);
  const groups = Array.isArray(user.groups) ? user.groups.map(String) : undefined;
  const obj = isObject(ev.objectRef) ? ev.objectRef : {};
  const rs = isObject(ev.responseStatus) ? ev.responseStatus : {};
  const code = num(rs.code);
  const ns = str(obj.namespace);
  const resource = str(obj.resource);
  const name = str(obj.name);
  const sub = str(obj.subresource);
  const ips = Array.isArray(ev.sourceIPs) ? ev.sourceIPs : [];
  const decision = isObject(ev.annotations) ? str(ev.annotations['authorization.k8s.io/decision']) : undefined;
  const outcome =
    code !== undefined ? (code < 400 ? 'success' : 'failure') : decision === 'forbid' ? 'failure' : decision === 'allow' ? 'success' : 'unknown';
  const resName = [cluster, ns ?? '*', sub ? `${resource}/${sub}` : resource, name].filter(Boolean).join('/');
  return {
    id: str(ev.auditID) ?? r.digest(),
    key: r.key(),
    source: 'k8s_audit',
    classUid: OCSF_CLASSES.api_activity.uid,
    className: OCSF_CLASSES.api_activity.name,
    activity: str(ev.verb) ?? 'unknown',
    time: parseTime(ev.stageTimestamp ?? ev.requestReceivedTimestamp ?? ev.timestamp),
    outcome,
    statusCode: code !== undefined ? String(code) : undefined,
    statusDetail: str(rs.reason) ?? str(rs.message),
    actor: {
      name: username,
      uid: str(user.uid),
      type: isK8sPerson(username, groups) ? 'user' : 'service',
      groups,
    },
    src: { ip: cleanIp(ips[0]) },
    resource: {
      type: `k8s/${resource ?? 'unknown'}`,
      name: resName || 'cluster',
      namespace: ns,
      subresource: sub,
    },
    // the audit event itself (the built-in Kubernetes rules read it): no copy to save
    view: ev,
    raw: r.raw('k8s_audit'),
  };
}
