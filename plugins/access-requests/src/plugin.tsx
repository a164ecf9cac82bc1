import { lazy, Suspense } from 'react';
import {
  ApiBlueprint,
  coreExtensionData,
  createExtension,
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
  activeRouteRef,
  grantRouteRef,
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
    title: 'Access',
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

/**
 * Home cards ("what needs me?"), attached to the app's home page input `cards`.
 * Each renders nothing when it has nothing for the signed-in person.
 */
function homeCard(name: string, load: () => Promise<JSX.Element>) {
  return createExtension({
    kind: 'home-card',
    name,
    attachTo: { id: 'page:app/home', input: 'cards' },
    output: [coreExtensionData.reactElement],
    factory: () => {
      const Lazy = lazy(() => load().then(element => ({ default: () => element })));
      return [
        coreExtensionData.reactElement(
          <Suspense fallback={null}>
            <Lazy />
          </Suspense>,
        ),
      ];
    },
  });
}

export const pendingApprovalsHomeCard = homeCard('pending-approvals', () =>
  import('./home/AccessHomeCards').then(m => <m.PendingApprovalsCard />),
);
export const myAccessHomeCard = homeCard('my-access', () =>
  import('./home/AccessHomeCards').then(m => <m.MyActiveAccessCard />),
);
export const myRequestsHomeCard = homeCard('my-requests', () =>
  import('./home/AccessHomeCards').then(m => <m.MyOpenRequestsCard />),
);
export const breakGlassHomeCard = homeCard('break-glass-reviews', () =>
  import('./home/AccessHomeCards').then(m => <m.BreakGlassReviewsCard />),
);

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
    grant: grantRouteRef,
    active: activeRouteRef,
  },
  extensions: [
    accessRequestsApi,
    accessRequestsPage,
    entityAccessContent,
    pendingApprovalsHomeCard,
    myAccessHomeCard,
    myRequestsHomeCard,
    breakGlassHomeCard,
  ],
});
