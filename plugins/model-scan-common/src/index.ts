/**
 * Shared types, permissions, request schemas and the typed API client of the model-scan plugins.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './schemas';
export * from './client';
export * from './review';
