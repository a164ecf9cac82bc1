import express from 'express';
import request from 'supertest';
import type { AuditorService } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { auditRefusals, markAudited, refuseUnsafeInput, rememberActor } from './refusals';

function recordingAuditor() {
  const events: { eventId: string; severityLevel?: string; meta?: any; failed?: boolean }[] = [];
  const auditor = {
    createEvent: async (o: any) => {
      const e = { eventId: o.eventId, severityLevel: o.severityLevel, meta: o.meta, failed: false };
      events.push(e);
      return { success: async () => {}, fail: async () => { e.failed = true; } };
    },
  } as unknown as AuditorService;
  return { auditor, events };
}

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
    res.status(err.name === 'InputError' ? 400 : err.name === 'NotAllowedError' ? 403 : 500).json({ message: err.message });
  }) as express.ErrorRequestHandler);
  return express().use(router);
}

describe('refuseUnsafeInput and auditRefusals', () => {
  it('refuses control characters and bidi overrides in the path, query and body, naming the field', async () => {
    const { auditor, events } = recordingAuditor();
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
    expect(events).toEqual([expect.objectContaining({ eventId: 'input-rejected', failed: true })]);
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
    const { auditor } = recordingAuditor();
    const res = await request(app(auditor)).post('/items').send({ text: 'line one\n\tline two' });
    expect(res.status).toBe(200);
  });

  it('audits a 403 once with the actor, and not again when already audited', async () => {
    const { auditor, events } = recordingAuditor();
    const a = app(auditor);
    expect((await request(a).get('/secret')).status).toBe(403);
    expect((await request(a).get('/already')).status).toBe(403);
    expect(events).toEqual([
      expect.objectContaining({
        eventId: 'permission-denied',
        severityLevel: 'medium',
        failed: true,
        meta: expect.objectContaining({ actor: 'user:default/alice', method: 'GET', path: '/secret' }),
      }),
    ]);
  });
});
