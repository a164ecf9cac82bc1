import {
  AuditorService,
  coreServices,
  createBackendModule,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  authProvidersExtensionPoint,
  BackstageSignInResult,
  createOAuthProviderFactory,
  OAuthAuthenticatorResult,
  PassportProfile,
  SignInResolver,
} from '@backstage/plugin-auth-node';
import { microsoftAuthenticator } from '@backstage/plugin-auth-backend-module-microsoft-provider';
import {
  ClientSecretCredential,
  DefaultAzureCredential,
  TokenCredential,
} from '@azure/identity';
import { GraphRiskClient } from './GraphRiskClient';
import { decideSignInRisk, SignInRiskPolicy } from './signInRisk';

type MicrosoftResult = OAuthAuthenticatorResult<PassportProfile>;

export interface SignInRiskCheck {
  client: Pick<GraphRiskClient, 'getRiskyUser'>;
  policy: SignInRiskPolicy;
}

/** Reads `frontierGuard.signInRisk`; undefined when risk-based verification is off. */
export function readSignInRiskCheck(
  config: RootConfigService,
  credentialOverride?: TokenCredential,
): SignInRiskCheck | undefined {
  const c = config.getOptionalConfig('frontierGuard.signInRisk');
  if (!c || !c.getOptionalBoolean('enabled')) return undefined;
  const tenantId = c.getOptionalString('tenantId');
  const clientId = c.getOptionalString('clientId');
  const clientSecret = c.getOptionalString('clientSecret');
  const credential =
    credentialOverride ??
    (tenantId && clientId && clientSecret
      ? new ClientSecretCredential(tenantId, clientId, clientSecret)
      : new DefaultAzureCredential());
  const refuseAt = c.getOptionalString('refuseAt') ?? 'high';
  if (refuseAt !== 'high' && refuseAt !== 'medium') {
    throw new Error(
      `frontierGuard.signInRisk.refuseAt must be "high" or "medium", got "${refuseAt}"`,
    );
  }
  return {
    client: new GraphRiskClient({
      credential,
      baseUrl:
        c.getOptionalString('graphBaseUrl') ?? 'https://graph.microsoft.com',
      timeoutMs: c.getOptionalNumber('timeoutMs'),
    }),
    policy: {
      refuseAt,
      failClosed: c.getOptionalBoolean('failClosed') ?? true,
    },
  };
}

/**
 * Signs a Microsoft (Entra ID) user in against their catalog User entity (by the Entra object id
 * annotation, falling back to the e-mail), after the risk check refuses risky sessions.
 */
export function createRiskAwareSignInResolver(options: {
  risk?: SignInRiskCheck;
  auditor: AuditorService;
  logger: LoggerService;
}): SignInResolver<MicrosoftResult> {
  return async (info, ctx) => {
    const userId = info.result.fullProfile?.id;
    const email = info.profile.email;
    // One audit event per sign-in attempt, whether or not the risk check is on.
    const event = await options.auditor.createEvent({
      eventId: 'microsoft-sign-in',
      severityLevel: 'medium',
      meta: { userId, email, riskCheck: options.risk ? 'on' : 'off' },
    });
    const refuse = async (
      reason: string,
      meta: Record<string, unknown> = {},
    ) => {
      const error = new NotAllowedError(`Sign-in refused: ${reason}`);
      await event.fail({
        error,
        meta: { decision: 'refused', reason, ...meta },
      });
      return error;
    };

    let risk: { decision: string; reason: string } | undefined;
    if (options.risk) {
      let state:
        | Awaited<ReturnType<GraphRiskClient['getRiskyUser']>>
        | 'unavailable';
      try {
        state = userId
          ? await options.risk.client.getRiskyUser(userId)
          : 'unavailable';
      } catch (e) {
        options.logger.warn(`Sign-in risk lookup failed: ${e}`);
        state = 'unavailable';
      }
      const decision = decideSignInRisk(state, options.risk.policy);
      if (!decision.allowed)
        throw await refuse(decision.reason, { stage: 'risk' });
      risk = { decision: 'allowed', reason: decision.reason };
    }

    let result: BackstageSignInResult | undefined;
    if (userId) {
      try {
        result = await ctx.signInWithCatalogUser({
          annotations: { 'graph.microsoft.com/user-id': userId },
        });
      } catch {
        // fall through to the e-mail match
      }
    }
    if (!result) {
      if (!email) {
        throw await refuse(
          'Microsoft profile has no e-mail to match a catalog user',
          { stage: 'catalog' },
        );
      }
      try {
        result = await ctx.signInWithCatalogUser({
          filter: { 'spec.profile.email': email },
        });
      } catch (e) {
        await event.fail({
          error: e as Error,
          meta: { decision: 'refused', stage: 'catalog' },
        });
        throw e;
      }
    }
    await event.success({
      meta: { decision: 'allowed', ...(risk ? { risk } : {}) },
    });
    return result;
  };
}

/** The Microsoft (Entra ID) provider with risk-based verification at sign-in. */
export const authModuleMicrosoftRiskAwareProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'microsoft-risk-aware-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
        auditor: coreServices.auditor,
        logger: coreServices.logger,
      },
      async init({ providers, config, auditor, logger }) {
        providers.registerProvider({
          providerId: 'microsoft',
          factory: createOAuthProviderFactory({
            authenticator: microsoftAuthenticator,
            signInResolver: createRiskAwareSignInResolver({
              risk: readSignInRiskCheck(config),
              auditor,
              logger,
            }),
          }),
        });
      },
    });
  },
});
