import { createBackendModule } from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { FrontierGuardPermissionPolicy } from './FrontierGuardPermissionPolicy';

/** Installs the role-based permission policy (roles from catalog group membership). */
export const permissionModuleFrontierGuardPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'frontier-guard-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new FrontierGuardPermissionPolicy());
      },
    });
  },
});
