/**
 * Frontend plugin of the detections family (issue 10): the dashboard and alert queue, alert and
 * event pages, the "Detections" entity tab and the reviewers' home card (new frontend system).
 *
 * @packageDocumentation
 */
export { detectionsPlugin as default } from './plugin';
export { detectionsApiRef } from './api';
export type { DetectionsApi } from './api';
export { rootRouteRef, alertRouteRef, eventRouteRef } from './routes';
/**
 * The permission the sidebar's "Detections" entry asks for (packages/app NavPermissionGate): a
 * basic permission given to the roles that read alerts (see useMayReadAlerts).
 */
export { detectionsEventReadPermission as detectionsNavPermission } from '@internal/plugin-detections-common';
