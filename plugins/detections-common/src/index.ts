/**
 * Shared types, zod schemas, permissions, app links and the typed API client of the detections
 * plugin family (issue 10).
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './schemas';
export * from './links';
export * from './client';
