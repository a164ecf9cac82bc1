import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import VpnKeyIcon from '@material-ui/icons/VpnKey';
import {
  accessRequestsApiRef,
  createAccessRequestsApi,
} from './api/AccessRequestsApi';
import { isRequestableResource } from './components/entityFilter';
import {
  inboxRouteRef,
  myAccessRouteRef,
  requestRouteRef,
  rootRouteRef,
} from './routes';

/** api:access-requests */
export const accessRequestsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: accessRequestsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        createAccessRequestsApi({ discoveryApi, fetchApi }),
    }),
});

/** page:access-requests — /access, /access/requests[/:id], /access/inbox; also the nav item. */
export const accessRequestsPage = PageBlueprint.make({
  params: {
    path: '/access',
    title: 'Access requests',
    icon: <VpnKeyIcon />,
    routeRef: rootRouteRef,
    noHeader: true,
    loader: () => import('./components/AccessRoutes').then(m => <m.AccessRoutes />),
  },
});

/** entity-content:access-requests/access — the "Access" tab. */
export const entityAccessContent = EntityContentBlueprint.make({
  name: 'access',
  params: {
    path: '/access',
    title: 'Access',
    filter: isRequestableResource,
    loader: () =>
      import('./components/EntityAccessContent').then(m => <m.EntityAccessContent />),
  },
});

export const accessRequestsPlugin = createFrontendPlugin({
  pluginId: 'access-requests',
  title: 'Access requests',
  icon: <VpnKeyIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: {
    root: rootRouteRef,
    myAccess: myAccessRouteRef,
    request: requestRouteRef,
    inbox: inboxRouteRef,
  },
  extensions: [accessRequestsApi, accessRequestsPage, entityAccessContent],
});
