import { createBackend } from '@backstage/backend-defaults';
import { frontierGuardRootHttpRouter } from './network/rootHttpRouter';
import { networkAuditPlugin } from './network/refusalAuditPlugin';
import { permissionModuleFrontierGuardPolicy } from './permissions/module';
import { authModuleDemoProvider } from './auth/demoSignIn';
import { authModuleMicrosoftRiskAwareProvider } from './auth/microsoftSignIn';
import { accessRequestsModuleProvisioners } from '@internal/plugin-access-requests-backend';
import { catalogModuleWeightInventory } from '@internal/plugin-weight-inventory-backend';
import { auditorServiceFactory } from '@internal/plugin-audit-backend';
import { frontierGuardDatabaseServiceFactory } from './database';
import { productionGuardPlugin } from './production/productionGuard';
import { exitOnStartupFailure } from './production/startup';
import { pluginTokenCacheServiceFactory } from './auth/pluginTokenCache';
import { frontierGuardEventsServiceFactory } from './events/eventsServiceFactory';

const backend = createBackend();

// Refuses to start a production configuration (auth.environment: production or
// NODE_ENV=production) that carries any demo-only setting; see src/production.
backend.add(productionGuardPlugin);

// The root HTTP router with the IP access list (DASF 1) in front of every route; the `network`
// plugin writes what it refused to the audit trail (one summary event per minute with refusals).
backend.add(frontierGuardRootHttpRouter);
backend.add(networkAuditPlugin);

// Backstage's database service, with every plugin's SQLite file in WAL mode, a prepared-statement
// cache and WAL checkpoints on a worker thread (PostgreSQL untouched); see src/database.
backend.add(frontierGuardDatabaseServiceFactory);

// Plugin-to-plugin tokens are reused (and an exact token already verified is not re-verified for
// 60 s) instead of an ES256 signature per internal call; see src/auth/pluginTokenCache.ts.
backend.add(pluginTokenCacheServiceFactory);

// The auditor of every plugin logs as Backstage's default does and also appends each event to
// the append-only, hash-chained audit trail; the audit plugin serves /api/audit/events and /verify.
backend.add(auditorServiceFactory);
backend.add(import('@internal/plugin-audit-backend'));

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// Sign-in: the demo provider (app-config.yaml only) and Entra ID with risk-based verification.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(authModuleDemoProvider);
backend.add(authModuleMicrosoftRiskAwareProvider);

// Catalog: demo org from catalog/*.yaml; Microsoft Graph org data in production.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
backend.add(import('@backstage/plugin-catalog-backend-module-msgraph'));

// Permissions: role-based policy from catalog group membership.
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(permissionModuleFrontierGuardPolicy);

backend.add(import('@backstage/plugin-kubernetes-backend'));
backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
// Events bus persisted in the database, so events (signals, notifications) reach every replica.
backend.add(import('@backstage/plugin-events-backend'));
// ... posted to only when there can be other replicas: not on SQLite (one process; events are
// delivered in-process), see src/events.
backend.add(frontierGuardEventsServiceFactory);

// Frontier Guard plugins
backend.add(import('@internal/plugin-model-scan-backend'));
backend.add(import('@internal/plugin-access-requests-backend'));
backend.add(accessRequestsModuleProvisioners);
backend.add(import('@internal/plugin-policy-exceptions-backend'));
backend.add(import('@internal/plugin-weight-inventory-backend'));
backend.add(catalogModuleWeightInventory);
backend.add(import('@internal/plugin-detections-backend'));

// A startup failure (bad config value, plugin that cannot start) ends the process with a clear
// message and exit code 1, so a supervisor restarts it instead of keeping a backend that never
// becomes ready.
exitOnStartupFailure(backend.start());
