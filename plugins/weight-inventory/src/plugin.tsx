import { lazy, Suspense } from 'react';
import {
  ApiBlueprint,
  coreExtensionData,
  createExtension,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import StorageIcon from '@material-ui/icons/Storage';
import { WeightInventoryClient } from '@internal/plugin-weight-inventory-common';
import { AccessRequestsClient } from '@internal/plugin-access-requests-common';
import { ModelScanClient } from '@internal/plugin-model-scan-common';
import { PolicyExceptionsClient } from '@internal/plugin-policy-exceptions-common';
import { weightInventoryApiRef, weightInventoryLinkedApiRef } from './api';
import { rootRouteRef } from './routes';
import { isInventoryEntity } from './components/format';

/** api:weight-inventory */
export const weightInventoryApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: weightInventoryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new WeightInventoryClient({ discoveryApi, fetchApi }),
    }),
});

/** api:weight-inventory/linked — the access-requests and model-scan clients the entity tabs read. */
export const weightInventoryLinkedApi = ApiBlueprint.make({
  name: 'linked',
  params: defineParams =>
    defineParams({
      api: weightInventoryLinkedApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => ({
        accessRequests: new AccessRequestsClient({ discoveryApi, fetchApi }),
        modelScan: new ModelScanClient({ discoveryApi, fetchApi }),
        policyExceptions: new PolicyExceptionsClient({ discoveryApi, fetchApi }),
      }),
    }),
});

/** page:weight-inventory — the inventory; also the nav item. */
export const weightInventoryPage = PageBlueprint.make({
  params: {
    path: '/weight-inventory',
    title: 'Inventory',
    icon: <StorageIcon />,
    routeRef: rootRouteRef,
    noHeader: true,
    loader: () => import('./components/InventoryPage').then(m => <m.InventoryPage />),
  },
});

export const entityPostureContent = EntityContentBlueprint.make({
  name: 'posture',
  params: {
    path: '/posture',
    title: 'Posture',
    filter: isInventoryEntity,
    loader: () => import('./components/EntityTabs').then(m => <m.EntityPostureContent />),
  },
});

/** "Grants" (the access tab of issue 8; the access-requests family owns the /access tab with the policy). */
export const entityAccessContent = EntityContentBlueprint.make({
  name: 'grants',
  params: {
    path: '/grants',
    title: 'Grants',
    filter: isInventoryEntity,
    loader: () => import('./components/EntityTabs').then(m => <m.EntityAccessContent />),
  },
});

export const entityWeightsContent = EntityContentBlueprint.make({
  name: 'weights',
  params: {
    path: '/weights',
    title: 'Weights',
    filter: isInventoryEntity,
    loader: () => import('./components/EntityTabs').then(m => <m.EntityWeightsContent />),
  },
});

/** home-card:weight-inventory/posture-summary */
export const postureSummaryHomeCard = createExtension({
  kind: 'home-card',
  name: 'posture-summary',
  attachTo: { id: 'page:app/home', input: 'cards' },
  output: [coreExtensionData.reactElement],
  factory: () => {
    const Card = lazy(() => import('./home/PostureSummaryCard').then(m => ({ default: m.PostureSummaryCard })));
    return [coreExtensionData.reactElement(<Suspense fallback={null}><Card /></Suspense>)];
  },
});

export const weightInventoryPlugin = createFrontendPlugin({
  pluginId: 'weight-inventory',
  title: 'Weight inventory',
  icon: <StorageIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef },
  extensions: [weightInventoryApi, weightInventoryLinkedApi, weightInventoryPage, entityPostureContent, entityAccessContent, entityWeightsContent, postureSummaryHomeCard],
});
