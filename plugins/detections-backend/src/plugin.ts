import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { systemClock } from '@internal/clock';
import { DetectionEngine } from '@internal/detection-rules';
import { detectionsPermissions } from '@internal/plugin-detections-common';
import { DefaultAzureCredential } from '@azure/identity';
import { readSettings } from './domain/settings';
import { createRouter } from './router';
import { readSentinelSettings, SentinelAlertReader } from './sentinel';
import { AccessRequestsGrants } from './service/AccessRequestsGrants';
import { AlertNotifier } from './service/AlertNotifier';
import { AlertsService } from './service/AlertsService';
import { BlobLogPuller } from './service/BlobLogPuller';
import { loadCatalogNames, readCatalogNamesUntilSettled } from './service/catalogNames';
import { SentinelImport } from './service/SentinelImport';
import { DetectionsQueries } from './service/DetectionsQueries';
import { IngestService } from './service/IngestService';
import { LiveGrantIndex } from './service/liveGrants';
import { DetectionsStore } from './store/DetectionsStore';

/**
 * Detections (issue 10), mounted at /api/detections: security events in (NDJSON ingest by
 * service principals, pulled diagnostic-log exports), detections and alerts out, triage.
 */
export const detectionsPlugin = createBackendPlugin({
  pluginId: 'detections',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        notifications: notificationService,
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const { config, logger, database, scheduler, lifecycle } = deps;
        const cfg = config.getOptionalConfig('detections');
        const settings = readSettings(cfg);
        const clock = systemClock;

        const knex = await database.getClient();
        const store = await DetectionsStore.create({ knex, skipMigrations: database.migrations?.skip });
        deps.permissionsRegistry.addPermissions(detectionsPermissions);

        const grantIndex = new LiveGrantIndex();
        const grantsSource = cfg?.getOptionalString('grants.source') ?? 'access-requests';
        const grantsApi = grantsSource === 'none' ? undefined : new AccessRequestsGrants(deps.discovery, deps.auth);
        // one engine per process: its sliding windows are memory (see README, replicas)
        const engine = new DetectionEngine({ config: settings.rules, grants: grantIndex });
        const notifier = new AlertNotifier(deps.notifications, settings.notifyGroup, logger);
        lifecycle.addShutdownHook(() => notifier.drain());

        const ingest = new IngestService({
          store, engine, grants: grantIndex, notifier, clock, logger,
          maxLines: settings.ingest.maxLines,
          warmupHours: settings.warmupHours,
          warmupMaxEvents: settings.warmupMaxEvents,
        });
        // queued before any batch: ingest waits until the windows hold the recent past
        ingest.warmUp().then(
          r => logger.info(`detections: engine warmed with ${r.events} stored events of the last ${settings.warmupHours} h`),
          e => logger.error(`detections: engine warm-up failed: ${(e as Error).message}`),
        );

        const alerts = new AlertsService({
          store, auditor: deps.auditor, clock, grants: grantsApi,
          users: {
            exists: async ref => !!(await deps.catalog.getEntityByRef(ref, { credentials: await deps.auth.getOwnServiceCredentials() })),
          },
        });
        const queries = new DetectionsQueries({ store, engine, clock, directory: () => grantIndex.directory });

        // At scale (issue 10): the same rules' KQL run in a Log Analytics workspace (Microsoft
        // Sentinel) where the logs already are, read back with the Azure Monitor Logs SDK
        // (src/sentinel). Optional: detections.sentinel.workspaceId (+ endpoint, frequencyMinutes,
        // overlapMinutes, maxLookbackMinutes). The rows become alerts as ingest groups them
        // (SentinelImport): each rule read from overlapMinutes before its read mark (rows ingested
        // late), at most maxLookbackMinutes back; rows read again are known by their keys.
        const sentinel = readSentinelSettings(cfg?.getOptionalConfig('sentinel'));
        if (sentinel) {
          const reader = new SentinelAlertReader({
            workspaceId: sentinel.workspaceId,
            endpoint: sentinel.endpoint,
            credential: new DefaultAzureCredential(),
            engine,
          });
          const minutes = sentinel.frequencyMinutes;
          const sentinelImport = new SentinelImport({
            reader, workspaceId: sentinel.workspaceId, store, grants: grantIndex, notifier, clock,
            windowMinutes: engine.config.alertGroupWindowMinutes,
            firstReadMinutes: minutes,
            overlapMinutes: sentinel.overlapMinutes,
            maxLookbackMinutes: sentinel.maxLookbackMinutes,
            auditor: deps.auditor,
            // in turn with ingest batches: both group into the same alerts
            serial: fn => ingest.reserve().run(fn),
          });
          await scheduler.scheduleTask({
            id: 'detections-sentinel-read',
            scope: 'global',
            frequency: { minutes },
            timeout: { minutes: 30 },
            initialDelay: { minutes: 2 },
            fn: async () => {
              const r = await sentinelImport.importOnce();
              logger.info(`detections: Log Analytics workspace: ${r.detections} new detections (${r.skipped} read before) from ${Object.values(r.rows).reduce((a, b) => a + b, 0)} rows of ${reader.listRules().length} rules: ${r.alertsOpened} alerts opened, ${r.alertsUpdated} updated`);
              if (r.notRead.length) {
                const gap = r.notRead[0];
                logger.warn(`detections: Log Analytics: time older than detections.sentinel.maxLookbackMinutes (${sentinel.maxLookbackMinutes}) was left unread for ${r.notRead.length} rules (${gap.rule}: ${gap.from.toISOString()} to ${gap.to.toISOString()}); audited as sentinel-lookback-exceeded`);
              }
              for (const e of r.errors) logger.warn(`detections: Log Analytics rule ${e.rule} ${e.partial ? 'returned part of its rows' : 'failed'}: ${e.error}`);
            },
          });
        }

        // who is who: catalog users and stores, and the access-requests grant export (the
        // engine's "read without a grant", the refs of alerts, what a revoke would end)
        let stopped = false;
        lifecycle.addShutdownHook(() => {
          stopped = true;
        });
        const readNames = async () => {
          if (stopped) return undefined;
          try {
            return await loadCatalogNames(deps.catalog, deps.auth);
          } catch (e) {
            logger.warn(`detections: catalog users and stores not read (alerts keep the names of the logs until they are): ${(e as Error).message}`);
            return undefined;
          }
        };
        const refresh = async () => {
          const names = await readNames();
          if (names) grantIndex.setCatalog(names);
          if (grantsApi) {
            try {
              grantIndex.replace((await grantsApi.exportGrants()).grants, clock.now());
            } catch (e) {
              logger.warn(`detections: grant export of access-requests not read (read-without-grant stays quiet until it is): ${(e as Error).message}`);
            }
          }
          const dir = grantIndex.directory;
          await store.fillAlertRefs(p => dir.principalRef(p), r => dir.resourceRef(r));
        };
        lifecycle.addStartupHook(async () => {
          await refresh();
          // the catalog is usually still filling at this point: read it again until it settles
          readCatalogNamesUntilSettled({
            read: readNames,
            apply: async names => {
              if (stopped) return;
              grantIndex.setCatalog(names);
              const dir = grantIndex.directory;
              await store.fillAlertRefs(p => dir.principalRef(p), r => dir.resourceRef(r));
            },
            intervalMs: 5_000,
            maxReads: 24,
          }).catch(e => logger.warn(`detections: catalog names not settled: ${(e as Error).message}`));
        });
        await scheduler.scheduleTask({
          id: 'detections-grants-refresh',
          // every replica keeps its own engine, so each refreshes its own copy
          scope: 'local',
          frequency: { minutes: settings.grants.refreshMinutes },
          timeout: { minutes: 2 },
          initialDelay: { seconds: 30 },
          fn: refresh,
        });

        await scheduler.scheduleTask({
          id: 'detections-retention',
          scope: 'global',
          frequency: { minutes: settings.retention.frequencyMinutes },
          timeout: { minutes: 30 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const now = clock.now().getTime();
            const events = await store.deleteEventsBefore(now - settings.retention.eventDays * 86_400_000);
            const closed = await store.deleteClosedAlertsBefore(new Date(now - settings.retention.closedAlertDays * 86_400_000).toISOString());
            if (events || closed) logger.info(`detections: retention deleted ${events} events and ${closed} closed alerts`);
          },
        });

        if (settings.pull) {
          const puller = BlobLogPuller.fromSettings(settings.pull, { store, ingest, clock, logger });
          await scheduler.scheduleTask({
            id: 'detections-blob-pull',
            // one replica pulls at a time (positions are shared through the database)
            scope: 'global',
            frequency: { minutes: settings.pull.frequencyMinutes },
            timeout: { minutes: 30 },
            initialDelay: { seconds: 20 },
            fn: async () => {
              const r = await puller.pullOnce();
              if (r.blobs) logger.info(`detections: pulled ${r.blobs} log blobs: ${r.accepted} events accepted, ${r.duplicates} duplicates, ${r.rejected} lines rejected`);
            },
          });
        }

        deps.httpRouter.use(
          await createRouter({
            ingest, alerts, queries,
            httpAuth: deps.httpAuth, permissions: deps.permissions, auditor: deps.auditor,
            maxIngestBytes: settings.ingest.maxBytes,
          }),
        );
      },
    });
  },
});
