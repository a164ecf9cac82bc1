export { createTriggersRouter, registerTriggerAuthPolicies } from './router';
export type { TriggersRouterOptions } from './router';
export {
  scheduleRescans,
  runRescans,
  MODEL_SOURCE_ANNOTATION,
  RESCAN_TASK_ID,
} from './rescans';
export {
  InMemoryReplayStore,
  CacheReplayStore,
  DatabaseReplayStore,
} from './replayStore';
export type { WebhookReplayStore, WebhookDeliveryTable } from './replayStore';
export { VERDICT_TAG, SCAN_ID_TAG, SCANNED_AT_TAG } from './writeBack';
export type { ScanServiceLike } from './types';
