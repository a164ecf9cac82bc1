import { Knex } from 'knex';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { coreServices, createBackendModule, createServiceFactory } from '@backstage/backend-plugin-api';
import { CatalogService, catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { NotificationSendOptions, notificationService } from '@backstage/plugin-notifications-node';
import { Entity } from '@backstage/catalog-model';
import { accessProvisionersExtensionPoint } from '@internal/plugin-access-requests-node';
import { accessRequestsPlugin } from '../plugin';
import { POLICY_DIR, RecordingProvisioner, orgEntities, recordingAuditor, resourceEntities } from './fixtures';

/**
 * The access-requests plugin in a test backend on `knex`: recording Azure and Kubernetes
 * provisioners, the demo org and resources in a mock catalog (or the given catalog), a recording
 * auditor, notifications recorded in `sent`, the given permissions mock and `accessRequests`
 * config (the policy directory is added).
 */
export async function startAccessRequestsBackend(options: {
  knex: Knex;
  permissions: { factory: any };
  config?: Record<string, unknown>;
  entities?: Entity[];
  /** Instead of a mock catalog of `entities` (or the demo org) and the demo resources. */
  catalog?: CatalogService;
}) {
  const auditor = recordingAuditor();
  const azure = new RecordingProvisioner('azure-role-assignment');
  const k8s = new RecordingProvisioner('kubernetes-rolebinding');
  const sent: NotificationSendOptions[] = [];
  const provisioners = createBackendModule({
    pluginId: 'access-requests',
    moduleId: 'test-provisioners',
    register(reg) {
      reg.registerInit({
        deps: { ep: accessProvisionersExtensionPoint },
        async init({ ep }) {
          ep.addProvisioner(azure, k8s);
        },
      });
    },
  });
  const catalog = options.catalog
    ? createServiceFactory({ service: catalogServiceRef, deps: {}, factory: () => options.catalog! })
    : catalogServiceMock.factory({ entities: [...(options.entities ?? orgEntities()), ...resourceEntities()] });
  const backend = await startTestBackend({
    features: [
      accessRequestsPlugin,
      provisioners,
      catalog,
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({
          send: async (n: NotificationSendOptions) => {
            sent.push(n);
          },
        }),
      }),
      mockServices.database.factory({ knex: options.knex }),
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      options.permissions.factory,
      createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
      mockServices.rootConfig.factory({ data: { accessRequests: { policyDirectory: POLICY_DIR, ...options.config } } }),
    ],
  });
  return { backend, auditor, azure, k8s, sent };
}
