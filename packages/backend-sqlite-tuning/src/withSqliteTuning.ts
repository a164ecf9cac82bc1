import type { DatabaseService, LoggerService } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import { tuneSqliteFile } from './sqliteTuning';

/**
 * A database service whose knex client, on a SQLite file, is tuned once before anyone gets it
 * (see ./sqliteTuning); PostgreSQL and `:memory:` clients are passed through untouched. The
 * background checkpoint thread is stopped by a shutdown hook of `lifecycle` (a plugin's
 * lifecycle, or the root lifecycle for root services).
 *
 * With `rootLifecycle`, a better-sqlite3 client (file or `:memory:`) is also destroyed when the
 * root lifecycle shuts down, after every plugin's shutdown hooks. Backstage's DatabaseManager
 * destroys PostgreSQL clients at that point but skips SQLite ones ("sqlite3 does not support
 * destroy, it hangs", true of the old `sqlite3` driver only), so the pool's reaping interval (a
 * referenced timer) kept the process alive after `backend.stop()`: the jest worker processes that
 * ran a backend on SQLite never exited by themselves ("A worker process has failed to exit
 * gracefully").
 */
export function withSqliteTuning(
  database: DatabaseService,
  deps: {
    lifecycle: { addShutdownHook(hook: () => void | Promise<void>): void };
    logger: LoggerService;
    rootLifecycle?: { addShutdownHook(hook: () => void | Promise<void>): void };
  },
): DatabaseService {
  let client: Promise<Knex> | undefined;
  const tunedClient = async () => {
    const knex = await database.getClient();
    if (deps.rootLifecycle && String(knex.client.config.client) === 'better-sqlite3') {
      deps.rootLifecycle.addShutdownHook(() => knex.destroy());
    }
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
