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
import { PolicyExceptionsClient } from '@internal/plugin-policy-exceptions-common';
import { WeightInventoryClient } from '@internal/plugin-weight-inventory-common';
import GavelIcon from '@material-ui/icons/Gavel';
import { policyExceptionsApiRef, postureFindingsApiRef } from './api/apis';
import { exceptionRouteRef, newExceptionRouteRef, rootRouteRef } from './routes';
import { HomeExceptionsCard } from './components/HomeExceptionsCard';

export const policyExceptionsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: policyExceptionsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new PolicyExceptionsClient({ discoveryApi, fetchApi }),
    }),
});

export const postureFindingsApi = ApiBlueprint.make({
  name: 'posture-findings',
  params: defineParams =>
    defineParams({
      api: postureFindingsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new WeightInventoryClient({ discoveryApi, fetchApi }),
    }),
});

/** page:policy-exceptions — /policy-exceptions and below; the nav item "Exceptions". */
export const policyExceptionsPage = PageBlueprint.make({
  params: {
    path: '/policy-exceptions',
    title: 'Exceptions',
    icon: <GavelIcon />,
    routeRef: rootRouteRef,
    noHeader: true,
    loader: () => import('./components/ExceptionsRoutes').then(m => <m.ExceptionsRoutes />),
  },
});

/** entity-content:policy-exceptions/exceptions — the "Exceptions" tab of resources and components. */
export const entityExceptionsContent = EntityContentBlueprint.make({
  name: 'exceptions',
  params: {
    path: '/exceptions',
    title: 'Exceptions',
    filter: 'kind:resource,component',
    loader: () => import('./components/EntityExceptionsContent').then(m => <m.EntityExceptionsContent />),
  },
});

/** home-card:policy-exceptions/exceptions — "what needs me?" on the home page (page:app/home, input cards). */
export const homeExceptionsCard = createExtension({
  kind: 'home-card',
  name: 'exceptions',
  attachTo: { id: 'page:app/home', input: 'cards' },
  output: [coreExtensionData.reactElement],
  factory: () => [
    coreExtensionData.reactElement(<HomeExceptionsCard />),
  ],
});

export const policyExceptionsPlugin = createFrontendPlugin({
  pluginId: 'policy-exceptions',
  title: 'Policy exceptions',
  icon: <GavelIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef, exception: exceptionRouteRef, newException: newExceptionRouteRef },
  extensions: [policyExceptionsApi, postureFindingsApi, policyExceptionsPage, entityExceptionsContent, homeExceptionsCard],
});
