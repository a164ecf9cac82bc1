import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { ACCESS_APP_SUB_PATHS, AccessAppPage, defaultAccessAppRoutes } from '@internal/plugin-access-requests-common';

/**
 * The app's route paths of the access pages from `accessRequests.appRoutes` (notification
 * links): the portal's defaults under `mountPath`, each overridable. A path must start with
 * `/`, and the request and grant paths must hold `:id`.
 */
export function appRoutesFromConfig(cfg: Config | undefined): Record<AccessAppPage, string> {
  const routes = defaultAccessAppRoutes(cfg?.getOptionalString('appRoutes.mountPath'));
  for (const page of Object.keys(ACCESS_APP_SUB_PATHS) as AccessAppPage[]) {
    const path = cfg?.getOptionalString(`appRoutes.${page}`);
    if (path !== undefined) routes[page] = path;
  }
  for (const [page, path] of Object.entries(routes)) {
    if (!path.startsWith('/')) throw new InputError(`accessRequests.appRoutes.${page}: must start with /`);
  }
  for (const page of ['request', 'grant'] as const) {
    if (!routes[page].includes(':id')) throw new InputError(`accessRequests.appRoutes.${page}: must contain :id`);
  }
  return routes;
}
