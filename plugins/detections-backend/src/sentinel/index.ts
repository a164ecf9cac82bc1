export { SentinelAlertReader, workspaceRules } from './SentinelAlertReader';
export type { SentinelAlertReaderOptions, WorkspaceReadResult, WorkspaceRule } from './SentinelAlertReader';
