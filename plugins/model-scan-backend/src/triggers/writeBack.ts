import type { LoggerService } from '@backstage/backend-plugin-api';
import { MlflowRestClient, parseTarget } from '../sources';
import type { Clock, Scan } from './types';

export const VERDICT_TAG = 'frontier_guard.scan_verdict';
export const SCAN_ID_TAG = 'frontier_guard.scan_id';
export const SCANNED_AT_TAG = 'frontier_guard.scanned_at';

/**
 * Writes a finished scan's verdict back to the registry as model-version tags
 * (`frontier_guard.scan_verdict`, `frontier_guard.scan_id`, `frontier_guard.scanned_at`)
 * for `mlflow://` and `databricks://` targets. Failures are logged, never thrown: the scan
 * result in the portal stays the source of truth. Our own tag events are ignored by the
 * webhook handler, so this cannot loop.
 */
export function createVerdictWriteBack(opts: {
  clients: { mlflow?: MlflowRestClient; databricks?: MlflowRestClient };
  enabled: { mlflow: boolean; databricks: boolean };
  logger: LoggerService;
  clock: Clock;
}) {
  return async (scan: Scan): Promise<void> => {
    if (
      !scan.target.startsWith('mlflow://') &&
      !scan.target.startsWith('databricks://')
    )
      return;
    if (scan.status !== 'completed' && scan.status !== 'failed') return;
    try {
      const parsed = parseTarget(scan.target, []);
      if (parsed.kind !== 'mlflow' && parsed.kind !== 'databricks') return;
      const client = opts.clients[parsed.kind];
      if (!client || !opts.enabled[parsed.kind]) return;
      const verdict =
        scan.status === 'failed' ? 'error' : scan.verdict ?? 'error';
      const scannedAt = scan.completedAt ?? opts.clock.now().toISOString();
      for (const [key, value] of [
        [VERDICT_TAG, verdict],
        [SCAN_ID_TAG, scan.id],
        [SCANNED_AT_TAG, scannedAt],
      ] as const) {
        await client.setModelVersionTag(
          parsed.name,
          parsed.version,
          key,
          value,
        );
      }
      opts.logger.info(
        `Wrote verdict ${verdict} of scan ${scan.id} back to ${scan.target}`,
      );
    } catch (e) {
      opts.logger.warn(
        `Could not write the verdict of scan ${scan.id} back to ${scan.target}: ${e}`,
      );
    }
  };
}
