import type { DatabaseService, LoggerService } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

const patched = new WeakSet<object>();

/**
 * Another process holds the migration lock, or created knex's own bookkeeping tables at the same
 * moment (PostgreSQL, while creating knex_migrations or knex_migrations_lock on an empty
 * database: 23505 unique violation on pg_type, 42P07 duplicate table, or 42710 duplicate object
 * — 'type "knex_migrations" already exists').
 */
function isMigrationRace(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string } | undefined;
  if (e?.name === 'MigrationLocked') return true;
  return ['23505', '42P07', '42710'].includes(e?.code ?? '') && /knex_migrations/.test(e?.message ?? '');
}

/**
 * Makes `knex.migrate.latest()` wait while another process holds the migration lock, instead of
 * failing at once with knex's `MigrationLocked` ("Migration table is already locked"), and retry
 * when two processes create knex's bookkeeping tables at the same moment. Two replicas
 * starting together on a fresh PostgreSQL both run every plugin's migrations; without this the
 * second one's plugin (e.g. the catalog) fails to start. Once the first process has migrated,
 * the retried `latest()` finds nothing to do. A lock still held after `timeoutMs` (a process
 * killed mid-migration leaves it set) fails as before, naming the table to clear.
 */
export function retryMigrationLock<T extends Knex>(
  knex: T,
  options: { logger?: LoggerService; timeoutMs?: number; intervalMs?: number } = {},
): T {
  if (patched.has(knex)) return knex;
  const descriptor = Object.getOwnPropertyDescriptor(knex, 'migrate');
  if (!descriptor?.get) return knex;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const intervalMs = options.intervalMs ?? 500;
  const original = descriptor.get;
  Object.defineProperty(knex, 'migrate', {
    configurable: true,
    get() {
      const migrator = original.call(this) as Knex.Migrator;
      const latest = migrator.latest.bind(migrator);
      migrator.latest = async (config?: Knex.MigratorConfig) => {
        const deadline = Date.now() + timeoutMs;
        let logged = false;
        for (;;) {
          try {
            return await latest(config);
          } catch (error) {
            if (!isMigrationRace(error)) throw error;
            if (Date.now() >= deadline) {
              throw new Error(
                `Migration table still locked after ${timeoutMs} ms (${(error as Error).message}); if no other process is ` +
                  `migrating, a process died mid-migration: set is_locked = 0 in the ${config?.tableName ?? 'knex_migrations'}_lock table`,
              );
            }
            if (!logged) {
              options.logger?.info('Another process is running this database\'s migrations; waiting for it');
              logged = true;
            }
            await new Promise(resolve => setTimeout(resolve, intervalMs));
          }
        }
      };
      return migrator;
    },
  });
  patched.add(knex);
  return knex;
}

/** The database service whose clients wait for another process's migration lock (see above). */
export function withMigrationLockRetry(database: DatabaseService, options: { logger?: LoggerService } = {}): DatabaseService {
  const service = Object.create(database) as DatabaseService;
  service.getClient = async () => retryMigrationLock(await database.getClient(), options);
  return service;
}
