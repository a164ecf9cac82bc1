import type express from 'express';

/** body-parser's errors for a request whose client left before its body was read. */
const ABANDONED = new Set(['stream.not.readable', 'request.aborted']);

/**
 * A client that disconnects while its request waits (for authentication, under load) leaves a
 * body that can no longer be read: body-parser then fails with "stream is not readable", which
 * Backstage's error handler answers as a 500 and logs as a server error, though nobody is there
 * to answer and nothing went wrong on the server. Installed before the router's last error
 * handlers: such a request is ended quietly; every other error passes on unchanged (a body-parser
 * error while the client is still connected is still reported).
 */
export function endAbandonedRequests(): express.ErrorRequestHandler {
  return (error, req, res, next) => {
    const type = (error as { type?: unknown } | undefined)?.type;
    const clientGone = req.destroyed || Boolean(req.socket?.destroyed);
    if (typeof type === 'string' && ABANDONED.has(type) && clientGone) {
      res.destroy();
      return;
    }
    next(error);
  };
}
