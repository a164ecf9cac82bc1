import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { FakeScanService } from './__testUtils__/harness';
import {
  MODEL_SOURCE_ANNOTATION,
  RESCAN_TASK_ID,
  runRescans,
  scheduleRescans,
} from './rescans';

const entity = (kind: string, name: string, source?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: {
    name,
    namespace: 'default',
    annotations: source ? { [MODEL_SOURCE_ANNOTATION]: source } : {},
  },
  spec: {
    type: kind === 'Component' ? 'model' : 'weight-store',
    owner: 'group:default/frontier-research',
  },
});

const entities = [
  entity('Component', 'fraud-model', 'mlflow://fraud/3, hf://org/fraud@main'),
  entity(
    'Resource',
    'weights',
    'https://acct.blob.core.windows.net/weights/llama/',
  ),
  entity('Component', 'website'),
  entity('Component', 'broken', 'not-a-target'),
];

describe('periodic rescans', () => {
  it('queues one periodic scan per annotated target with its entity ref, and skips refused targets', async () => {
    const scanService = new FakeScanService();
    const real = scanService.enqueue.bind(scanService);
    scanService.enqueue = async req => {
      if (req.target === 'not-a-target')
        throw new Error('InputError: unsupported target');
      return real(req);
    };
    const logger = mockServices.logger.mock();
    const result = await runRescans({
      catalog: catalogServiceMock({ entities }),
      scanService,
      auth: mockServices.auth(),
      logger,
    });
    expect(result).toEqual({ queued: 3, failed: 1 });
    expect(scanService.enqueued).toEqual([
      {
        target: 'mlflow://fraud/3',
        trigger: 'periodic',
        requestedBy: 'scheduler:model-scan-periodic-rescan',
        entityRef: 'component:default/fraud-model',
      },
      {
        target: 'hf://org/fraud@main',
        trigger: 'periodic',
        requestedBy: 'scheduler:model-scan-periodic-rescan',
        entityRef: 'component:default/fraud-model',
      },
      {
        target: 'https://acct.blob.core.windows.net/weights/llama/',
        trigger: 'periodic',
        requestedBy: 'scheduler:model-scan-periodic-rescan',
        entityRef: 'resource:default/weights',
      },
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('not-a-target'),
    );
  });

  it('schedules a global task, daily by default or as configured, and can be disabled', async () => {
    const scheduler = mockServices.scheduler.mock();
    const scanService = new FakeScanService();
    const common = {
      scheduler,
      catalog: catalogServiceMock({ entities }),
      scanService,
      logger: mockServices.logger.mock(),
      auth: mockServices.auth(),
    };
    await scheduleRescans({ ...common, config: new ConfigReader({}) });
    expect(scheduler.scheduleTask).toHaveBeenCalledWith(
      expect.objectContaining({
        id: RESCAN_TASK_ID,
        scope: 'global',
        frequency: { days: 1 },
      }),
    );
    await scheduler.scheduleTask.mock.calls[0][0].fn(
      new AbortController().signal,
    );
    expect(scanService.enqueued.map(e => e.trigger)).toEqual([
      'periodic',
      'periodic',
      'periodic',
      'periodic',
    ]);

    scheduler.scheduleTask.mockClear();
    await scheduleRescans({
      ...common,
      config: new ConfigReader({
        modelScan: {
          rescan: {
            schedule: { frequency: { hours: 6 }, timeout: { minutes: 30 } },
          },
        },
      }),
    });
    expect(scheduler.scheduleTask).toHaveBeenCalledWith(
      expect.objectContaining({
        frequency: { hours: 6 },
        timeout: { minutes: 30 },
      }),
    );

    scheduler.scheduleTask.mockClear();
    await scheduleRescans({
      ...common,
      config: new ConfigReader({ modelScan: { rescan: { enabled: false } } }),
    });
    expect(scheduler.scheduleTask).not.toHaveBeenCalled();
  });
});
