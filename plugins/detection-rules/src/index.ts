/** @internal/detection-rules: source recognition, normalization, Sigma and stateful rules, alert grouping, KQL. */
export * from './types';
export { normalizeRecord, expandRecords, RecordError, isK8sPerson, parseFirewallMsg } from './sources';
export { parseLine, readFileEvents, readFileEventBatches, mergeByTime, mergeBatchesByTime, reorder, reorderBatches, newStats } from './reader';
export type { ReadStats, LineError } from './reader';
export { DEFAULT_CONFIG, resolveConfig, loadConfigFile, ConfigError, globMatch } from './config';
export type { DetectionConfig, WeightStoreConfig } from './config';
export { DetectionEngine, groupAlerts, alertKey, builtInRules, loadSigmaRules } from './engine';
export type { RuleInfo, EngineOptions } from './engine';
export { GrantIndex, parseGrantExport } from './grants';
export { loadSigmaText, loadSigmaDir, parseSigmaRule, compileSigmaRule, shippedRulesDir } from './sigma/load';
export { compileSigmaToKql } from './sigma/kql';
export { SigmaError } from './sigma/ast';
export { replayFiles } from './replay';
export type { StatefulRule } from './rules/types';
