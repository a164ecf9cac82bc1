export { SentinelAlertReader, workspaceRules } from './SentinelAlertReader';
export type { SentinelAlertReaderOptions, WorkspaceDetection, WorkspaceRange, WorkspaceReadResult, WorkspaceRule } from './SentinelAlertReader';
export { canonical, isAggregated, rowKey } from './rowKey';
export { readSentinelSettings, SENTINEL_DEFAULTS } from './settings';
export type { SentinelSettings } from './settings';
