/**
 * Frontend plugin of model scanning: dashboard, scan pages, "scan a model"
 * form and the "Model scans" entity tab (new frontend system).
 *
 * @packageDocumentation
 */
export { modelScanPlugin as default } from './plugin';
export { modelScanApiRef } from './api/ModelScanApi';
export type { ModelScanApi } from './api/ModelScanApi';
export { ModelScanClient } from './api/ModelScanClient';
export * from './api/types';
export { rootRouteRef, scanRouteRef, newScanRouteRef } from './routes';
