import type { Server } from 'node:http';

/**
 * How much longer than the keep-alive timeout it advertises (`Keep-Alive: timeout=5`) the server
 * keeps an idle connection open before closing it.
 *
 * The backend calls itself over HTTP (permission checks, catalog look-ups, notifications, the
 * events bus) through Node's keep-alive agents, which close an idle socket a little before the
 * server's advertised timeout. Under overload the server's and the client's views of "idle"
 * drift apart by the event-loop lag (both run on one event loop): the server's idle timer fires
 * in the timers phase right after a client picked the socket and wrote its next request, the
 * server closes a socket with unread data, the kernel answers with RST, and the internal call
 * fails with `read ECONNRESET` → a 500 to the user (bench/access-requests, 7 Dec: thousands of
 * them at 50–100 steps/s). Node's default extra wait is 1 s; with 60 s an idle socket is only
 * closed by the client (or after a minute), whatever the lag.
 */
export const KEEP_ALIVE_TIMEOUT_BUFFER_MS = 60_000;

/**
 * Makes the server close idle keep-alive sockets only well after the timeout it advertises:
 * `server.keepAliveTimeoutBuffer` (Node ≥ 22.19 / 24.6), else a longer `keepAliveTimeout`.
 * `backend.server.keepAliveTimeout` from config is still applied afterwards by Backstage.
 */
export function extendKeepAlive(server: Server, bufferMs = KEEP_ALIVE_TIMEOUT_BUFFER_MS): void {
  const s = server as Server & { keepAliveTimeoutBuffer?: number };
  if (typeof s.keepAliveTimeoutBuffer === 'number') {
    s.keepAliveTimeoutBuffer = bufferMs;
  } else {
    s.keepAliveTimeout += bufferMs;
  }
  // a request's headers may arrive on a socket idle for that long
  if (s.headersTimeout < s.keepAliveTimeout + bufferMs + 1000) s.headersTimeout = s.keepAliveTimeout + bufferMs + 1000;
}
