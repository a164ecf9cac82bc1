import express from 'express';
import request from 'supertest';
import type { AuditorService } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { recordingAuditor } from '@internal/test-stand-ins';
import { auditRefusals, markAudited, refuseUnsafeInput, rememberActor } from './refusals';

const STATUS_OF_ERROR: Record<string, number> = { InputError: 400, NotAllowedError: 403 };

function app(auditor: AuditorService) {
  const router = express.Router();
  router.use(express.json());
  router.use((req, res, next) => {
    rememberActor(res, 'user:default/alice');
    try {
      refuseUnsafeInput(req);
      next();
    } catch (e) {
      next(e);
    }
  });
  router.get('/items/:id', (_req, res) => res.json({ ok: true }));
  router.post('/items', (_req, res) => res.json({ ok: true }));
  router.get('/secret', () => {
    throw new NotAllowedError('no');
  });
  router.get('/already', () => {
    throw markAudited(new NotAllowedError('counted elsewhere'));
  });
  router.use(auditRefusals(auditor));
  router.use(((err, _req, res, _next) => {
    res.status(STATUS_OF_ERROR[err.name] ?? 500).json({ message: err.message });
  }) as express.ErrorRequestHandler);
  return express().use(router);
}

describe('refuseUnsafeInput and auditRefusals', () => {
  it('refuses control characters and bidi overrides in the path, query and body, naming the field', async () => {
    const auditor = recordingAuditor();
    const a = app(auditor);
    const path = await request(a).get('/items/a%00b');
    expect(path.status).toBe(400);
    expect(path.body.message).toMatch(/^path/);
    const query = await request(a).get('/items/x').query({ filter: 'a\u202eb' });
    expect(query.status).toBe(400);
    expect(query.body.message).toMatch(/^query\.filter/);
    const body = await request(a).post('/items').send({ title: 'ok', note: { text: 'x\u001b[31m' } });
    expect(body.status).toBe(400);
    expect(body.body.message).toMatch(/^note\.text/);
    const badEncoding = await request(a).get('/items/%E0%A4%A');
    expect(badEncoding.status).toBe(400);
    // only the refused write is audited; refused reads change nothing
    expect(auditor.events).toEqual([expect.objectContaining({ eventId: 'input-rejected', outcome: 'fail' })]);
  });

  it('leaves the body to the schemas when asked, still checking path and query', async () => {
    const router = express.Router();
    router.use(express.json());
    router.use((req, _res, next) => {
      try {
        refuseUnsafeInput(req, { body: false });
        next();
      } catch (e) {
        next(e);
      }
    });
    router.post('/items/:id', (_req, res) => res.json({ ok: true }));
    router.use(((err, _req, res, _next) => {
      res.status(err.name === 'InputError' ? 400 : 500).json({ message: err.message });
    }) as express.ErrorRequestHandler);
    const a = express().use(router);
    expect((await request(a).post('/items/x').send({ text: 'a\u0000' })).status).toBe(200);
    const path = await request(a).post('/items/x%00').send({});
    expect(path.status).toBe(400);
    expect(path.body.message).toMatch(/^path: contains/);
  });

  it('lets clean input through, newlines and tabs included', async () => {
    const auditor = recordingAuditor();
    const res = await request(app(auditor)).post('/items').send({ text: 'line one\n\tline two' });
    expect(res.status).toBe(200);
  });

  it('audits a 403 once with the actor, and not again when already audited', async () => {
    const auditor = recordingAuditor();
    const a = app(auditor);
    expect((await request(a).get('/secret')).status).toBe(403);
    expect((await request(a).get('/already')).status).toBe(403);
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'permission-denied',
        severityLevel: 'medium',
        outcome: 'fail',
        meta: expect.objectContaining({ actor: 'user:default/alice', method: 'GET', path: '/secret' }),
      }),
    ]);
  });
});
