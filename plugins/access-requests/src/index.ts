/**
 * Frontend plugin of access requests: find a resource and request access,
 * my requests and grants, the reviewer inbox, request pages and the "Access"
 * entity tab (new frontend system).
 *
 * @packageDocumentation
 */
export { accessRequestsPlugin as default } from './plugin';
export { accessRequestsApiRef } from './api/AccessRequestsApi';
export type { AccessRequestsApi } from './api/AccessRequestsApi';
export {
  rootRouteRef,
  myAccessRouteRef,
  requestRouteRef,
  inboxRouteRef,
} from './routes';
