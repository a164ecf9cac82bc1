import type { RequestHandler } from 'express';
import type { AuditorService } from '@backstage/backend-plugin-api';
import { AuthenticationError } from '@backstage/errors';
import { RefusedRequests, auditRefusalSummary } from './RefusedRequests';

/**
 * Requests refused with 401 (no credentials, or a token that is forged, expired, signed with an
 * unknown key, `alg: none`, a static token nobody configured...) never reach a plugin's own audit
 * code: the framework's `httpAuth` refuses them first. The root router counts them here, per
 * client address with sample paths, and the `network` plugin writes one bounded
 * `authentication-refused` summary event per minute (the same bounded shape as the IP access
 * list's summary, so a flood of bad tokens cannot flood the hash chain).
 *
 * Not counted: a sign-in page asking an auth provider whether a session exists
 * (`GET /api/auth/<provider>/refresh`), which answers 401 for every visitor who is not signed in.
 */
export const unauthenticatedRefusals = new RefusedRequests();

const SESSION_PROBE = /^\/api\/auth\/[^/]+\/refresh$/;

/** How the refused request tried to authenticate (never the credential itself). */
function credentialKind(authorization: string | undefined, cookie: string | undefined): string {
  if (authorization) return /^bearer\s/i.test(authorization) ? 'bearer token' : 'authorization header';
  if (cookie) return 'cookie';
  return 'no credentials';
}

/** The framework's 403 for a valid token used on a plugin its access restrictions exclude. */
const RESTRICTED_TOKEN = "This token's access is restricted to plugin(s)";

/**
 * Root middleware: counts every 401 answer (after it is sent) in `refusals`, and every 403 the
 * framework gives a valid token used on a plugin outside its access restrictions (e.g. the log
 * shipper's ingest token on /api/access-requests): that refusal, too, happens before any plugin
 * code could audit it.
 */
export function countUnauthenticatedRefusals(refusals: RefusedRequests = unauthenticatedRefusals): RequestHandler {
  return (req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body?: unknown) => {
      const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
      if (res.statusCode === 403 && typeof message === 'string' && message.startsWith(RESTRICTED_TOKEN)) {
        res.locals.frontierGuardRestrictedToken = true;
      }
      return json(body);
    };
    res.once('finish', () => {
      const restricted = res.statusCode === 403 && res.locals.frontierGuardRestrictedToken === true;
      if (res.statusCode !== 401 && !restricted) return;
      const path = (req.originalUrl ?? req.url).split('?')[0];
      if (req.method === 'GET' && SESSION_PROBE.test(path)) return;
      const kind = restricted ? 'token restricted to other plugins' : credentialKind(req.headers.authorization, req.headers.cookie);
      refusals.record(req.ip ?? req.socket.remoteAddress ?? 'unknown', req.method, `${path} (${kind})`);
    });
    next();
  };
}

/**
 * Writes the refusals counted since the last call as ONE audit event (`authentication-refused`,
 * severity medium, outcome failed, meta = the summary); nothing when there were none.
 */
export function auditUnauthenticatedRequests(refusals: RefusedRequests, auditor: AuditorService): Promise<boolean> {
  return auditRefusalSummary(
    refusals,
    auditor,
    'authentication-refused',
    total => new AuthenticationError(`${total} request(s) without valid credentials (401) or with a token restricted to other plugins (403) were refused`),
  );
}
