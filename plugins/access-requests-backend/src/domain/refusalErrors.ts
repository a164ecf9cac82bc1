import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { ActionCheck, CONFLICT_REFUSALS, RefusalCode } from '@internal/plugin-access-requests-common';

/** Refusals that are a bad request rather than a person's or a record's state. */
const INPUT_REFUSALS: ReadonlySet<RefusalCode> = new Set<RefusalCode>(['break-glass-renew']);

/**
 * The HTTP error for a refusal of a -common action check: 409 for the record's state
 * (CONFLICT_REFUSALS), 400 for a request that can never succeed, 403 otherwise. `messages`
 * holds the backend's wording per code (the check's `reason` is the portal's sentence).
 */
export function refusalError(check: ActionCheck, messages: Partial<Record<RefusalCode, string>>): Error {
  const code = check.code;
  const message = (code && messages[code]) ?? check.reason ?? 'not allowed';
  if (code && INPUT_REFUSALS.has(code)) return new InputError(message);
  if (code && CONFLICT_REFUSALS.has(code)) return new ConflictError(message);
  return new NotAllowedError(message);
}
