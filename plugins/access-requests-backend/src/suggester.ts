import { LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import { createRoleSuggester } from './suggestion';
import { RoleSuggesterLike } from './service/AccessRequestsService';

/**
 * The role suggester from ./suggestion (LLM ranking within the policy's candidate roles,
 * checked deterministically; deterministic ranker when no model is configured).
 */
export async function loadRoleSuggester(options: {
  config: RootConfigService;
  logger: LoggerService;
}): Promise<RoleSuggesterLike | undefined> {
  return createRoleSuggester({ config: options.config, logger: options.logger });
}
