import {
  createRouteRef,
  createSubRouteRef,
} from '@backstage/frontend-plugin-api';

/** /access: find a resource and request access. */
export const rootRouteRef = createRouteRef();

/** /access/requests: my requests and my grants. */
export const myAccessRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/requests',
});

/** /access/requests/:id: one request. */
export const requestRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/requests/:id',
});

/** /access/inbox: the reviewer inbox. */
export const inboxRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/inbox',
});
