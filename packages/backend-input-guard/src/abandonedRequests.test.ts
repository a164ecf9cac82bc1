import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { endAbandonedRequests } from './abandonedRequests';

/** A route that waits (as authentication does under load) before reading its JSON body. */
async function serve(withHandler: boolean) {
  const errors: unknown[] = [];
  let reachedParser!: () => void;
  const parserReached = new Promise<void>(r => (reachedParser = r));
  const app = express();
  const router = express.Router();
  let release!: () => void;
  const released = new Promise<void>(r => (release = r));
  router.use((_req, _res, next) => {
    released.then(() => next());
  });
  router.use((req, res, next) => {
    reachedParser();
    express.json()(req, res, next);
  });
  router.post('/items', (_req, res) => res.json({ ok: true }));
  if (withHandler) router.use(endAbandonedRequests());
  router.use(((err, _req, res, _next) => {
    errors.push(err);
    if (!res.headersSent) res.status(500).end();
  }) as express.ErrorRequestHandler);
  app.use(router);
  const server = http.createServer(app);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { errors, release, parserReached, port, close: () => new Promise<void>(r => server.close(() => r())) };
}

/** POSTs a JSON body, then disconnects before the server has read it. */
function postAndLeave(port: number): Promise<void> {
  return new Promise(resolve => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/items', headers: { 'content-type': 'application/json' } });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end(JSON.stringify({ name: 'x' }), () => setTimeout(() => req.destroy(), 50));
  });
}

async function settle(ms = 100) {
  await new Promise(r => setTimeout(r, ms));
}

describe('endAbandonedRequests', () => {
  it('without it, a client that left before its body was read becomes a 500 "stream is not readable"', async () => {
    const s = await serve(false);
    try {
      await postAndLeave(s.port);
      await settle();
      s.release();
      await s.parserReached;
      await settle();
      expect(s.errors).toHaveLength(1);
      expect(s.errors[0]).toMatchObject({ type: 'stream.not.readable', status: 500 });
    } finally {
      await s.close();
    }
  });

  it('ends such a request quietly: no error reaches the error handler', async () => {
    const s = await serve(true);
    try {
      await postAndLeave(s.port);
      await settle();
      s.release();
      await s.parserReached;
      await settle();
      expect(s.errors).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('passes on body errors of a client that is still there (malformed JSON is a 400)', async () => {
    const s = await serve(true);
    s.release();
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: s.port, method: 'POST', path: '/items', headers: { 'content-type': 'application/json' } },
          res => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('{not json');
      });
      expect(status).toBe(500); // this test app's last handler answers 500 for any error it receives
      expect(s.errors).toHaveLength(1);
      expect(s.errors[0]).toMatchObject({ type: 'entity.parse.failed', status: 400 });
    } finally {
      await s.close();
    }
  });
});
