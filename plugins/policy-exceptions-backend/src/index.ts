/**
 * The policy-exceptions backend plugin: exceptions to controls with compensating controls.
 * @packageDocumentation
 */
export { policyExceptionsPlugin as default } from './plugin';
