import type express from 'express';
import type { AuditorService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { findUnsafeValue } from '@internal/input-validation';

/**
 * Every refusal is audited exactly once (an unreadable body is turned into an InputError first,
 * see asInputError). Code that already wrote a failed audit event for an
 * error (the router's permission check, the service's audited actions) marks it; the router's
 * error handler audits every error that is not marked:
 *
 * - 403 (`NotAllowedError`) on any route → failed `permission-denied` event (medium);
 * - 400 (`InputError`) on a write (POST/PUT/PATCH/DELETE) → failed `input-rejected` event (low).
 *   A refused read with a bad query is not audited: it changes nothing and reveals nothing.
 */
const AUDITED = Symbol.for('frontier-guard.audited');

export function markAudited<E>(error: E): E {
  if (error && typeof error === 'object') (error as any)[AUDITED] = true;
  return error;
}

export function isAudited(error: unknown): boolean {
  return Boolean(error && typeof error === 'object' && (error as any)[AUDITED]);
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The actor the router authenticated for this request (set by the route), for refusal events. */
export function rememberActor(res: express.Response, userRef: string) {
  res.locals.frontierGuardActor = userRef;
}

/**
 * A body the parser could not read (express.json/text: malformed JSON, corrupt gzip/deflate) is a
 * 400 like any other bad input: `body: <reason>` as an InputError, instead of body-parser's
 * SyntaxError, which names no field and echoes the raw body back. Anything else is returned as is.
 */
export function asInputError(error: unknown, req: express.Request): unknown {
  const e = error as { type?: unknown; status?: unknown; code?: unknown; message?: unknown } | undefined;
  if (!e || typeof e !== 'object' || e.status !== 400) return error;
  const reason = String(e.message ?? '').slice(0, 200);
  if (e.type === 'entity.parse.failed') return new InputError(`body: is not valid JSON (${reason})`);
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    const encoding = String(req.headers['content-encoding'] ?? 'compressed').slice(0, 20);
    return new InputError(`body: is not valid ${encoding} data (${reason})`);
  }
  return error;
}

export function auditRefusals(auditor: AuditorService): express.ErrorRequestHandler {
  return (original, req, res, next) => {
    const error = asInputError(original, req);
    const name = (error as Error)?.name;
    const refused = name === 'NotAllowedError' || (name === 'InputError' && WRITES.has(req.method));
    if (!refused || isAudited(error)) {
      next(error);
      return;
    }
    markAudited(error);
    const meta = {
      actor: typeof res.locals.frontierGuardActor === 'string' ? res.locals.frontierGuardActor : 'unauthenticated',
      method: req.method,
      path: `${req.baseUrl}${req.path}`.slice(0, 300),
      reason: String((error as Error).message ?? '').slice(0, 1000),
    };
    auditor
      .createEvent(
        name === 'NotAllowedError'
          ? { eventId: 'permission-denied', severityLevel: 'medium', request: req, meta }
          : { eventId: 'input-rejected', severityLevel: 'low', request: req, meta },
      )
      .then(ev => ev.fail({ error: error as Error }))
      .then(
        () => next(error),
        () => next(error),
      );
  };
}

/**
 * Backstop for every string a client sends: the path, query and JSON body must not contain NUL,
 * control characters (other than LF/TAB/CRLF in text), ANSI escapes or bidirectional overrides.
 * Called by the router right after authentication (so an unauthenticated call is still a 401),
 * before any schema or store sees the request: ids, keys and filters never reach SQL with a NUL
 * (a 500 on PostgreSQL otherwise). Throws an `InputError` naming the field.
 *
 * `body: false` leaves the body to the route's schemas (for a router whose every body string
 * goes through `freeText`/`singleLineText`, which name every bad field at once).
 */
export function refuseUnsafeInput(
  req: express.Request,
  options: { body?: boolean } = {},
): void {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    throw new InputError('path: is not valid percent-encoding');
  }
  const found =
    findUnsafeValue(path, ['path']) ?? findUnsafeValue(req.query, ['query']) ??
    (options.body === false ? undefined : findUnsafeValue(req.body, ['body']));
  if (found) {
    const field = found.path.replace(/^body\.?/, '') || 'body';
    throw new InputError(`${field}: ${found.reason}`);
  }
}
