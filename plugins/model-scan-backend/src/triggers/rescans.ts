import type {
  AuthService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { readSchedulerServiceTaskScheduleDefinitionFromConfig } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { MODEL_SOURCE_ANNOTATION } from '@internal/plugin-model-scan-common';
import type { ScanServiceLike } from './types';

export { MODEL_SOURCE_ANNOTATION };
export const RESCAN_TASK_ID = 'model-scan-periodic-rescan';
export const RESCAN_REQUESTED_BY = 'scheduler:model-scan-periodic-rescan';
/** Applied when the configured schedule has no initialDelay. */
export const DEFAULT_RESCAN_INITIAL_DELAY = { minutes: 5 };

/** Splits the annotation value (comma-separated targets). */
export function targetsOfAnnotation(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
}

/**
 * One rescan pass: every catalog entity annotated with `frontier-guard.io/model-source`
 * gets a `periodic` scan per target. A bad target is logged and skipped; it does not stop
 * the others. Returns how many scans were queued.
 */
export async function runRescans(opts: {
  catalog: CatalogService;
  scanService: Pick<ScanServiceLike, 'enqueue'>;
  auth: AuthService;
  logger: LoggerService;
}): Promise<{ queued: number; failed: number }> {
  const credentials = await opts.auth.getOwnServiceCredentials();
  let queued = 0;
  let failed = 0;
  let cursor: string | undefined;
  do {
    const page = await opts.catalog.queryEntities(
      cursor
        ? { cursor, limit: 200 }
        : {
            filter: {
              [`metadata.annotations.${MODEL_SOURCE_ANNOTATION}`]:
                CATALOG_FILTER_EXISTS,
            },
            fields: [
              'kind',
              'metadata.namespace',
              'metadata.name',
              'metadata.annotations',
            ],
            limit: 200,
          },
      { credentials },
    );
    for (const entity of page.items) {
      const entityRef = stringifyEntityRef(entity);
      for (const target of targetsOfAnnotation(
        entity.metadata.annotations?.[MODEL_SOURCE_ANNOTATION],
      )) {
        try {
          await opts.scanService.enqueue({
            target,
            trigger: 'periodic',
            requestedBy: RESCAN_REQUESTED_BY,
            entityRef,
          });
          queued++;
        } catch (e) {
          failed++;
          opts.logger.warn(
            `Periodic rescan of ${target} (${entityRef}) not queued: ${e}`,
          );
        }
      }
    }
    cursor = page.pageInfo.nextCursor;
  } while (cursor);
  opts.logger.info(
    `Periodic rescan queued ${queued} scan(s), ${failed} refused`,
  );
  return { queued, failed };
}

/**
 * Schedules the periodic rescan as a global task (one replica runs it per interval).
 * Schedule from `modelScan.rescan.schedule` (default: daily, 1 h timeout);
 * `modelScan.rescan.enabled: false` turns it off.
 */
export async function scheduleRescans(opts: {
  scheduler: SchedulerService;
  catalog: CatalogService;
  scanService: Pick<ScanServiceLike, 'enqueue'>;
  config: Config;
  logger: LoggerService;
  auth: AuthService;
}): Promise<void> {
  const rescan = opts.config.getOptionalConfig('modelScan.rescan');
  if (rescan?.getOptionalBoolean('enabled') === false) {
    opts.logger.info(
      'Periodic model rescans are disabled (modelScan.rescan.enabled)',
    );
    return;
  }
  const schedule: SchedulerServiceTaskScheduleDefinition = rescan?.has(
    'schedule',
  )
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
        rescan.getConfig('schedule'),
      )
    : {
        frequency: { days: 1 },
        timeout: { hours: 1 },
        initialDelay: DEFAULT_RESCAN_INITIAL_DELAY,
      };
  await opts.scheduler.scheduleTask({
    id: RESCAN_TASK_ID,
    scope: 'global',
    ...schedule,
    // never at startup: the catalog and the registries get time to come up first
    initialDelay: schedule.initialDelay ?? DEFAULT_RESCAN_INITIAL_DELAY,
    fn: async () => {
      try {
        await runRescans(opts);
      } catch (e) {
        // e.g. the catalog is not reachable yet; the next run tries again
        opts.logger.warn(`Periodic rescan pass failed: ${e}`);
      }
    },
  });
}
