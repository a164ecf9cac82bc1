import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { policyExceptionsPermissions } from '@internal/plugin-policy-exceptions-common';
import { AdjustableClock, Clock, systemClock } from '@internal/clock';
import { readSettings } from './domain/settings';
import { createRouter } from './router';
import { runCompensatingChecks } from './service/CompensatingChecks';
import { CatalogDirectory } from './service/Directory';
import { ExceptionsService } from './service/ExceptionsService';
import { Notifier } from './service/Notifier';
import { noPostureSource } from './service/posture';
import { WeightInventoryPosture } from './service/weightInventoryPosture';
import { ModelScanVerdicts } from './service/modelFiles';
import { importModelScanAcceptances } from './service/importAcceptances';
import { ModelScanClient } from '@internal/plugin-model-scan-common';
import { ExceptionStore } from './store/ExceptionStore';

/**
 * Policy exceptions with compensating controls (issue 9), mounted at /api/policy-exceptions.
 */
export const policyExceptionsPlugin = createBackendPlugin({
  pluginId: 'policy-exceptions',
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
        catalog: catalogServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const { config, logger, database, scheduler, lifecycle } = deps;
        const cfg = config.getOptionalConfig('policyExceptions');
        const settings = readSettings(cfg);

        const allowClockControl = cfg?.getOptionalBoolean('testing.allowClockControl') ?? false;
        if (allowClockControl && (process.env.NODE_ENV === 'production' || config.getOptionalString('auth.environment') === 'production')) {
          throw new Error('policyExceptions.testing.allowClockControl must not be set in production (NODE_ENV=production or auth.environment: production)');
        }
        const adjustableClock = allowClockControl ? new AdjustableClock(systemClock) : undefined;
        const clock: Clock = adjustableClock ?? systemClock;
        if (adjustableClock) {
          logger.warn('policy-exceptions: policyExceptions.testing.allowClockControl is ON — POST /admin/clock exists. Never in production.');
        }

        const knex = await database.getClient();
        const store = await ExceptionStore.create({ knex, skipMigrations: database.migrations?.skip });
        const notifier = new Notifier(deps.notifications, logger);
        lifecycle.addShutdownHook(() => notifier.drain());

        const verdicts = new ModelScanVerdicts(deps.discovery, deps.auth);
        const service = new ExceptionsService({
          store,
          directory: new CatalogDirectory(deps.catalog, deps.auth),
          notifier,
          auditor: deps.auditor,
          logger,
          clock,
          settings,
          verdicts,
        });
        deps.permissionsRegistry.addPermissions(policyExceptionsPermissions);

        const posture =
          (cfg?.getOptionalString('checks.postureSource') ?? 'weight-inventory') === 'none'
            ? noPostureSource
            : new WeightInventoryPosture(deps.discovery, deps.auth);
        const runChecks = () => runCompensatingChecks(service, posture, verdicts);

        // model-scan acceptances become exceptions: copied once over model-scan's API (idempotent)
        const importAcceptances = cfg?.getOptionalBoolean('imports.modelScanAcceptances') ?? true;
        const modelScan = new ModelScanClient({ discoveryApi: deps.discovery });
        const runImport = async () => {
          if (!importAcceptances) return;
          try {
            const { token } = await deps.auth.getPluginRequestToken({ onBehalfOf: await deps.auth.getOwnServiceCredentials(), targetPluginId: 'model-scan' });
            const r = await importModelScanAcceptances(service, { listAcceptances: async () => (await modelScan.listAcceptances({ token })).items }, logger);
            if (r.imported) logger.info(`policy-exceptions: imported ${r.imported} model-scan acceptances as exceptions`);
          } catch (e) {
            logger.warn(`policy-exceptions: model-scan acceptances not imported yet (will retry): ${(e as Error).message}`);
          }
        };
        lifecycle.addStartupHook(runImport);
        await scheduler.scheduleTask({
          id: 'policy-exceptions-checks',
          // global: one replica at a time (the scheduler coordinates through the database)
          scope: 'global',
          frequency: { minutes: cfg?.getOptionalNumber('checks.frequencyMinutes') ?? 15 },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 30 },
          fn: async () => {
            await runImport();
            const checks = await runChecks();
            const reminders = await service.sendReminders();
            if (checks.suspended || reminders.expiry || reminders.reReview) {
              logger.info(`policy-exceptions: checks ${JSON.stringify(checks)}, reminders ${JSON.stringify(reminders)}`);
            }
          },
        });

        deps.httpRouter.use(
          await createRouter({ service, httpAuth: deps.httpAuth, permissions: deps.permissions, auditor: deps.auditor, runChecks, adjustableClock }),
        );
      },
    });
  },
});
