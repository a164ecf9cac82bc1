/**
 * Shared types, permissions, entity naming and the typed API client of the weight-inventory plugins.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './naming';
export * from './client';
