/**
 * Frontend plugin of the weight inventory: the inventory page, the Posture / Access / Weights
 * entity tabs of stores and clusters, and the posture summary home card (new frontend system).
 *
 * @packageDocumentation
 */
export { weightInventoryPlugin as default } from './plugin';
export { weightInventoryApiRef } from './api';
export { rootRouteRef } from './routes';
