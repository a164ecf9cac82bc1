import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';

/**
 * Production is either `auth.environment: production` (what the portal's sign-in providers read)
 * or `NODE_ENV=production` (what the documented production start and the image set). Either one
 * is enough: a demo convenience must not survive because only one of them was set.
 */
export function isProduction(config: Config, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.getOptionalString('auth.environment') === 'production' || env.NODE_ENV === 'production';
}

/**
 * The demo sign-in provider exists only when the app offers it (`frontierGuard.signIn: demo`)
 * AND the auth environment is explicitly `development` AND the process is not running with
 * NODE_ENV=production.
 */
export function isDemoSignInAllowed(config: Config, env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    config.getOptionalString('frontierGuard.signIn') === 'demo' &&
    config.getOptionalString('auth.environment') === 'development' &&
    env.NODE_ENV !== 'production'
  );
}

/** The static ingest token of the embedded demo's log shipper (app-config.yaml): public, demo only. */
export const DEMO_DETECTIONS_INGEST_TOKEN = 'demo-log-shipper-token-not-secret';

/** Where the embedded demo's users (alice, bob, dave, ... with their demo roles) live. */
const DEMO_ORG_FILE = /(^|[\\/])catalog[\\/]org\.yaml$/;

/**
 * Every setting of the embedded demo (app-config.yaml, app-config.e2e.yaml) that must never be
 * active in production, each with the reason. Empty when the configuration is safe.
 */
export function demoOnlySettings(config: Config, env: NodeJS.ProcessEnv = process.env): string[] {
  const found: string[] = [];
  if (config.getOptionalString('frontierGuard.signIn') === 'demo') {
    found.push('frontierGuard.signIn is "demo" (the sign-in page would offer the demo users)');
  }
  if (config.has('auth.providers.demo')) {
    found.push('auth.providers.demo is configured (sign-in as a demo user with one header, no password)');
  }
  if (config.has('auth.providers.guest')) {
    found.push('auth.providers.guest is configured (sign-in without any identity)');
  }
  if (env.NODE_ENV === 'production' && config.getOptionalString('auth.environment') !== 'production') {
    found.push(
      `auth.environment is "${config.getOptionalString('auth.environment') ?? 'development'}" while NODE_ENV=production ` +
        '(set auth.environment: production)',
    );
  }
  const aliases = config.getOptionalConfig('accessRequests.provisionerAliases');
  for (const key of aliases?.keys() ?? []) {
    if (aliases!.getOptionalString(key) === 'record-only') {
      found.push(
        `accessRequests.provisionerAliases.${key} is "record-only" (grants would be recorded but never provisioned)`,
      );
    }
  }
  if (config.getOptionalBoolean('accessRequests.testing.allowClockControl')) {
    found.push('accessRequests.testing.allowClockControl is true (an admin could move the grant expiry clock)');
  }
  if (config.getOptionalBoolean('policyExceptions.testing.allowClockControl')) {
    found.push(
      'policyExceptions.testing.allowClockControl is true (a reviewer could move the clock that ends exceptions)',
    );
  }
  if (config.getOptionalBoolean('weightInventory.demo.enabled')) {
    found.push('weightInventory.demo.enabled is true (fabricated demo stores and clusters in the inventory and catalog)');
  }
  for (const access of config.getOptionalConfigArray('backend.auth.externalAccess') ?? []) {
    if (access.getOptionalString('options.token') === DEMO_DETECTIONS_INGEST_TOKEN) {
      found.push('backend.auth.externalAccess has the demo log-shipper token of app-config.yaml (anyone who read the repository could ingest events)');
    }
  }
  for (const location of config.getOptionalConfigArray('catalog.locations') ?? []) {
    const target = location.getOptionalString('target') ?? '';
    if (DEMO_ORG_FILE.test(target)) {
      found.push(`catalog.locations loads ${target} (the demo users and their demo roles)`);
    }
  }
  return found;
}

/**
 * Settings no demo uses either, that switch a production portal's access control off, each with
 * the reason. Empty when the configuration is safe.
 */
export function unsafeProductionSettings(config: Config): string[] {
  const found: string[] = [];
  if (config.getOptionalBoolean('permission.enabled') !== true) {
    found.push(
      'permission.enabled is not true (every permission check would allow: any signed-in user could approve access, ' +
        'revoke grants, accept model verdicts and read the audit trail)',
    );
  }
  if (config.getOptionalBoolean('backend.auth.dangerouslyDisableDefaultAuthPolicy') === true) {
    found.push(
      'backend.auth.dangerouslyDisableDefaultAuthPolicy is true (routes without their own check, e.g. the catalog, ' +
        'would answer requests without credentials)',
    );
  }
  return found;
}

/** Throws a startup error naming every demo-only or unsafe setting when the configuration is production. */
export function assertProductionSafe(config: Config, env: NodeJS.ProcessEnv = process.env): void {
  if (!isProduction(config, env)) return;
  const demo = demoOnlySettings(config, env);
  const found = [...demo, ...unsafeProductionSettings(config)];
  if (found.length === 0) return;
  throw new Error(
    `Refusing to start: ${demo.length > 0 ? 'demo-only' : 'unsafe'} settings in a production configuration ` +
      `(auth.environment=${config.getOptionalString('auth.environment') ?? 'unset'}, NODE_ENV=${env.NODE_ENV ?? 'unset'}): ` +
      `${found.join('; ')}. ` +
      'Start production with app-config.production.yaml alone (not layered over app-config.yaml), see README "Production".',
  );
}

/**
 * Backend plugin `production-guard`: refuses to start (the backend exits non-zero) when a
 * production configuration carries any demo-only setting or switches access control off.
 */
export const productionGuardPlugin = createBackendPlugin({
  pluginId: 'production-guard',
  register(env) {
    env.registerInit({
      deps: { config: coreServices.rootConfig, logger: coreServices.logger },
      async init({ config, logger }) {
        assertProductionSafe(config);
        if (isProduction(config)) logger.info('Production configuration: no demo-only settings');
      },
    });
  },
});
