import { LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import { RoleSuggesterLike } from './service/AccessRequestsService';

/**
 * Creates the role suggester from ./suggestion (written by the provisioners/suggestion
 * engineer). Returns undefined while that module does not exist.
 */
export async function loadRoleSuggester(_options: {
  config: RootConfigService;
  logger: LoggerService;
}): Promise<RoleSuggesterLike | undefined> {
  return undefined;
}
