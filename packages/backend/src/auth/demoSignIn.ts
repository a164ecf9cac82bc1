import {
  AuditorService,
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { AuthenticationError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
  SignInResolver,
} from '@backstage/plugin-auth-node';
import { assertProductionSafe, isDemoSignInAllowed } from '../production/productionGuard';

/** Header the demo sign-in page sends with the chosen demo user. */
export const DEMO_USER_HEADER = 'x-frontier-guard-demo-user';

/**
 * Demo sign-in: lets a browser sign in as one of the demo users listed in
 * `auth.providers.demo.users` (catalog User names), so that workflows needing two
 * people (a requester and two reviewers) can be tried in one browser. The provider is registered
 * only when `frontierGuard.signIn` is `demo` AND `auth.environment` is `development` AND
 * NODE_ENV is not `production` (app-config.yaml, the embedded demo); a production configuration
 * that carries demo settings refuses to start (../production/productionGuard).
 */
export const demoAuthenticator = createProxyAuthenticator({
  // The profile shown in the app comes from the catalog User (falling back to the user name).
  defaultProfileTransform: async (result: { userName: string }, ctx) => {
    try {
      const { entity } = await ctx.findCatalogUser({
        entityRef: {
          kind: 'User',
          namespace: 'default',
          name: result.userName,
        },
      });
      const profile = (entity.spec?.profile ?? {}) as {
        displayName?: string;
        email?: string;
        picture?: string;
      };
      return {
        profile: {
          displayName: profile.displayName ?? result.userName,
          email: profile.email,
          picture: profile.picture,
        },
      };
    } catch {
      return { profile: { displayName: result.userName } };
    }
  },
  initialize({ config }) {
    return { users: new Set(config.getStringArray('users')) };
  },
  async authenticate({ req }, { users }) {
    const userName = req.header(DEMO_USER_HEADER);
    if (!userName) {
      throw new AuthenticationError(
        `Demo sign-in needs the ${DEMO_USER_HEADER} header`,
      );
    }
    if (!users.has(userName)) {
      throw new AuthenticationError(`"${userName}" is not a demo user`);
    }
    return { result: { userName } };
  },
});

/** Signs the demo user in as their catalog User, with a `demo-sign-in` audit event. */
export function createDemoSignInResolver(
  auditor: AuditorService,
): SignInResolver<{ userName: string }> {
  return async ({ result }, ctx) => {
    const event = await auditor.createEvent({
      eventId: 'demo-sign-in',
      severityLevel: 'medium',
      meta: { userName: result.userName },
    });
    try {
      const signedIn = await ctx.signInWithCatalogUser({
        entityRef: {
          kind: 'User',
          namespace: 'default',
          name: result.userName,
        },
      });
      await event.success();
      return signedIn;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  };
}

export const authModuleDemoProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'demo-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        auditor: coreServices.auditor,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ providers, auditor, config, logger }) {
        // Fails the auth plugin's startup (the process exits non-zero) on demo + production.
        assertProductionSafe(config);
        if (!isDemoSignInAllowed(config)) {
          if (config.has('auth.providers.demo')) {
            logger.warn(
              'auth.providers.demo is configured but the demo sign-in is not registered: it needs ' +
                'frontierGuard.signIn: demo and auth.environment: development (and NODE_ENV other than production)',
            );
          }
          return;
        }
        logger.warn('Demo sign-in is registered (/api/auth/demo): never expose this backend outside a demo');
        providers.registerProvider({
          providerId: 'demo',
          factory: createProxyAuthProviderFactory({
            authenticator: demoAuthenticator,
            signInResolver: createDemoSignInResolver(auditor),
          }),
        });
      },
    });
  },
});
