/** Where the portal serves the detections pages; the backend builds notification links from it. */
export const DETECTIONS_APP_MOUNT_PATH = '/detections';

/** Relative app path of one alert's page: `/detections/alerts/<id>`. */
export function alertAppPath(id: string, mountPath: string = DETECTIONS_APP_MOUNT_PATH): string {
  return `${mountPath.replace(/\/+$/, '')}/alerts/${encodeURIComponent(id)}`;
}

/** Relative app path of one event's page: `/detections/events/<id>`. */
export function eventAppPath(id: string, mountPath: string = DETECTIONS_APP_MOUNT_PATH): string {
  return `${mountPath.replace(/\/+$/, '')}/events/${encodeURIComponent(id)}`;
}
