import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { ActionCheck, CONFLICT_REFUSALS, RefusalCode } from '@internal/plugin-access-requests-common';

/** Refusals that are a bad request rather than a person's or a record's state. */
const INPUT_REFUSALS: ReadonlySet<RefusalCode> = new Set<RefusalCode>(['break-glass-renew']);

/**
 * The HTTP error for a refusal of a -common action check: 409 for the record's state
 * (CONFLICT_REFUSALS), 400 for a request that can never succeed, 403 otherwise. `messages`
 * holds the backend's wording per code (the check's `reason` is the portal's sentence).
 */
export function refusalError(
  check: ActionCheck,
  messages: Partial<Record<RefusalCode, string>>,
  ids?: RefusalIds,
): Error {
  const code = check.code;
  const message = (code && messages[code]) ?? check.reason ?? 'not allowed';
  let error: Error;
  if (code && INPUT_REFUSALS.has(code)) error = new InputError(message);
  else if (code && CONFLICT_REFUSALS.has(code)) error = new ConflictError(message);
  else error = new NotAllowedError(message);
  return ids ? Object.assign(error, { ids }) : error;
}

/**
 * The ids behind a refusal whose sentence names things by title ("the Frontier 7B weights
 * policy"): `{ policy: 'weights-frontier-7b' }`. They travel as the error's own `ids` field
 * (serialized into the response body's `error.ids`) and into the failed audit event's meta.
 */
export type RefusalIds = Record<string, string>;

/** The `ids` a refusalError carries, if any (for the audit event's meta). */
export function refusalIds(error: unknown): { ids: RefusalIds } | undefined {
  const ids = (error as { ids?: unknown } | null)?.ids;
  if (!ids || typeof ids !== 'object') return undefined;
  return { ids: { ...(ids as RefusalIds) } };
}
