export * from './types';
export {
  scanFile,
  scanBuffer,
  scanFiles,
  scanDirectory,
  listFiles,
  DEFAULT_LIMITS,
  verdictOf,
  sha256File,
} from './engine';
export type {
  ScanOptions,
  ClamdOptions,
  ScanFilesOptions,
  ScanFilesEntry,
} from './engine';
export { SCANNER_NAME, SCANNER_VERSION, RULESET_VERSION } from './version';
export { toSarif, toJsonReport, toTable, explainRule } from './report';
export { toCycloneDx } from './report/cyclonedx';
export type { MlBomOptions, MlBomSubject } from './report/cyclonedx';
export { atlasTechniques, rules } from './rules';
export { classifyGlobal } from './pickle/policy';
export { clamdScanFile } from './clamd';
