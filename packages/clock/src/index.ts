/**
 * Time as an injected input.
 *
 * @packageDocumentation
 */
export { AdjustableClock, systemClock } from './clock';
export type { Clock } from './clock';
