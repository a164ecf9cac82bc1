import type { RequestHandler } from 'express';
import type { LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import { IpAccessList } from './IpAccessList';

/**
 * Reads `frontierGuard.ipAccessList` and returns a middleware that refuses (403) every request
 * whose client address is outside the allowed networks, or undefined when no list is configured.
 * The client address is Express' `req.ip`, which honours `backend.trustProxy` for X-Forwarded-For.
 */
export function createIpAccessListMiddleware(options: {
  config: RootConfigService;
  logger: LoggerService;
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
  options.logger.info(`IP access list enforced for every route: ${networks.join(', ')}`);
  return (req, res, next) => {
    const client = req.ip ?? req.socket.remoteAddress;
    if (list.allows(client)) {
      next();
      return;
    }
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
