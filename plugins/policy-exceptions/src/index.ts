/**
 * Frontend plugin of policy exceptions: request form, my exceptions, reviewer queue, expiring
 * soon, exception pages and the "Exceptions" entity tab (new frontend system).
 *
 * @packageDocumentation
 */
export { policyExceptionsPlugin as default } from './plugin';
export { policyExceptionsApiRef } from './api/apis';
export { rootRouteRef, exceptionRouteRef, newExceptionRouteRef } from './routes';
