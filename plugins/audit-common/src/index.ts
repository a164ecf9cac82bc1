/**
 * Shared types, permission and client of the Frontier Guard audit trail.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './schemas';
export * from './client';
