import { createApiRef } from '@backstage/frontend-plugin-api';
import { DetectionsClient } from '@internal/plugin-detections-common';

export * from '@internal/plugin-detections-common';

/** The calls the pages make to /api/detections (with the signed-in user's token, through fetchApi). */
export type DetectionsApi = Pick<
  DetectionsClient,
  | 'listAlerts'
  | 'getAlert'
  | 'listAlertEvents'
  | 'acknowledge'
  | 'assign'
  | 'addNote'
  | 'close'
  | 'reopen'
  | 'listAlertGrants'
  | 'revokeGrants'
  | 'getEvent'
  | 'getDashboard'
  | 'listRules'
>;

export const detectionsApiRef = createApiRef<DetectionsApi>({ id: 'plugin.detections.api' });
