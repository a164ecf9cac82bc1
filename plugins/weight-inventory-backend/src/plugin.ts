import { coreServices, createBackendModule, createBackendPlugin, readSchedulerServiceTaskScheduleDefinitionFromConfig } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { weightInventoryPermissions } from '@internal/plugin-weight-inventory-common';
import { readSettings } from './config';
import { createRouter } from './router';
import { InventoryStore } from './store/InventoryStore';
import { InventoryService } from './service/InventoryService';
import { NotificationsDriftNotifier } from './service/notifier';
import { AzureStorageSource } from './sources/azure';
import { DemoSource } from './sources/demo';
import { KubernetesClusterSource } from './sources/kubernetes';
import type { InventorySource } from './sources/types';
import { WeightInventoryEntityProvider } from './entityProvider';

/**
 * The weight-inventory backend plugin: discovers storage accounts and research clusters (Azure,
 * Kubernetes, demo), evaluates them with the posture engine on the scheduler (one replica at a
 * time) and on demand, stores each result with history and reports drift.
 */
export const weightInventoryPlugin = createBackendPlugin({
  pluginId: 'weight-inventory',
  register(env) {
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
        notifications: notificationService,
      },
      async init({ config, logger, database, httpRouter, httpAuth, permissions, permissionsRegistry, auditor, scheduler, notifications }) {
        const settings = readSettings(config);
        permissionsRegistry.addPermissions(weightInventoryPermissions);
        const store = await InventoryStore.create({ database });
        const sources: InventorySource[] = [];
        if (settings.demo) {
          logger.warn('weight-inventory: the DEMO source is enabled (fabricated stores labelled demo)');
          sources.push(new DemoSource());
        }
        for (const sub of settings.azure.subscriptions) {
          const credential = sub.credential
            ? new ClientSecretCredential(sub.credential.tenantId, sub.credential.clientId, sub.credential.clientSecret)
            : new DefaultAzureCredential();
          sources.push(new AzureStorageSource({
            subscription: { subscriptionId: sub.subscriptionId, credential },
            armEndpoint: settings.azure.armEndpoint,
            listBlobs: settings.azure.listBlobs,
            maxMagicProbes: settings.azure.maxMagicProbes,
            concurrency: settings.azure.concurrency,
            logger,
          }));
        }
        for (const cluster of settings.kubernetes) sources.push(new KubernetesClusterSource(cluster, logger));
        const service = new InventoryService({
          store,
          sources,
          posture: settings.posture,
          clock: { now: () => new Date() },
          logger,
          auditor,
          notifier: new NotificationsDriftNotifier(notifications),
        });
        const schedule = config.has('weightInventory.schedule')
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(config.getConfig('weightInventory.schedule'))
          : { frequency: { minutes: 30 }, timeout: { minutes: 20 } };
        await scheduler.scheduleTask({
          id: 'weight-inventory-refresh',
          scope: 'global',
          ...schedule,
          initialDelay: schedule.initialDelay ?? (settings.refreshOnStartup ? { seconds: 3 } : { minutes: 30 }),
          fn: async () => {
            const event = await auditor.createEvent({ eventId: 'inventory-refresh', severityLevel: 'low', meta: { trigger: 'schedule' } });
            try {
              const r = await service.refresh('schedule');
              await event.success({ meta: { refreshId: r.id, status: r.status, stores: r.stores, driftEvents: r.driftEvents } });
            } catch (e) {
              await event.fail({ error: e as Error });
              throw e;
            }
          },
        });
        httpRouter.use(await createRouter({ store, service, httpAuth, permissions, auditor }));
      },
    });
  },
});

/** Catalog module: stores and clusters as `Resource` entities (`weight-store` / `kubernetes-cluster`). */
export const catalogModuleWeightInventory = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'weight-inventory',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
      },
      async init({ catalog, config, discovery, auth, logger, scheduler }) {
        const minutes = config.getOptionalNumber('weightInventory.catalog.refreshMinutes') ?? 5;
        catalog.addEntityProvider(new WeightInventoryEntityProvider({
          discovery,
          auth,
          logger,
          taskRunner: scheduler.createScheduledTaskRunner({ frequency: { minutes }, timeout: { minutes: 2 }, initialDelay: { seconds: 20 } }),
          accessPolicies: {
            weightStore: config.getOptionalString('weightInventory.catalog.accessPolicies.weightStore'),
            kubernetesCluster: config.getOptionalString('weightInventory.catalog.accessPolicies.kubernetesCluster'),
          },
        }));
      },
    });
  },
});
