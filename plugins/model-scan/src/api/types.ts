/**
 * The JSON shapes of /api/model-scan come from @internal/plugin-model-scan-common.
 * `ScannedFile` is the per-file result the scan page shows.
 */
export type {
  Acceptance,
  CreateAcceptanceResponse,
  Finding,
  FindingLocation,
  GateDecision,
  Scan,
  ScanList,
  ScanProgress,
  ScanStatus,
  ScanTrigger,
  Severity,
  Stats as ScanStats,
  Verdict,
  ScanFileResult as ScannedFile,
} from '@internal/plugin-model-scan-common';

export interface ListScansQuery {
  limit?: number;
  offset?: number;
  verdict?: import('@internal/plugin-model-scan-common').Verdict;
  entityRef?: string;
  target?: string;
}
