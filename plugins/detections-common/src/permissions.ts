import { createPermission } from '@backstage/plugin-permission-common';

/** Resource type of alerts (permission checks name the alert id). */
export const DETECTIONS_ALERT_RESOURCE_TYPE = 'detections-alert';

/** Read alerts, their events and history: security reviewers and admins. */
export const detectionsAlertReadPermission = createPermission({
  name: 'detections.alert.read',
  attributes: { action: 'read' },
  resourceType: DETECTIONS_ALERT_RESOURCE_TYPE,
});

/** Acknowledge, assign, add notes, close and reopen alerts. */
export const detectionsAlertTriagePermission = createPermission({
  name: 'detections.alert.triage',
  attributes: { action: 'update' },
});

/** Revoke the alert principal's grants on the alert resource (through access-requests). */
export const detectionsAlertRevokePermission = createPermission({
  name: 'detections.alert.revoke',
  attributes: { action: 'update' },
});

/** Read stored events, the dashboard aggregates and the rule list. */
export const detectionsEventReadPermission = createPermission({
  name: 'detections.event.read',
  attributes: { action: 'read' },
});

/**
 * Ingest events. Only service principals ingest (service tokens, external-access tokens): the
 * backend refuses user tokens whatever the policy says, and the portal policy gives it to no user.
 */
export const detectionsEventsIngestPermission = createPermission({
  name: 'detections.events.ingest',
  attributes: { action: 'create' },
});

export const detectionsPermissions = [
  detectionsAlertReadPermission,
  detectionsAlertTriagePermission,
  detectionsAlertRevokePermission,
  detectionsEventReadPermission,
  detectionsEventsIngestPermission,
];
