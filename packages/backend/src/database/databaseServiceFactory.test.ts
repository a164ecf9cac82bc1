import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDatabases, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import { frontierGuardDatabaseServiceFactory } from './databaseServiceFactory';
import { BackgroundCheckpointer } from '@internal/backend-sqlite-tuning';

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

describe('frontierGuardDatabaseServiceFactory', () => {
  it("gives every plugin a tuned client on its own SQLite file, tuned once, and stops the checkpoint thread and destroys the clients at shutdown", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-database-'));
    const stopped = jest.spyOn(BackgroundCheckpointer.prototype, 'stop');
    const seen: Record<string, { journal: string; same: boolean; autocheckpoint: number }> = {};
    const clients: Knex[] = [];
    const probe = (pluginId: string) =>
      createBackendPlugin({
        pluginId,
        register(env) {
          env.registerInit({
            deps: { database: coreServices.database },
            async init({ database }) {
              const first: Knex = await database.getClient();
              const second: Knex = await database.getClient();
              clients.push(first);
              seen[pluginId] = {
                journal: (await first.raw('PRAGMA journal_mode'))[0].journal_mode,
                same: first === second,
                autocheckpoint: (await first.raw('PRAGMA wal_autocheckpoint'))[0].wal_autocheckpoint,
              };
            },
          });
        },
      });
    try {
      const backend = await startTestBackend({
        features: [
          frontierGuardDatabaseServiceFactory,
          mockServices.rootConfig.factory({
            data: { backend: { database: { client: 'better-sqlite3', connection: { directory: dir } } } },
          }),
          probe('one'),
          probe('two'),
        ],
      });
      expect(seen).toEqual({
        one: { journal: 'wal', same: true, autocheckpoint: 10_000 },
        two: { journal: 'wal', same: true, autocheckpoint: 10_000 },
      });
      expect(fs.readdirSync(dir)).toEqual(expect.arrayContaining(['one.sqlite', 'two.sqlite']));
      expect(stopped).not.toHaveBeenCalled();
      expect(clients.map(c => c.client.pool)).toEqual([expect.anything(), expect.anything()]);
      await backend.stop();
      expect(stopped).toHaveBeenCalledTimes(2);
      // The SQLite clients are destroyed too (Backstage's DatabaseManager only destroys
      // PostgreSQL ones): a live pool's reaping timer kept the process from exiting.
      expect(clients.map(c => c.client.pool)).toEqual([undefined, undefined]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('destroys PostgreSQL clients at shutdown too (DatabaseManager itself destroys none)', async () => {
    const knex = await databases.init('POSTGRES_15');
    const { database, ...server } = knex.client.config.connection as { database: string };
    let client: Knex | undefined;
    const backend = await startTestBackend({
      features: [
        frontierGuardDatabaseServiceFactory,
        mockServices.rootConfig.factory({
          data: { backend: { database: { client: 'pg', connection: server, plugin: { probe: { connection: { database } } } } } },
        }),
        createBackendPlugin({
          pluginId: 'probe',
          register(env) {
            env.registerInit({
              deps: { database: coreServices.database },
              async init({ database: service }) {
                client = await service.getClient();
                await client.raw('select 1');
              },
            });
          },
        }),
      ],
    });
    expect(client!.client.pool).toBeDefined();
    await backend.stop();
    expect(client!.client.pool).toBeUndefined();
  });
});
