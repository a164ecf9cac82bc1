import {
  createRouteRef,
  createSubRouteRef,
} from '@backstage/frontend-plugin-api';
import { MODEL_SCAN_APP_SUB_PATHS } from '@internal/plugin-model-scan-common';

/** The model-scan dashboard, mounted at /model-scan by default. */
export const rootRouteRef = createRouteRef();

/** One scan: /model-scan/scans/:id (the backend's notification links use the same sub-path). */
export const scanRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: MODEL_SCAN_APP_SUB_PATHS.scan,
});

/** The "scan a model" form: /model-scan/new */
export const newScanRouteRef = createSubRouteRef({
  parent: rootRouteRef,
  path: MODEL_SCAN_APP_SUB_PATHS.newScan,
});
