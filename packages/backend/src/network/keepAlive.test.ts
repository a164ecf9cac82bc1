import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extendKeepAlive } from './keepAlive';

/**
 * The overload race behind the internal `read ECONNRESET` 500s, reproduced deterministically:
 * client and server share one event loop; the loop stalls longer than the server's keep-alive
 * timeout; right after the stall the client reuses its idle socket for the next request, and in
 * the next timers phase the server's idle timer fires before the request is read.
 */
async function stalledReuse(configure: (server: http.Server) => void) {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = 2000; // advertised 2 s: the agent keeps an idle socket 1 s; Node closes it after 2 s + its 1 s buffer
  configure(server);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // a keep-alive agent like Node's global one (it honours the server's Keep-Alive hint)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ body: string; reused: boolean }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, res => {
        let body = '';
        res.on('data', c => (body += c));
        res.on('end', () => resolve({ body, reused: req.reusedSocket }));
      });
      req.on('error', reject);
    });
  try {
    expect((await get()).body).toBe('ok');
    await new Promise(r => setImmediate(r)); // the socket goes back to the agent's free list
    const until = Date.now() + 3500; // the event loop is blocked (an overloaded backend) past the server's 3 s
    while (Date.now() < until) {
      // busy
    }
    return await get();
  } finally {
    agent.destroy();
    await new Promise(r => server.close(r));
  }
}

describe('extendKeepAlive', () => {
  it('without it, a socket reused right after an event-loop stall is reset by the server (the defect)', async () => {
    await expect(stalledReuse(() => {})).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|EPIPE/) });
  });

  it('with it, the same reuse succeeds on the same socket', async () => {
    const res = await stalledReuse(server => extendKeepAlive(server, 5_000));
    expect(res).toEqual({ body: 'ok', reused: true });
  });

  it('sets the extra wait (or a longer timeout on older Node) and a headers timeout that covers it', () => {
    const server = http.createServer();
    extendKeepAlive(server);
    const s = server as http.Server & { keepAliveTimeoutBuffer?: number };
    const effective = s.keepAliveTimeout + (s.keepAliveTimeoutBuffer ?? 0);
    expect(effective).toBeGreaterThanOrEqual(65_000);
    expect(s.headersTimeout).toBeGreaterThan(effective);
  });
});
