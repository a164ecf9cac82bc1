export { frontierGuardDatabaseServiceFactory } from './databaseServiceFactory';
