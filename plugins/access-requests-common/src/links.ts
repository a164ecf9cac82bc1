/**
 * Where the portal serves the access pages. The frontend route refs are built from these
 * sub-paths, and the backend builds notification links from the same values (overridable by
 * config `accessRequests.appRoutes`), so a link the backend sends out is a page the app serves.
 */
export const ACCESS_APP_MOUNT_PATH = '/access';

/** Sub-paths of the access pages, below the mount path (react-router syntax). */
export const ACCESS_APP_SUB_PATHS = {
  myAccess: '/requests',
  request: '/requests/:id',
  grant: '/grants/:id',
  inbox: '/inbox',
  active: '/active',
} as const;

export type AccessAppPage = keyof typeof ACCESS_APP_SUB_PATHS;

/** Full app paths of the access pages: mount path + sub-path. */
export function defaultAccessAppRoutes(mountPath: string = ACCESS_APP_MOUNT_PATH): Record<AccessAppPage, string> {
  const mount = mountPath.replace(/\/+$/, '');
  const out = {} as Record<AccessAppPage, string>;
  for (const [k, v] of Object.entries(ACCESS_APP_SUB_PATHS)) out[k as AccessAppPage] = `${mount}${v}`;
  return out;
}

/**
 * An absolute link to one access page: `appBaseUrl` + route path with `:id` filled in
 * (URL-encoded). A route without `:id` ignores `id`.
 */
export function accessAppLink(
  appBaseUrl: string | undefined,
  routes: Record<AccessAppPage, string>,
  page: AccessAppPage,
  id?: string,
): string {
  const base = (appBaseUrl ?? '').replace(/\/+$/, '');
  const path = routes[page].replace(':id', encodeURIComponent(id ?? ''));
  return `${base}${path.startsWith('/') ? '' : '/'}${path}`;
}
