import {
  createRouteRef,
  createSubRouteRef,
} from '@backstage/frontend-plugin-api';

/** The model-scan dashboard, mounted at /model-scan by default. */
export const rootRouteRef = createRouteRef();

/** One scan: /model-scan/scans/:id */
export const scanRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/scans/:id',
});

/** The "scan a model" form: /model-scan/new */
export const newScanRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: '/new',
});
