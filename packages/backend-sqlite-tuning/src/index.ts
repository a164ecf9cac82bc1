/**
 * Tuning for knex clients on better-sqlite3 files, and the migration-lock retry for every
 * database, shared by the backend's database service (every plugin's database) and the audit
 * trail's root-scoped database.
 *
 * @packageDocumentation
 */
export {
  BACKGROUND_CHECKPOINT_INTERVAL_MS,
  BackgroundCheckpointer,
  SAFETY_NET_AUTOCHECKPOINT_PAGES,
  STATEMENT_CACHE_SIZE,
  cachePreparedStatements,
  tuneSqliteFile,
} from './sqliteTuning';
export type { SqliteTuning } from './sqliteTuning';
export { withSqliteTuning } from './withSqliteTuning';
export { retryMigrationLock, withMigrationLockRetry } from './migrationLockRetry';
export { withClientDestroyedAtShutdown } from './destroyClientAtShutdown';
