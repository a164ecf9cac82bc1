import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  coreServices,
  createServiceFactory,
  RootLoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import { TestDatabases, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import { modelScanPlugin } from './plugin';
import { RESCAN_TASK_ID } from './triggers';

// The plugin's database: the default service's clients are never destroyed (Backstage's
// DatabaseManager shutdown destroys none), and their pools' timers kept the jest worker alive;
// TestDatabases destroys its clients after the backends have stopped.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

jest.setTimeout(120_000);

const workDir = mkdtempSync(join(tmpdir(), 'model-scan-startup-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

type LogRecord = { level: string; message: string; meta: object };

/** A root logger that records every line with its level (and its children's). */
function recordingRootLogger(records: LogRecord[]) {
  const make = (meta: object): RootLoggerService => ({
    error: (message: string, m?: object) =>
      records.push({ level: 'error', message, meta: { ...meta, ...m } }),
    warn: (message: string, m?: object) =>
      records.push({ level: 'warn', message, meta: { ...meta, ...m } }),
    info: (message: string, m?: object) =>
      records.push({ level: 'info', message, meta: { ...meta, ...m } }),
    debug: () => {},
    child: (m: object) => make({ ...meta, ...m }),
  });
  return createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => make({}),
  });
}

/** The demo's model entities (catalog/models.yaml): none of their registries is reachable here. */
const demoModels: Entity[] = [
  [
    'frontier-7b-chat',
    'mlflow://frontier-7b-chat/3, https://frontierweights.blob.core.windows.net/frontier-7b/release/v3/',
  ],
  ['frontier-70b-base', 'databricks://frontier-70b-base/12'],
  [
    'reward-model-small',
    'hf://OpenAssistant/reward-model-deberta-v3-large-v2@main',
  ],
].map(([name, source]) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: { 'frontier-guard.io/model-source': source },
  },
  spec: { type: 'model', owner: 'group:default/frontier-research' },
}));

/** The test utils' mock scheduler (tasks run only when triggered), recording each schedule. */
function recordingScheduler() {
  const scheduler = mockServices.scheduler() as SchedulerService & {
    factory(options?: object): ServiceFactory;
  };
  const schedules = new Map<string, SchedulerServiceTaskScheduleDefinition>();
  const scheduleTask = scheduler.scheduleTask.bind(scheduler);
  scheduler.scheduleTask = async task => {
    schedules.set(task.id, task);
    return scheduleTask(task);
  };
  return Object.assign(scheduler, { schedules });
}

describe('model-scan plugin start-up in the demo (no network)', () => {
  it('logs nothing at error level: unreachable demo targets end as failed scans with a warning', async () => {
    const records: LogRecord[] = [];
    const scheduler = recordingScheduler();
    const { server } = await startTestBackend({
      features: [
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        modelScanPlugin,
        recordingRootLogger(records),
        // runs the tasks without an initial delay at start-up
        scheduler.factory(),
        catalogServiceMock.factory({ entities: demoModels }),
        mockServices.rootConfig.factory({
          data: {
            modelScan: {
              workDir,
              worker: { concurrency: 2, pollSeconds: 1 },
              sources: { requestTimeoutMs: 3000 },
            },
          },
        }),
      ],
    });

    // the periodic rescan does not run at start-up: it has an initial delay
    const rescan = scheduler.schedules.get(RESCAN_TASK_ID);
    expect(rescan?.initialDelay).toBeDefined();
    expect(
      records.filter(r => r.message.includes('Periodic rescan queued')),
    ).toEqual([]);

    // when it runs, every demo target is queued, and each fails on its own
    await scheduler.triggerTask(RESCAN_TASK_ID);
    const alice = mockCredentials.user.header('user:default/alice');
    const deadline = Date.now() + 90_000;
    let items: Array<{ target: string; status: string; error?: string }> = [];
    for (;;) {
      const res = await request(server)
        .get('/api/model-scan/scans?limit=50')
        .set('Authorization', alice);
      expect(res.status).toBe(200);
      items = res.body.items;
      if (
        items.length === 4 &&
        items.every(s => ['completed', 'failed'].includes(s.status))
      ) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`scans did not finish: ${JSON.stringify(items)}`);
      }
      await new Promise(r => setTimeout(r, 250));
    }
    expect(items.map(s => s.target).sort()).toEqual(
      [
        'databricks://frontier-70b-base/12',
        'hf://OpenAssistant/reward-model-deberta-v3-large-v2@main',
        'https://frontierweights.blob.core.windows.net/frontier-7b/release/v3/',
        'mlflow://frontier-7b-chat/3',
      ].sort(),
    );
    for (const scan of items) {
      expect({ target: scan.target, status: scan.status }).toEqual({
        target: scan.target,
        status: 'failed',
      });
      expect(scan.error).toEqual(expect.any(String));
    }
    expect(
      records.filter(
        r => r.level === 'warn' && /Scan .* failed/.test(r.message),
      ),
    ).toHaveLength(4);
    expect(records.filter(r => r.level === 'error')).toEqual([]);
  });
});
