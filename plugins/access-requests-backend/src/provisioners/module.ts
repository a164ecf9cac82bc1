import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef, parseEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { accessProvisionersExtensionPoint } from '@internal/plugin-access-requests-node';
import { RecordOnlyProvisioner } from './recordOnly';
import { KubernetesRoleBindingProvisioner } from './kubernetes';
import {
  AZURE_USER_ID_ANNOTATION,
  AzureRoleAssignmentProvisioner,
  PrincipalIdResolver,
  azureCredentialFromConfig,
} from './azure';

function normalizeUserRef(ref: string): string {
  return stringifyEntityRef(
    parseEntityRef(ref, { defaultKind: 'user', defaultNamespace: 'default' }),
  );
}

/** Static `userPrincipals` from config first, then the user entity's `graph.microsoft.com/user-id`. */
export function createPrincipalIdResolver(options: {
  config: Config;
  lookupAnnotation: (userRef: string) => Promise<string | undefined>;
}): PrincipalIdResolver {
  const staticIds = new Map<string, string>();
  for (const entry of options.config.getOptionalConfigArray('userPrincipals') ??
    []) {
    staticIds.set(
      normalizeUserRef(entry.getString('userRef')),
      entry.getString('principalId'),
    );
  }
  return async userRef => {
    const normalized = normalizeUserRef(userRef);
    return staticIds.get(normalized) ?? options.lookupAnnotation(normalized);
  };
}

/**
 * Registers the built-in provisioners on the access-requests plugin:
 * `record-only` always; `kubernetes-rolebinding` when
 * `accessRequests.provisioners.kubernetes` is configured; `azure-role-assignment`
 * when `accessRequests.provisioners.azure` is configured.
 *
 * @public
 */
export const accessRequestsModuleProvisioners = createBackendModule({
  pluginId: 'access-requests',
  moduleId: 'provisioners',
  register(reg) {
    reg.registerInit({
      deps: {
        provisioners: accessProvisionersExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
      },
      async init({ provisioners, config, logger, auth, catalog }) {
        provisioners.addProvisioner(new RecordOnlyProvisioner(logger));

        const k8sConfig = config.getOptionalConfig(
          'accessRequests.provisioners.kubernetes',
        );
        if (k8sConfig) {
          provisioners.addProvisioner(
            KubernetesRoleBindingProvisioner.fromConfig(k8sConfig, { logger }),
          );
          logger.info('Kubernetes RoleBinding provisioner enabled');
        }

        const azureConfig = config.getOptionalConfig(
          'accessRequests.provisioners.azure',
        );
        if (azureConfig) {
          const resolvePrincipalId = createPrincipalIdResolver({
            config: azureConfig,
            lookupAnnotation: async userRef => {
              const entity = await catalog.getEntityByRef(userRef, {
                credentials: await auth.getOwnServiceCredentials(),
              });
              return entity?.metadata.annotations?.[AZURE_USER_ID_ANNOTATION];
            },
          });
          provisioners.addProvisioner(
            new AzureRoleAssignmentProvisioner({
              subscriptionId: azureConfig.getString('subscriptionId'),
              credential: azureCredentialFromConfig(azureConfig),
              resourceManagerEndpoint: azureConfig.getOptionalString(
                'resourceManagerEndpoint',
              ),
              resolvePrincipalId,
              logger,
            }),
          );
          logger.info('Azure role-assignment provisioner enabled');
        }
      },
    });
  },
});
