import { join } from 'node:path';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { modelScanPermissions } from '@internal/plugin-model-scan-common';
import { createRouter } from './router';
import { ScanStore } from './store/ScanStore';
import { PolicyExceptionsLink } from './service/exceptionLink';
import { ScanService } from './service/ScanService';
import { ScanQueue } from './service/ScanQueue';
import { ScanEngine, WorkerScanEngine } from './service/ScanEngine';
import {
  kubernetesRunner,
  readRunnerConfig,
  SizeRoutedEngine,
} from './service/runners';
import {
  modelScanRunnerExtensionPoint,
  ScanRunner,
} from '@internal/plugin-model-scan-node';
import { UploadReceiver } from './service/UploadReceiver';
import { UploadRetention } from './service/UploadRetention';
import { createUploadStore } from './service/uploadStore';
import { readModelScanConfig } from './service/config';
import { createSourceResolver } from './sources';
import {
  createTriggersRouter,
  DatabaseReplayStore,
  registerTriggerAuthPolicies,
  scheduleRescans,
} from './triggers';
import { readTriggerSettings } from './triggers/config';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { ScanNotifier } from './service/ScanNotifier';

/**
 * The model-scan backend plugin: durable scan jobs, worker-thread scanning, results cached per
 * file hash and scanner version, acceptances and the promotion gate.
 */
export const modelScanPlugin = createBackendPlugin({
  pluginId: 'model-scan',
  register(env) {
    // a backend module may run scans elsewhere (plugins/model-scan-node)
    let extensionRunner: ScanRunner | undefined;
    env.registerExtensionPoint(modelScanRunnerExtensionPoint, {
      setRunner(runner) {
        if (extensionRunner)
          throw new Error('The model-scan runner has already been set');
        extensionRunner = runner;
      },
    });
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        cache: coreServices.cache,
        catalog: catalogServiceRef,
        notifications: notificationService,
      },
      async init({
        config,
        logger,
        database,
        httpRouter,
        httpAuth,
        permissions,
        permissionsRegistry,
        auditor,
        scheduler,
        lifecycle,
        auth,
        discovery,
        cache,
        catalog,
        notifications,
      }) {
        const settings = readModelScanConfig(config);
        const clock = { now: () => new Date() };
        permissionsRegistry.addPermissions(modelScanPermissions);

        const store = await ScanStore.create({ database });
        const sourceResolver = createSourceResolver({ config, logger });
        const workers = new WorkerScanEngine({
          timeoutMs: settings.worker.timeoutSeconds * 1000,
          maxOldGenerationSizeMb: settings.worker.maxOldGenerationSizeMb,
          clamd: settings.clamd,
        });
        // where scans run: a module's runner, Kubernetes Jobs (modelScan.runner), or in-process
        const k8s = readRunnerConfig(config);
        let engine: ScanEngine = workers;
        if (extensionRunner) engine = extensionRunner;
        else if (k8s)
          engine = new SizeRoutedEngine(
            workers,
            await kubernetesRunner(k8s, settings.uploads.storage, workers),
            k8s.minBytes,
            k8s.alwaysFor,
          );
        // uploads in shared blob storage (modelScan.uploads.storage) or this replica's folder
        const uploadsDir = join(settings.workDir, 'uploads');
        const uploadStore = createUploadStore(
          settings.uploads.storage,
          uploadsDir,
        );
        // suspicious and malicious scans reach the security reviewers and the requester
        const notifier = new ScanNotifier({
          notifications,
          logger,
          ...settings.notifications,
          displayName: async ref => {
            const entity = await catalog.getEntityByRef(ref, { credentials: await auth.getOwnServiceCredentials() });
            const profile = (entity?.spec as { profile?: { displayName?: string } } | undefined)?.profile;
            return profile?.displayName ?? entity?.metadata.title;
          },
        });
        const scanService = new ScanService({
          uploads: uploadStore,
          store,
          engine,
          logger,
          clock,
          workDir: settings.workDir,
          allowLocalPaths: settings.allowLocalPaths,
          acceptanceMaxDays: settings.acceptance.maxDays,
          remoteSources: sourceResolver,
          // acceptances are exceptions held by policy-exceptions (issue 9); the gate asks isExcepted
          exceptions: new PolicyExceptionsLink({ discovery, auth, logger }),
          reviewNotifier: notifier,
        });
        scanService.onScanCompleted(scan => notifier.scanFinished(scan));
        const queue = new ScanQueue({
          store,
          service: scanService,
          logger,
          clock,
          concurrency: settings.worker.concurrency,
          leaseMs: settings.worker.leaseSeconds * 1000,
        });
        scanService.onEnqueued(() => {
          queue
            .drain()
            .catch(error => logger.warn(`Claiming scan jobs failed: ${error}`));
        });

        // Every replica polls and claims jobs in the shared database (scope local): the claim is
        // a conditional UPDATE, so replicas share the work without a global lock.
        await scheduler.scheduleTask({
          id: 'model-scan-claim-jobs',
          scope: 'local',
          frequency: { seconds: settings.worker.pollSeconds },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 1 },
          fn: () => queue.drain(),
        });
        lifecycle.addShutdownHook(() => queue.stop());

        // Scan triggers: webhooks (unauthenticated, signature-verified), the Hugging Face
        // download proxy, verdict write-back and periodic rescans of catalog models.
        registerTriggerAuthPolicies(httpRouter);
        const triggersRouter = await createTriggersRouter({
          scanService,
          config,
          logger,
          auditor,
          catalog,
          scheduler,
          sourceResolver,
          httpAuth,
          // the hub proxy starts scans, so it requires model-scan.scan.create
          permissions,
          // replay protection shared by every replica (UNIQUE(source, delivery_key))
          replayStore: new DatabaseReplayStore(store, clock),
          cache,
          clock,
        });
        await scheduleRescans({
          scheduler,
          catalog,
          scanService,
          config,
          logger,
          auth,
        });

        // Housekeeping on every replica (local uploads live on each replica's disk): delete uploads
        // past modelScan.uploads.retentionDays that no queued/running scan needs, and webhook
        // deliveries past the replay TTL.
        const retention = new UploadRetention({
          uploadsDir,
          store: uploadStore,
          retentionDays: settings.uploads.retentionDays,
          uploadsInUse: () => store.listUploadsInUse(),
          clock,
          logger,
        });
        const replayTtlMs =
          readTriggerSettings(config).webhooks.replayTtlSeconds * 1000;
        await scheduler.scheduleTask({
          id: 'model-scan-housekeeping',
          scope: 'local',
          frequency: { hours: 1 },
          timeout: { minutes: 15 },
          initialDelay: { minutes: 2 },
          fn: async () => {
            try {
              await retention.run();
              await store.deleteWebhookDeliveriesBefore(
                new Date(clock.now().getTime() - replayTtlMs),
              );
            } catch (error) {
              logger.warn(`Model-scan housekeeping failed: ${error}`);
            }
          },
        });

        httpRouter.use(
          await createRouter({
            scanService,
            uploads: new UploadReceiver({
              uploadsDir,
              store: uploadStore,
              maxUploadBytes: settings.maxUploadBytes,
            }),
            httpAuth,
            permissions,
            auditor,
            clock,
            extraRouters: [triggersRouter],
            catalog,
          }),
        );
      },
    });
  },
});
