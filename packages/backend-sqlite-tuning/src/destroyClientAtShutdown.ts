import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

/**
 * The database service whose knex client is destroyed when the root lifecycle shuts down (after
 * every plugin's shutdown hooks), on every database. Backstage's DatabaseManager
 * (@backstage/backend-defaults 0.19.0) means to do this for all but SQLite clients, but its
 * check `connection.client.config.includes('sqlite3')` throws on the config object, inside a
 * `Promise.allSettled` that swallows it, so no client is ever destroyed. A live pool keeps a
 * referenced reaping timer (and, on PostgreSQL, sockets) after `backend.stop()`: the jest worker
 * processes that ran a backend never exited by themselves ("A worker process has failed to exit
 * gracefully"). The old `sqlite3` driver's client is left alone (its destroy can hang);
 * better-sqlite3 closes synchronously.
 */
export function withClientDestroyedAtShutdown(
  database: DatabaseService,
  rootLifecycle: { addShutdownHook(hook: () => void | Promise<void>): void },
): DatabaseService {
  const registered = new WeakSet<Knex>();
  const service = Object.create(database) as DatabaseService;
  service.getClient = async () => {
    const knex = await database.getClient();
    if (!registered.has(knex) && String(knex.client.config.client) !== 'sqlite3') {
      registered.add(knex);
      rootLifecycle.addShutdownHook(() => knex.destroy());
    }
    return knex;
  };
  return service;
}
