import { createRouteRef, createSubRouteRef } from '@backstage/frontend-plugin-api';

/** /detections: the dashboard and the alert queue. */
export const rootRouteRef = createRouteRef();

/** /detections/alerts/:id — one alert, its events, triage and history. */
export const alertRouteRef = createSubRouteRef({ parent: rootRouteRef, path: '/alerts/:id' });

/** /detections/events/:id — one event: normalised fields and the original record. */
export const eventRouteRef = createSubRouteRef({ parent: rootRouteRef, path: '/events/:id' });
