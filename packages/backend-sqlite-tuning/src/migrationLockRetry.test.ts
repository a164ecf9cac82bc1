import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import createKnex from 'knex';
import { retryMigrationLock } from './migrationLockRetry';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

function migrationsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-migrations-'));
  fs.writeFileSync(
    path.join(dir, '20260101_init.js'),
    "exports.up = k => k.schema.createTable('things', t => t.string('id')); exports.down = k => k.schema.dropTable('things');",
  );
  return dir;
}

describe('retryMigrationLock', () => {
  it.each(databases.eachSupportedId())(
    'waits for another process holding the migration lock, then migrates (%p)',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const directory = migrationsDir();
      // Another process is migrating: the lock table exists and is locked.
      await knex.migrate.latest({ directory: fs.mkdtempSync(path.join(os.tmpdir(), 'fg-empty-')) });
      await knex('knex_migrations_lock').update({ is_locked: 1 });

      // Without the retry, knex fails at once.
      await expect(knex.migrate.latest({ directory })).rejects.toMatchObject({ name: 'MigrationLocked' });

      retryMigrationLock(knex, { intervalMs: 50, timeoutMs: 10_000 });
      const migrating = knex.migrate.latest({ directory });
      await new Promise(r => setTimeout(r, 300));
      expect(await knex.schema.hasTable('things')).toBe(false);
      await knex('knex_migrations_lock').update({ is_locked: 0 });
      await migrating;
      expect(await knex.schema.hasTable('things')).toBe(true);
    },
  );

  it.each(databases.eachSupportedId())('gives up with a clear error when the lock is never released (%p)', async databaseId => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest({ directory: fs.mkdtempSync(path.join(os.tmpdir(), 'fg-empty-')) });
    await knex('knex_migrations_lock').update({ is_locked: 1 });
    retryMigrationLock(knex, { intervalMs: 50, timeoutMs: 300 });
    await expect(knex.migrate.latest({ directory: migrationsDir() })).rejects.toThrow(
      /Migration table still locked after 300 ms.*knex_migrations_lock/,
    );
  });

  it.each(databases.eachSupportedId())(
    'repairs a lock table that two processes filled with a row each, then migrates (%p)',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await knex.migrate.latest({ directory: fs.mkdtempSync(path.join(os.tmpdir(), 'fg-empty-')) });
      // What a race in knex's table creation leaves: two unlocked rows, so no one can ever lock.
      await knex('knex_migrations_lock').insert({ is_locked: 0 });
      const directory = migrationsDir();
      await expect(knex.migrate.latest({ directory })).rejects.toMatchObject({ name: 'MigrationLocked' });

      retryMigrationLock(knex, { intervalMs: 50, timeoutMs: 5_000 });
      await knex.migrate.latest({ directory });
      expect(await knex.schema.hasTable('things')).toBe(true);
      expect(await knex('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps waiting while the first of two lock rows is held (%p)',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await knex.migrate.latest({ directory: fs.mkdtempSync(path.join(os.tmpdir(), 'fg-empty-')) });
      await knex('knex_migrations_lock').update({ is_locked: 1 });
      await knex('knex_migrations_lock').insert({ is_locked: 0 });
      retryMigrationLock(knex, { intervalMs: 50, timeoutMs: 400 });
      await expect(knex.migrate.latest({ directory: migrationsDir() })).rejects.toThrow(/still locked/);
      expect(await knex('knex_migrations_lock').select('is_locked')).toEqual([{ is_locked: 1 }]);
    },
  );

  it('leaves other migration errors alone', async () => {
    const knex = await databases.init('SQLITE_3');
    retryMigrationLock(knex, { intervalMs: 50, timeoutMs: 5_000 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-bad-'));
    fs.writeFileSync(path.join(dir, '20260101_bad.js'), "exports.up = () => { throw new Error('broken migration'); }; exports.down = () => {};");
    await expect(knex.migrate.latest({ directory: dir })).rejects.toThrow('broken migration');
  });

  it('lets several processes migrate one empty PostgreSQL database at the same moment', async () => {
    const first = await databases.init('POSTGRES_15');
    const connection = first.client.config.connection;
    // Separate clients (separate pools), as separate replicas have.
    const clients = [first, ...[1, 2, 3].map(() => createKnex({ client: 'pg', connection }))];
    try {
      const directory = migrationsDir();
      await Promise.all(
        clients.map(k => retryMigrationLock(k, { intervalMs: 50, timeoutMs: 20_000 }).migrate.latest({ directory })),
      );
      expect(await first.schema.hasTable('things')).toBe(true);
      expect(Number((await first('knex_migrations').count('* as n'))[0].n)).toBe(1);
    } finally {
      await Promise.all(clients.slice(1).map(k => k.destroy()));
    }
  });
});
