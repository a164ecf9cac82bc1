import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { ConfigReader } from '@backstage/config';
import { withClientDestroyedAtShutdown, withMigrationLockRetry, withSqliteTuning } from '@internal/backend-sqlite-tuning';

/**
 * Replaces `coreServices.database` (same configuration and DatabaseManager as Backstage's
 * default factory in @backstage/backend-defaults) so that every plugin's SQLite file — catalog,
 * auth, notifications, model scans, access requests — runs in WAL mode with
 * `synchronous = NORMAL`, a prepared-statement cache and background WAL checkpoints
 * (@internal/backend-sqlite-tuning). Without it each plugin's writes use SQLite's rollback
 * journal with an fsync per commit on the event loop. PostgreSQL is untouched, except that on
 * every database a plugin's migrations wait for another replica's migration lock instead of
 * failing the plugin (migrationLockRetry in the same library), and every client is destroyed at
 * root shutdown (DatabaseManager's own shutdown destroys none: see destroyClientAtShutdown). (The audit
 * trail's root-scoped database gets both the same way in plugins/audit-backend.)
 */
export const frontierGuardDatabaseServiceFactory = createServiceFactory({
  service: coreServices.database,
  deps: {
    config: coreServices.rootConfig,
    lifecycle: coreServices.lifecycle,
    logger: coreServices.logger,
    pluginMetadata: coreServices.pluginMetadata,
    rootLifecycle: coreServices.rootLifecycle,
    rootLogger: coreServices.rootLogger,
  },
  async createRootContext({ config, rootLifecycle, rootLogger }) {
    const effective = config.getOptional('backend.database')
      ? config
      : new ConfigReader({ backend: { database: { client: 'better-sqlite3', connection: ':memory:' } } });
    return DatabaseManager.fromConfig(effective, { rootLifecycle, rootLogger });
  },
  async factory({ pluginMetadata, lifecycle, logger, rootLifecycle }, databaseManager) {
    return withMigrationLockRetry(
      withSqliteTuning(
        withClientDestroyedAtShutdown(databaseManager.forPlugin(pluginMetadata.getId(), { lifecycle, logger }), rootLifecycle),
        { lifecycle, logger },
      ),
      { logger },
    );
  },
});
