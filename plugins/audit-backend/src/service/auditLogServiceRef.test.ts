import {
  ServiceFactoryTester,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import {
  RootLifecycleService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { auditLogServiceFactory } from './auditLogServiceRef';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

type Hook = () => void | Promise<void>;

/** A root lifecycle whose hooks the test runs itself, as a replica's shutdown would. */
function controlledRootLifecycle() {
  const before: Hook[] = [];
  const after: Hook[] = [];
  const service: RootLifecycleService = {
    addStartupHook: () => {},
    addBeforeShutdownHook: hook => before.push(hook),
    addShutdownHook: hook => after.push(hook),
  };
  return {
    factory: createServiceFactory({
      service: coreServices.rootLifecycle,
      deps: {},
      factory: () => service,
    }),
    async shutdown() {
      for (const hook of before) await hook();
      await Promise.all(after.map(hook => hook()));
    },
  };
}

describe('auditLogServiceFactory', () => {
  it('three replicas starting at the same instant on one empty PostgreSQL database all migrate and record into one chain', async () => {
    const knex = await databases.init('POSTGRES_15');
    const { database, ...server } = knex.client.config.connection as {
      database: string;
    };
    const replicas = [1, 2, 3].map(() => {
      const lifecycle = controlledRootLifecycle();
      const tester = ServiceFactoryTester.from(auditLogServiceFactory, {
        dependencies: [
          lifecycle.factory,
          mockServices.rootConfig.factory({
            data: {
              backend: {
                database: {
                  client: 'pg',
                  connection: server,
                  plugin: { audit: { connection: { database } } },
                },
              },
            },
          }),
        ],
      });
      return { lifecycle, tester };
    });
    try {
      // Without the migration-lock retry one of them fails with "Migration table is already
      // locked" or a duplicate knex_migrations table/type.
      const logs = await Promise.all(replicas.map(r => r.tester.getSubject()));
      expect(await knex.schema.hasTable('audit_events')).toBe(true);
      for (const [i, log] of logs.entries()) {
        await log.record({
          correlationId: `c-${i}`,
          pluginId: 'test',
          eventId: 'replica-started',
          severity: 'low',
          status: 'succeeded',
          actorType: 'none',
        });
        expect(await log.flush(10_000)).toBe(true);
      }
      expect(await logs[0].verify()).toMatchObject({ ok: true, checked: 3 });
    } finally {
      await Promise.all(replicas.map(r => r.lifecycle.shutdown()));
    }
  });
});
