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
 * Two processes that create knex's lock table at the same moment can both insert its one row
 * (knex inserts `{ is_locked: 0 }` when it finds the table empty). From then on knex's lock
 * (`UPDATE ... SET is_locked = 1 WHERE is_locked = 0`, which must touch exactly one row) fails
 * for everyone, forever: "Migration table is already locked" with nobody holding it. Keep the
 * first row (its state is the lock's state) and delete the rest; a row locked by a migration in
 * progress in another transaction makes the delete wait for it. Returns whether rows were removed.
 */
export async function repairDuplicatedLockRow(knex: Knex, config?: Knex.MigratorConfig): Promise<boolean> {
  const table = `${config?.tableName ?? 'knex_migrations'}_lock`;
  const qualified = config?.schemaName ? knex(table).withSchema(config.schemaName) : knex(table);
  try {
    const rows = await qualified.clone().select('index').orderBy('index');
    if (rows.length < 2) return false;
    await qualified.clone().where('index', '>', rows[0].index).delete();
    return true;
  } catch {
    return false; // no lock table yet, or it has another shape: leave it to knex
  }
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
        const repair = async () => {
          const repaired = await repairDuplicatedLockRow(knex, config);
          if (repaired) {
            options.logger?.warn(
              `Removed a duplicated row of ${config?.tableName ?? 'knex_migrations'}_lock (two processes created the lock table at once)`,
            );
          }
          return repaired;
        };
        // with two rows, one free and one held, knex would "lock" the free one beside the holder
        await repair();
        for (;;) {
          try {
            return await latest(config);
          } catch (error) {
            if (!isMigrationRace(error)) throw error;
            if ((error as Error).name === 'MigrationLocked' && (await repair())) continue;
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
