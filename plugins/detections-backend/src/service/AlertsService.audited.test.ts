import express from 'express';
import Router from 'express-promise-router';
import request from 'supertest';
import { InputError } from '@backstage/errors';
import { auditRefusals } from '@internal/backend-input-guard';
import { recordingAuditor } from '@internal/test-stand-ins';
import { AlertsService } from './AlertsService';

/**
 * Found by probing a running portal: an ingest batch over detections.ingest.maxLines (an InputError
 * thrown inside the audited events-ingest action) was audited twice — events-ingest failed AND
 * input-rejected from the router's refusal handler.
 */
describe('AlertsService.audited', () => {
  it('an error its action refused with is audited once, also behind the router refusal handler', async () => {
    const auditor = recordingAuditor();
    // audited() needs only the auditor
    const alerts = new AlertsService({ store: {} as any, auditor, clock: { now: () => new Date() } as any });
    const router = Router();
    router.post('/ingest', async req => {
      await alerts.audited('events-ingest', 'low', { userRef: 'demo-log-shipper', request: req } as any, {}, async () => {
        throw new InputError('body: 50001 lines in one batch; at most 50000 (split the batch)');
      });
    });
    router.use(auditRefusals(auditor));
    const app = express().use(router);
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.name === 'InputError' ? 400 : 500).json({ error: { name: err.name, message: err.message } });
    });

    const res = await request(app).post('/ingest').send('{}');
    expect(res.status).toBe(400);
    expect(auditor.events.map(e => [e.eventId, e.outcome])).toEqual([['events-ingest', 'fail']]);
    expect(auditor.events[0].error).toMatch(/50001 lines/);
  });
});
