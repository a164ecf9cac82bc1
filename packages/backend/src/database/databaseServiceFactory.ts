import {
  DatabaseService,
  LifecycleService,
  LoggerService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { ConfigReader } from '@backstage/config';
import type { Knex } from 'knex';
import { tuneSqliteFile } from './sqliteTuning';

/**
 * A plugin's database service whose knex client, on a SQLite file, is tuned once before the
 * plugin gets it (see ./sqliteTuning); PostgreSQL clients are passed through untouched. The
 * background checkpoint thread is stopped when the plugin shuts down.
 */
export function withSqliteTuning(
  database: DatabaseService,
  deps: { lifecycle: LifecycleService; logger: LoggerService },
): DatabaseService {
  let client: Promise<Knex> | undefined;
  const tunedClient = async () => {
    const knex = await database.getClient();
    const tuning = await tuneSqliteFile(knex, {
      onCheckpointError: message => deps.logger.warn(`SQLite background checkpoint failed: ${message}`),
    });
    const checkpointer = tuning?.checkpointer;
    if (checkpointer) deps.lifecycle.addShutdownHook(() => checkpointer.stop());
    return knex;
  };
  return {
    ...database,
    getClient() {
      client ??= tunedClient().catch(error => {
        client = undefined;
        throw error;
      });
      return client;
    },
  };
}

/**
 * Replaces `coreServices.database` (same configuration and DatabaseManager as Backstage's
 * default factory in @backstage/backend-defaults) so that every plugin's SQLite file — catalog,
 * auth, notifications, audit, model scans, access requests — runs in WAL mode with the tuning
 * above. Without it each plugin's writes use SQLite's rollback journal with an fsync per commit
 * on the event loop: the portal benchmark counted ~600 fsyncs a second on the audit database
 * alone.
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
  async factory({ pluginMetadata, lifecycle, logger }, databaseManager) {
    return withSqliteTuning(databaseManager.forPlugin(pluginMetadata.getId(), { lifecycle, logger }), { lifecycle, logger });
  },
});
