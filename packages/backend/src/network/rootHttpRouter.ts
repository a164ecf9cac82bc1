import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { createIpAccessListMiddleware } from './ipAccessListMiddleware';
import { ipAccessListRefusals } from './RefusedRequests';

/**
 * The default root HTTP router with the IP access list in front of every route
 * (plugins, health checks and the frontend bundle alike). Refusals are counted and audited by
 * the `network` plugin (./refusalAuditPlugin).
 */
export const frontierGuardRootHttpRouter = rootHttpRouterServiceFactory({
  configure({ app, config, logger, applyDefaults }) {
    const ipAccessList = createIpAccessListMiddleware({ config, logger, refusals: ipAccessListRefusals });
    if (ipAccessList) app.use(ipAccessList);
    applyDefaults();
  },
});
