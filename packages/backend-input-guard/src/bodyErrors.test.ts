import express from 'express';
import request from 'supertest';
import zlib from 'node:zlib';
import type { AuditorService } from '@backstage/backend-plugin-api';
import { recordingAuditor } from '@internal/test-stand-ins';
import { auditRefusals, rememberActor } from './refusals';

/** A router shaped like the portal's: body parsers, routes, auditRefusals; then an error handler like Backstage's. */
function app(auditor: AuditorService) {
  const router = express.Router();
  router.use((_req, res, next) => {
    rememberActor(res, 'user:default/bob');
    next();
  });
  router.post('/notes', express.json({ limit: '1kb' }), (req, res) => res.json({ got: req.body }));
  router.post('/ingest', express.text({ type: 'application/x-ndjson' }), (req, res) => res.json({ length: String(req.body).length }));
  router.use(auditRefusals(auditor));
  const a = express();
  a.use(router);
  a.use((err: any, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = err.name === 'InputError' ? 400 : err.status ?? err.statusCode ?? 500;
    res.status(status).json({ error: { ...err, name: err.name, message: err.message } });
  });
  return a;
}

describe('an unreadable request body is a 400 naming the body, audited like any refused write', () => {
  it('malformed JSON: InputError "body: is not valid JSON (...)", no echo of the raw body, one input-rejected event', async () => {
    const auditor = recordingAuditor();
    const res = await request(app(auditor)).post('/notes').set('Content-Type', 'application/json').send('{"text":"secret-ish');
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(/^body: is not valid JSON \(/);
    expect(JSON.stringify(res.body)).not.toContain('secret-ish');
    expect(auditor.events).toEqual([expect.objectContaining({ eventId: 'input-rejected', outcome: 'fail', meta: expect.objectContaining({ actor: 'user:default/bob', path: '/notes' }) })]);
  });

  it('a corrupt gzip body: "body: is not valid gzip data (...)"; a good gzip body is read', async () => {
    const auditor = recordingAuditor();
    const bad = await request(app(auditor)).post('/ingest').set('Content-Type', 'application/x-ndjson').set('Content-Encoding', 'gzip').send('not gzip at all');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ name: 'InputError', message: expect.stringMatching(/^body: is not valid gzip data \(/) });
    expect(auditor.events.map(e => e.eventId)).toEqual(['input-rejected']);

    const good = await request(app(auditor)).post('/ingest').set('Content-Type', 'application/x-ndjson').set('Content-Encoding', 'gzip').send(zlib.gzipSync('{"a":1}\n'));
    expect(good.status).toBe(200);
    expect(good.body.length).toBe(8);
  });

  it('other body errors keep their status (413 too large is not turned into a 400)', async () => {
    const auditor = recordingAuditor();
    const res = await request(app(auditor)).post('/notes').set('Content-Type', 'application/json').send(JSON.stringify({ text: 'x'.repeat(5000) }));
    expect(res.status).toBe(413);
  });
});
