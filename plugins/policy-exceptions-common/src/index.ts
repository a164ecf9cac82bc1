/**
 * Shared types, zod schemas, permissions, the coverage function and the typed API client of the
 * policy-exceptions plugin family.
 * @packageDocumentation
 */
export * from './types';
export * from './coverage';
export * from './modelFiles';
export * from './schemas';
export * from './permissions';
export * from './client';
