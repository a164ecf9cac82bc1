import type { RequestHandler } from 'express';
import type { LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import { IpAccessList } from './IpAccessList';
import { RefusedRequests } from './RefusedRequests';

/** Where the backend's own plugin-to-plugin calls come from. */
const LOOPBACK_ADDRESSES = ['127.0.0.1', '::1'];

/**
 * With an IP access list, `backend.trustProxy` must name the proxies (addresses, CIDR blocks or
 * Express' named ranges such as `loopback`), whose X-Forwarded-For is then believed and nobody
 * else's. `true` believes every client's header, and a hop count believes the header of any
 * client that reaches the backend directly (not through the proxy): either lets a client choose
 * the address the list checks, so the backend refuses to start with them.
 */
export function assertTrustProxyNamesProxies(trustProxy: unknown): void {
  if (trustProxy === undefined || trustProxy === false) return;
  const hops = typeof trustProxy === 'number' || (typeof trustProxy === 'string' && /^\s*\d+\s*$/.test(trustProxy));
  if (trustProxy === true || trustProxy === 'true' || hops) {
    throw new Error(
      `backend.trustProxy is ${JSON.stringify(trustProxy)}: with frontierGuard.ipAccessList a client that reaches the backend ` +
        'directly could forge X-Forwarded-For and pass the list. Set backend.trustProxy to the addresses or CIDR blocks of ' +
        'your proxies / ingress controllers (e.g. "10.0.0.0/8" or "loopback"), or leave it unset.',
    );
  }
}

/**
 * Reads `frontierGuard.ipAccessList` and returns a middleware that refuses (403) every request
 * whose client address is outside the allowed networks, or undefined when no list is configured.
 * The client address is Express' `req.ip`, which honours `backend.trustProxy` for X-Forwarded-For.
 * Every refusal is counted in `refusals`, which the `network` plugin turns into audit events.
 */
export function createIpAccessListMiddleware(options: {
  config: RootConfigService;
  logger: LoggerService;
  refusals?: RefusedRequests;
}): RequestHandler | undefined {
  const listConfig = options.config.getOptionalConfig('frontierGuard.ipAccessList');
  if (!listConfig || listConfig.getOptionalBoolean('enabled') === false) return undefined;
  const networks = listConfig.getOptionalStringArray('allowedNetworks') ?? [];
  if (networks.length === 0) return undefined;
  let list: IpAccessList;
  try {
    list = new IpAccessList(networks);
  } catch (e) {
    throw new Error(`frontierGuard.ipAccessList.allowedNetworks: ${(e as Error).message}`);
  }
  assertTrustProxyNamesProxies(options.config.getOptional('backend.trustProxy'));
  options.logger.info(`IP access list enforced for every route: ${networks.join(', ')}`);
  const loopbackRefused = LOOPBACK_ADDRESSES.filter(address => !list.allows(address));
  if (loopbackRefused.length > 0) {
    // Plugins call each other through this same server from the loopback address, so a list
    // without it refuses the backend's own calls. It is not added silently: behind a same-host
    // proxy or service-mesh sidecar (Istio's Envoy connects from 127.0.0.6) every outside client
    // would look like loopback and pass.
    options.logger.warn(
      `IP access list does not allow ${loopbackRefused.join(' and ')}: the backend's own plugin-to-plugin calls will be refused. ` +
        `Add 127.0.0.1/32 and ::1/128 to frontierGuard.ipAccessList.allowedNetworks unless a same-host proxy or sidecar forwards outside clients; ` +
        `behind one, set backend.trustProxy so the list sees the forwarded client address.`,
    );
  }
  return (req, res, next) => {
    const client = req.ip ?? req.socket.remoteAddress;
    if (list.allows(client)) {
      next();
      return;
    }
    options.refusals?.record(client ?? 'unknown', req.method, req.originalUrl);
    options.logger.warn(`Refused request from ${client} outside the IP access list`, {
      method: req.method,
      path: req.originalUrl,
    });
    res.status(403).json({
      error: {
        name: 'NotAllowedError',
        message: 'Your network is not on the portal\'s IP access list',
      },
      request: { method: req.method, url: req.originalUrl },
      response: { statusCode: 403 },
    });
  };
}
