import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { createIpAccessListMiddleware } from './ipAccessListMiddleware';
import { ipAccessListRefusals } from './RefusedRequests';
import { countUnauthenticatedRefusals } from './unauthenticatedRefusals';
import { stripErrorStacks } from './stripErrorStacks';
import { extendKeepAlive } from './keepAlive';

/**
 * The default root HTTP router with the IP access list in front of every route
 * (plugins, health checks and the frontend bundle alike). Refusals (403 by the list, and every
 * 401) are counted and audited by the `network` plugin (./refusalAuditPlugin). Error responses carry no stack traces
 * (./stripErrorStacks). Idle keep-alive sockets are closed by the server only a minute after the
 * timeout it advertises, so the backend's calls to itself do not fail with ECONNRESET under load
 * (./keepAlive).
 */
export const frontierGuardRootHttpRouter = rootHttpRouterServiceFactory({
  configure({ app, server, config, logger, applyDefaults }) {
    extendKeepAlive(server);
    // every 401 (missing, forged, expired token) is counted for the audit trail (network plugin)
    app.use(countUnauthenticatedRefusals());
    const ipAccessList = createIpAccessListMiddleware({ config, logger, refusals: ipAccessListRefusals });
    if (ipAccessList) app.use(ipAccessList);
    // No stack traces in any response, in any mode (Express' own last-resort handler included).
    app.set('env', 'production');
    app.use(stripErrorStacks());
    applyDefaults();
  },
});
