/**
 * The access-requests backend plugin.
 * @packageDocumentation
 */
export { accessRequestsPlugin as default } from './plugin';
export { accessRequestsModuleProvisioners } from './provisioners';
export type { Clock } from './clock';
