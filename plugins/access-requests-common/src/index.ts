/**
 * Shared types, schemas, permissions and the typed API client of the access-requests plugin family.
 * @packageDocumentation
 */
export * from './types';
export * from './grants';
export * from './approvals';
export * from './permissions';
export * from './schemas';
export * from './client';
export * from './links';
export * from './actions';
