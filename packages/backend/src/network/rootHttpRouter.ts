import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { createIpAccessListMiddleware } from './ipAccessListMiddleware';
import { ipAccessListRefusals } from './RefusedRequests';
import { stripErrorStacks } from './stripErrorStacks';

/**
 * The default root HTTP router with the IP access list in front of every route
 * (plugins, health checks and the frontend bundle alike). Refusals are counted and audited by
 * the `network` plugin (./refusalAuditPlugin). Error responses carry no stack traces
 * (./stripErrorStacks).
 */
export const frontierGuardRootHttpRouter = rootHttpRouterServiceFactory({
  configure({ app, config, logger, applyDefaults }) {
    const ipAccessList = createIpAccessListMiddleware({ config, logger, refusals: ipAccessListRefusals });
    if (ipAccessList) app.use(ipAccessList);
    // No stack traces in any response, in any mode (Express' own last-resort handler included).
    app.set('env', 'production');
    app.use(stripErrorStacks());
    applyDefaults();
  },
});
