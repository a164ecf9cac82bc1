import type { RequestHandler } from 'express';

/** A copy of an error response body without `stack` on the error and its causes. */
export function withoutStacks(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const error = (body as { error?: unknown }).error;
  if (!error || typeof error !== 'object') return body;
  const strip = (value: unknown, depth: number): unknown => {
    if (!value || typeof value !== 'object' || Array.isArray(value) || depth > 10) return value;
    const { stack: _stack, cause, ...rest } = value as Record<string, unknown>;
    return cause === undefined ? rest : { ...rest, cause: strip(cause, depth + 1) };
  };
  return { ...(body as object), error: strip(error, 0) };
}

/**
 * Error responses never carry stack traces, whatever NODE_ENV is and whichever plugin answers:
 * Backstage's error handlers (the root one and those plugins install in their own routers)
 * serialize the stack when NODE_ENV is not `production`; this middleware, in front of every
 * route, removes `error.stack` (and the causes' stacks) from every JSON body. Stacks stay in the
 * backend's log.
 */
export function stripErrorStacks(): RequestHandler {
  return (_req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body?: unknown) => json(withoutStacks(body));
    next();
  };
}
