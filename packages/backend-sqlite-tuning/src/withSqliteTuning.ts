import type { DatabaseService, LoggerService } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import { tuneSqliteFile } from './sqliteTuning';

/**
 * A database service whose knex client, on a SQLite file, is tuned once before anyone gets it
 * (see ./sqliteTuning); PostgreSQL and `:memory:` clients are passed through untouched. The
 * background checkpoint thread is stopped by a shutdown hook of `lifecycle` (a plugin's
 * lifecycle, or the root lifecycle for root services).
 */
export function withSqliteTuning(
  database: DatabaseService,
  deps: {
    lifecycle: { addShutdownHook(hook: () => void | Promise<void>): void };
    logger: LoggerService;
  },
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
