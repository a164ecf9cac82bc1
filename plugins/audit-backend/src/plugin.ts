import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { auditPermissions } from '@internal/plugin-audit-common';
import { createRouter } from './router';
import { auditLogServiceRef } from './service/auditLogServiceRef';

/**
 * The `audit` backend plugin: `GET /api/audit/events` and `GET /api/audit/verify`
 * over the hash-chained audit trail (permission `audit.events.read`).
 */
export const auditPlugin = createBackendPlugin({
  pluginId: 'audit',
  register(env) {
    env.registerInit({
      deps: {
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        auditLog: auditLogServiceRef,
      },
      async init({
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        auditor,
        auditLog,
      }) {
        permissionsRegistry.addPermissions(auditPermissions);
        httpRouter.use(
          await createRouter({ httpAuth, permissions, auditor, auditLog }),
        );
      },
    });
  },
});
