/* The permissions the portal checks to decide what to show (the backend enforces them). */
export {
  modelScanRescanPermission,
  modelScanVerdictAcceptPermission,
} from '@internal/plugin-model-scan-common';
