import { ConflictError, InputError } from '@backstage/errors';
import { Verdict } from '@internal/plugin-model-scan-common';

/**
 * Checks a request to accept a verdict, given the current verdict of that exact sha256.
 * Who may accept is a permission (model-scan.verdict.accept), checked by the router.
 * Throws InputError (400) for bad expiries and ConflictError (409) when the verdict cannot be
 * accepted (malicious: never; safe/error/unknown: nothing to accept).
 */
export function checkAcceptanceRequest(input: {
  sha256: string;
  currentVerdict: Verdict | undefined;
  expiresAt: Date;
  now: Date;
  maxDays: number;
}): void {
  const { sha256, currentVerdict, expiresAt, now, maxDays } = input;
  if (Number.isNaN(expiresAt.getTime())) {
    throw new InputError('expiresAt: not a valid date');
  }
  if (expiresAt.getTime() <= now.getTime()) {
    throw new InputError('expiresAt: must be in the future');
  }
  const maxMs = maxDays * 24 * 60 * 60 * 1000;
  if (expiresAt.getTime() - now.getTime() > maxMs) {
    throw new InputError(`expiresAt: must be at most ${maxDays} days from now`);
  }
  if (currentVerdict === undefined) {
    throw new ConflictError(
      `No result of the current scanner exists for sha256 ${sha256}; scan (or rescan) the file first`,
    );
  }
  if (currentVerdict === 'malicious') {
    throw new ConflictError(
      `The file ${sha256} is malicious; a malicious verdict can never be accepted`,
    );
  }
  if (currentVerdict !== 'suspicious') {
    throw new ConflictError(
      `Only a suspicious verdict can be accepted; the current verdict of ${sha256} is ${currentVerdict}`,
    );
  }
}
