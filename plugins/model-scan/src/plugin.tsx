import { lazy, Suspense } from 'react';
import {
  ApiBlueprint,
  coreExtensionData,
  createExtension,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import SecurityIcon from '@material-ui/icons/Security';
import { modelScanApiRef } from './api/ModelScanApi';
import { ModelScanClient } from './api/ModelScanClient';
import { hasModelScansTab } from './components/entityFilter';
import { newScanRouteRef, rootRouteRef, scanRouteRef } from './routes';
import { MODEL_SCAN_APP_MOUNT_PATH } from '@internal/plugin-model-scan-common';

/** api:model-scan */
export const modelScanApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: modelScanApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        fetchApi: fetchApiRef,
        identityApi: identityApiRef,
      },
      factory: ({ discoveryApi, fetchApi, identityApi }) =>
        new ModelScanClient({ discoveryApi, fetchApi, identityApi }),
    }),
});

/** page:model-scan — dashboard, /new and /scans/:id; also the nav item. */
export const modelScanPage = PageBlueprint.make({
  params: {
    path: MODEL_SCAN_APP_MOUNT_PATH,
    title: 'Scans',
    icon: <SecurityIcon />,
    routeRef: rootRouteRef,
    noHeader: true,
    loader: () =>
      import('./components/ModelScanRoutes').then(m => <m.ModelScanRoutes />),
  },
});

/** entity-content:model-scan/model-scans — the "Model scans" tab. */
export const entityModelScansContent = EntityContentBlueprint.make({
  name: 'model-scans',
  params: {
    path: '/model-scans',
    title: 'Model scans',
    filter: hasModelScansTab,
    loader: () =>
      import('./components/EntityModelScansContent').then(m => (
        <m.EntityModelScansContent />
      )),
  },
});

/** home-card:model-scan/risky-scans — recent malicious/suspicious scans on the home page. */
export const riskyScansHomeCard = createExtension({
  kind: 'home-card',
  name: 'risky-scans',
  attachTo: { id: 'page:app/home', input: 'cards' },
  output: [coreExtensionData.reactElement],
  factory: () => {
    const Card = lazy(() => import('./home/RiskyScansCard').then(m => ({ default: m.RiskyScansCard })));
    return [
      coreExtensionData.reactElement(
        <Suspense fallback={null}>
          <Card />
        </Suspense>,
      ),
    ];
  },
});

export const modelScanPlugin = createFrontendPlugin({
  pluginId: 'model-scan',
  title: 'Model scanning',
  icon: <SecurityIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: {
    root: rootRouteRef,
    scan: scanRouteRef,
    newScan: newScanRouteRef,
  },
  extensions: [modelScanApi, modelScanPage, entityModelScansContent, riskyScansHomeCard],
});
