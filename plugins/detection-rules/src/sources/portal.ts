import type { DetectionEvent } from '../types';
import { OCSF_CLASSES } from '../types';
import { cleanIp } from '../util/net';
import { isObject, parseTime, str } from '../util/json';
import type { RecordRef } from './record';

/** The portal's audit trail row (GET /api/audit/events) or the auditor's log line (isAuditEvent). */
export function asPortalAudit(rec: Record<string, unknown>): Record<string, unknown> | undefined {
  if (str(rec.pluginId) && str(rec.eventId) && (str(rec.occurredAt) || typeof rec.seq === 'number')) {
    return rec;
  }
  if (rec.isAuditEvent === true && str(rec.eventId)) {
    const actor = isObject(rec.actor) ? rec.actor : {};
    return {
      id: rec.id,
      correlationId: rec.correlationId,
      pluginId: rec.plugin ?? rec.pluginId,
      eventId: rec.eventId,
      severity: rec.severityLevel,
      status: rec.status,
      actor: actor.actorId ?? rec.actor,
      actorType: actor.actorType,
      occurredAt: rec.timestamp ?? rec.occurredAt,
      request: rec.request,
      meta: rec.meta,
    };
  }
  return undefined;
}

export function normalizePortalAudit(a: Record<string, unknown>, r: RecordRef): DetectionEvent {
  const meta = isObject(a.meta) ? a.meta : {};
  const status = str(a.status);
  const actorName = str(meta.actor) ?? str(a.actor);
  const request = isObject(a.request) ? a.request : {};
  const grant = isObject(meta.grant) ? meta.grant : {};
  const resource =
    str(meta.resourceRef) ?? str(grant.resourceRef) ?? str(meta.resource) ?? str(meta.entityRef) ?? str(a.pluginId) ?? 'portal';
  const id = str(a.id) ?? r.digest();
  return {
    id,
    key: r.key(),
    source: 'portal_audit',
    classUid: OCSF_CLASSES.api_activity.uid,
    className: OCSF_CLASSES.api_activity.name,
    activity: `${a.pluginId}.${a.eventId}`,
    time: parseTime(a.occurredAt),
    outcome: status === 'succeeded' ? 'success' : status === 'failed' ? 'failure' : 'unknown',
    statusCode: status,
    actor: {
      name: actorName,
      type: str(a.actorType) === 'service' ? 'service' : actorName?.startsWith('user:') ? 'user' : 'unknown',
    },
    src: { ip: cleanIp(request.ip) },
    resource: { type: 'portal', name: resource },
    // the audit row itself (the built-in portal rules read it): no copy to save
    view: a,
    raw: r.raw('portal_audit'),
  };
}
