export { frontierGuardDatabaseServiceFactory, withSqliteTuning } from './databaseServiceFactory';
export { BackgroundCheckpointer, cachePreparedStatements, tuneSqliteFile } from './sqliteTuning';
export type { SqliteTuning } from './sqliteTuning';
