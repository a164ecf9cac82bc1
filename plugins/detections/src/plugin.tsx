import {
  ApiBlueprint,
  PageBlueprint,
  coreExtensionData,
  createExtension,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { DetectionsClient } from '@internal/plugin-detections-common';
import SecurityIcon from '@material-ui/icons/Security';
import { detectionsApiRef } from './api';
import { alertRouteRef, eventRouteRef, rootRouteRef } from './routes';
import { HomeAlertsCard } from './components/HomeAlertsCard';
import { isDetectionsEntity } from './components/entityFilter';

/** api:detections — the typed client of /api/detections, called with the user's token. */
export const detectionsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: detectionsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new DetectionsClient({ discoveryApi, fetchApi }),
    }),
});

/** page:detections — /detections (dashboard and alert queue), alert and event pages; the nav item "Detections". */
export const detectionsPage = PageBlueprint.make({
  params: {
    path: '/detections',
    title: 'Detections',
    icon: <SecurityIcon />,
    routeRef: rootRouteRef,
    noHeader: true,
    loader: () => import('./components/DetectionsRoutes').then(m => <m.DetectionsRoutes />),
  },
});

/** entity-content:detections/detections — the "Detections" tab of users, weight stores, clusters and namespaces. */
export const entityDetectionsContent = EntityContentBlueprint.make({
  name: 'detections',
  params: {
    path: '/detections',
    title: 'Detections',
    filter: isDetectionsEntity,
    loader: () => import('./components/EntityDetectionsContent').then(m => <m.EntityDetectionsContent />),
  },
});

/** home-card:detections/open-alerts — open alerts by severity for security reviewers (page:app/home, input cards). */
export const homeAlertsCard = createExtension({
  kind: 'home-card',
  name: 'open-alerts',
  attachTo: { id: 'page:app/home', input: 'cards' },
  output: [coreExtensionData.reactElement],
  factory: () => [coreExtensionData.reactElement(<HomeAlertsCard />)],
});

export const detectionsPlugin = createFrontendPlugin({
  pluginId: 'detections',
  title: 'Detections',
  icon: <SecurityIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef, alert: alertRouteRef, event: eventRouteRef },
  extensions: [detectionsApi, detectionsPage, entityDetectionsContent, homeAlertsCard],
});
