import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { createIpAccessListMiddleware } from './ipAccessListMiddleware';

/**
 * The default root HTTP router with the IP access list in front of every route
 * (plugins, health checks and the frontend bundle alike).
 */
export const frontierGuardRootHttpRouter = rootHttpRouterServiceFactory({
  configure({ app, config, logger, applyDefaults }) {
    const ipAccessList = createIpAccessListMiddleware({ config, logger });
    if (ipAccessList) app.use(ipAccessList);
    applyDefaults();
  },
});
