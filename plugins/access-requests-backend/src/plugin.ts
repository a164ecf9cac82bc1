import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  AccessProvisioner,
  accessProvisionersExtensionPoint,
} from '@internal/plugin-access-requests-node';
import { accessRequestsPermissions } from '@internal/plugin-access-requests-common';
import { AdjustableClock, Clock, systemClock } from './clock';
import { createRouter } from './router';
import { AccessStore } from './store/AccessStore';
import { AccessRequestsService, RoleSuggesterLike } from './service/AccessRequestsService';
import { CatalogDirectory } from './service/CatalogDirectory';
import { Notifier } from './service/Notifier';
import { appRoutesFromConfig } from './service/appRoutes';
import { PolicyRepository } from './service/PolicyRepository';
import { ProvisionerRegistry } from './service/ProvisionerRegistry';
import { loadRoleSuggester } from './suggester';

/**
 * The access-requests backend plugin (AccessManager): time-bound, multi-party approved
 * access to catalog resources. Mounted at /api/access-requests.
 */
export const accessRequestsPlugin = createBackendPlugin({
  pluginId: 'access-requests',
  register(env) {
    const provisioners: AccessProvisioner[] = [];
    env.registerExtensionPoint(accessProvisionersExtensionPoint, {
      addProvisioner(...p: AccessProvisioner[]) {
        provisioners.push(...p);
      },
    });

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const { config, logger, database, httpRouter, scheduler, lifecycle } = deps;
        const cfg = config.getOptionalConfig('accessRequests');

        const allowClockControl = cfg?.getOptionalBoolean('testing.allowClockControl') ?? false;
        const adjustableClock = allowClockControl ? new AdjustableClock(systemClock) : undefined;
        const clock: Clock = adjustableClock ?? systemClock;
        if (adjustableClock) {
          logger.warn('access-requests: accessRequests.testing.allowClockControl is ON — POST /admin/clock exists. Never in production.');
        }

        const knex = await database.getClient();
        const store = await AccessStore.create({ knex, skipMigrations: database.migrations?.skip });

        const policies = await PolicyRepository.create({
          directory: cfg?.getOptionalString('policyDirectory') ?? '../../catalog/policies',
          logger,
        });
        logger.info(`access-requests: loaded policies: ${policies.names().join(', ') || '(none)'}`);

        const aliasConfig = cfg?.getOptionalConfig('provisionerAliases');
        const aliases = Object.fromEntries(
          (aliasConfig?.keys() ?? []).map(k => [k, aliasConfig!.getString(k)]),
        );
        const registry = new ProvisionerRegistry(provisioners, aliases);
        logger.info(`access-requests: provisioners: ${registry.types().join(', ')}; aliases: ${JSON.stringify(aliases)}`);

        let suggester: RoleSuggesterLike | undefined;
        try {
          suggester = await loadRoleSuggester({ config, logger });
        } catch (e) {
          logger.warn(`access-requests: role suggester unavailable: ${(e as Error).message}`);
        }

        const directory = new CatalogDirectory(deps.catalog, deps.auth);
        // groups among the recipients are resolved here (briefly cached): the notifications
        // backend then makes no catalog call per send
        const notifier = new Notifier(deps.notifications, logger, { usersOf: refs => directory.usersOf(refs) });
        // notifications are sent after the action commits, without holding up the response;
        // at shutdown wait for those still in flight
        lifecycle.addShutdownHook(() => notifier.drain());

        const service = new AccessRequestsService({
          store,
          policies,
          directory,
          provisioners: registry,
          notifier,
          auditor: deps.auditor,
          logger,
          clock,
          suggester,
          platformAdminGroup: cfg?.getOptionalString('groups.platformAdmins'),
          securityReviewerGroup: cfg?.getOptionalString('groups.securityReviewers'),
          reminderMinutesBefore: cfg?.getOptionalNumber('expiry.reminderMinutesBefore'),
          appBaseUrl: cfg?.getOptionalString('appBaseUrl') ?? config.getOptionalString('app.baseUrl'),
          appRoutes: appRoutesFromConfig(cfg),
          absoluteLinks: cfg?.getOptionalBoolean('absoluteNotificationLinks') ?? false,
        });

        deps.permissionsRegistry.addPermissions(accessRequestsPermissions);

        const sweep = async () => {
          await policies.reload();
          const r = await service.runExpirySweep();
          if (r.expiredGrants || r.expiredRequests || r.deprovisioned || r.reminders) {
            logger.info(`access-requests: expiry sweep ${JSON.stringify(r)}`);
          }
        };
        await scheduler.scheduleTask({
          id: 'access-requests-expiry',
          scope: 'global',
          frequency: { minutes: cfg?.getOptionalNumber('expiry.frequencyMinutes') ?? 1 },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 5 },
          fn: async () => {
            // one line per run (debug): the two-replica test counts these to show it runs once
            logger.debug('access-requests: scheduled expiry sweep run');
            await sweep();
          },
        });
        // Do not wait for the scheduler after a restart: overdue grants are revoked at once.
        lifecycle.addStartupHook(async () => {
          try {
            await sweep();
          } catch (e) {
            logger.error(`access-requests: startup expiry sweep failed: ${(e as Error).message}`);
          }
        });

        httpRouter.use(
          await createRouter({
            service,
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            auditor: deps.auditor,
            logger,
            adjustableClock,
          }),
        );
      },
    });
  },
});
