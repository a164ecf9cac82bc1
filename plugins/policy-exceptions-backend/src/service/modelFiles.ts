import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, ResponseError, ServiceUnavailableError } from '@backstage/errors';
import {
  ExceptionScope,
  MODEL_FILES_ENTITY_REF,
  MODEL_SCAN_CONTROL_ID,
  sha256OfFindingKey,
} from '@internal/plugin-policy-exceptions-common';

/** The current scanner's verdict of one exact file (`undefined`: never scanned by the current scanner). */
export interface VerdictSource {
  verdictOf(sha256: string): Promise<string | undefined>;
}

/**
 * The model-scan acceptance rules, kept for exceptions to FG-MODEL-SCAN: one exact file hash per
 * exception, and only a suspicious verdict (never malicious; safe or unscanned: nothing to except).
 * Checked when an exception is requested or revised and again when a reviewer approves (a rescan
 * may have made the file malicious meanwhile). Without a verdict source it fails closed (503).
 */
export async function checkModelFileException(controlId: string, scope: ExceptionScope, verdicts: VerdictSource | undefined): Promise<void> {
  if (controlId !== MODEL_SCAN_CONTROL_ID) return;
  const sha256 = sha256OfFindingKey(scope.findingKey);
  if (!sha256) throw new InputError(`scope.findingKey: an exception to ${MODEL_SCAN_CONTROL_ID} is for one exact file: sha256:<64 lower-case hex digits>`);
  if (scope.entityRefs.length !== 1 || scope.entityRefs[0].toLocaleLowerCase('en-US') !== MODEL_FILES_ENTITY_REF) {
    throw new InputError(`scope.entityRefs: an exception to ${MODEL_SCAN_CONTROL_ID} is scoped to ${MODEL_FILES_ENTITY_REF} only`);
  }
  if (!verdicts) throw new ServiceUnavailableError('model-scan verdicts are not available; model-file exceptions cannot be checked');
  const verdict = await verdicts.verdictOf(sha256);
  if (verdict === undefined) throw new ConflictError(`no result of the current scanner exists for sha256 ${sha256}; scan (or rescan) the file first`);
  if (verdict === 'malicious') throw new ConflictError(`the file ${sha256} is malicious; a malicious verdict can never be excepted`);
  if (verdict !== 'suspicious') throw new ConflictError(`only a suspicious verdict can be excepted; the current verdict of ${sha256} is ${verdict}`);
}

/** model-scan's `GET /verdicts/:sha256`, called with this plugin's service credentials. */
export class ModelScanVerdicts implements VerdictSource {
  constructor(private readonly discovery: Pick<DiscoveryService, 'getBaseUrl'>, private readonly auth: Pick<AuthService, 'getOwnServiceCredentials' | 'getPluginRequestToken'>) {}

  async verdictOf(sha256: string): Promise<string | undefined> {
    const { token } = await this.auth.getPluginRequestToken({ onBehalfOf: await this.auth.getOwnServiceCredentials(), targetPluginId: 'model-scan' });
    const base = await this.discovery.getBaseUrl('model-scan');
    let res: Response;
    try {
      res = await fetch(`${base}/verdicts/${encodeURIComponent(sha256)}`, { headers: { Authorization: `Bearer ${token}` } });
    } catch (e) {
      throw new ServiceUnavailableError(`model-scan is not reachable: ${(e as Error).message}`);
    }
    if (!res.ok) {
      const err = await ResponseError.fromResponse(res);
      throw new ServiceUnavailableError(`model-scan answered ${res.status} for the verdict of ${sha256}: ${err.message}`);
    }
    const body = (await res.json()) as { verdict?: string | null };
    return body.verdict ?? undefined;
  }
}
