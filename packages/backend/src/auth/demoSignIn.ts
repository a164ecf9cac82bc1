import { createBackendModule } from '@backstage/backend-plugin-api';
import { AuthenticationError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';

/** Header the demo sign-in page sends with the chosen demo user. */
export const DEMO_USER_HEADER = 'x-frontier-guard-demo-user';

/**
 * Demo sign-in: lets a browser sign in as one of the demo users listed in
 * `auth.providers.demo.users` (catalog User names), so that workflows needing two
 * people (a requester and two reviewers) can be tried in one browser. It exists only
 * where that config exists: app-config.yaml (the embedded demo), never production.
 */
export const demoAuthenticator = createProxyAuthenticator({
  defaultProfileTransform: async (result: { userName: string }) => ({
    profile: { displayName: result.userName },
  }),
  initialize({ config }) {
    return { users: new Set(config.getStringArray('users')) };
  },
  async authenticate({ req }, { users }) {
    const userName = req.header(DEMO_USER_HEADER);
    if (!userName) {
      throw new AuthenticationError(`Demo sign-in needs the ${DEMO_USER_HEADER} header`);
    }
    if (!users.has(userName)) {
      throw new AuthenticationError(`"${userName}" is not a demo user`);
    }
    return { result: { userName } };
  },
});

export const authModuleDemoProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'demo-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'demo',
          factory: createProxyAuthProviderFactory({
            authenticator: demoAuthenticator,
            async signInResolver({ result }, ctx) {
              return ctx.signInWithCatalogUser({
                entityRef: { kind: 'User', namespace: 'default', name: result.userName },
              });
            },
          }),
        });
      },
    });
  },
});
