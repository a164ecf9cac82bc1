/**
 * The scan engine's surface (what `index.ts`, the CLI and the tests import). The work is split by
 * the domain's nouns:
 * - `scanFile.ts`: one file or buffer (hashing, ClamAV, the scan, the result)
 * - `scanFiles.ts`: several files of one model (raw tensor data named by a sibling)
 * - `fileScan.ts`: the state of one file's scan and the recursion into nested objects
 * - `dispatch.ts`: which scanner reads a byte source, decided by content (`sniff.ts`)
 * - `pickleScan.ts`: the pickle readings; `containers/`: archives and compressed streams
 * - `limits.ts`: resource limits; `verdict.ts`: findings, verdicts, unreadable targets
 */
export { DEFAULT_LIMITS } from './limits';
export { severityRank, verdictOf, unreadableResult } from './verdict';
export { looksLikeLzmaAlone, isStructurallySafetensors } from './sniff';
export { FileScan } from './fileScan';
export { sha256File } from './hash';
export { scanFile, scanBuffer } from './scanFile';
export type { ScanOptions, ClamdOptions } from './scanFile';
export { scanFiles, listFiles, scanDirectory } from './scanFiles';
export type { ScanFilesEntry, ScanFilesOptions } from './scanFiles';
