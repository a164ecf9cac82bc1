import {
  createRouteRef,
  createSubRouteRef,
} from '@backstage/frontend-plugin-api';
import { ACCESS_APP_SUB_PATHS } from '@internal/plugin-access-requests-common';

// The sub-paths come from -common, where the backend reads them to build notification links.

/** /access: find a resource and request access. */
export const rootRouteRef = createRouteRef();

/** /access/requests: my requests and my grants. */
export const myAccessRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: ACCESS_APP_SUB_PATHS.myAccess,
});

/** /access/requests/:id: one request. */
export const requestRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: ACCESS_APP_SUB_PATHS.request,
});

/** /access/grants/:id: one grant. */
export const grantRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: ACCESS_APP_SUB_PATHS.grant,
});

/** /access/inbox: the reviewer inbox. */
export const inboxRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: ACCESS_APP_SUB_PATHS.inbox,
});

/** /access/active: all active access (reviewers). */
export const activeRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: ACCESS_APP_SUB_PATHS.active,
});
