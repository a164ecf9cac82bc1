import express from 'express';
import request from 'supertest';
import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { startTestBackend } from '@backstage/backend-test-utils';
import { recordingAuditor } from '@internal/test-stand-ins';
import { RefusedRequests } from './RefusedRequests';
import { createNetworkAuditPlugin } from './refusalAuditPlugin';
import { auditUnauthenticatedRequests, countUnauthenticatedRefusals } from './unauthenticatedRefusals';

/** A stand-in for the portal: the counter in front, routes that refuse like httpAuth does. */
function app(refusals: RefusedRequests) {
  const a = express();
  a.use(countUnauthenticatedRefusals(refusals));
  a.all('*', (req, res) => {
    if (req.path === '/api/detections/rules' && req.headers.authorization === 'Bearer valid') return res.json({ items: [] });
    if (req.path.startsWith('/api/access-requests/')) return res.status(403).json({ error: { name: 'NotAllowedError', message: 'missing permission' } });
    // the framework's answer to an external-access token used outside its plugins
    if (req.path.startsWith('/api/audit/') && req.headers.authorization === 'Bearer shipper') {
      return res.status(403).json({ error: { name: 'NotAllowedError', message: "This token's access is restricted to plugin(s) 'detections'" } });
    }
    return res.status(401).json({ error: { name: 'AuthenticationError', message: 'Missing credentials' } });
  });
  return a;
}

describe('refused unauthenticated requests (401) reach the audit trail', () => {
  it('counts every 401 (no token, forged token, cookie) and a token used outside its plugins (403) per client, not 2xx, other 403s or the sign-in session probe', async () => {
    const refusals = new RefusedRequests();
    const server = app(refusals);
    await request(server).get('/api/detections/alerts').expect(401);
    await request(server).get('/api/audit/events?limit=5').set('Authorization', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyOmRlZmF1bHQvZGF2ZSJ9.').expect(401);
    await request(server).post('/api/detections/ingest').set('Authorization', 'Basic Zm9vOmJhcg==').send('{}').expect(401);
    await request(server).get('/api/catalog/entities').set('Cookie', 'backstage-app-auth=forged').expect(401);
    await request(server).get('/api/audit/events').set('Authorization', 'Bearer shipper').expect(403);
    // not refusals of authentication: a valid call, a 403, a signed-out browser asking for its session
    await request(server).get('/api/detections/rules').set('Authorization', 'Bearer valid').expect(200);
    await request(server).get('/api/access-requests/grants/export').set('Authorization', 'Bearer valid').expect(403);
    await request(server).get('/api/auth/microsoft/refresh').expect(401);

    const summary = refusals.takeSummary()!;
    expect(summary.total).toBe(5);
    expect(summary.clients).toHaveLength(1);
    expect(summary.clients[0].samplePaths).toEqual([
      'GET /api/detections/alerts (no credentials)',
      'GET /api/audit/events (bearer token)',
      'POST /api/detections/ingest (authorization header)',
      'GET /api/catalog/entities (cookie)',
      'GET /api/audit/events (token restricted to other plugins)',
    ]);
    // never the credential itself, nor the query string
    expect(JSON.stringify(summary)).not.toMatch(/eyJ|Zm9v|forged|limit=5/);
  });

  it('writes one failed authentication-refused event per window with 401s, none without', async () => {
    const refusals = new RefusedRequests();
    const auditor = recordingAuditor();
    const { events } = auditor;
    expect(await auditUnauthenticatedRequests(refusals, auditor)).toBe(false);
    expect(events).toEqual([]);

    const server = app(refusals);
    for (let i = 0; i < 3; i++) await request(server).get('/api/detections/dashboard').set('Authorization', 'Bearer forged').expect(401);
    expect(await auditUnauthenticatedRequests(refusals, auditor)).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ eventId: 'authentication-refused', severityLevel: 'medium', outcome: 'fail' });
    expect(events[0].error).toBe('3 request(s) without valid credentials (401) or with a token restricted to other plugins (403) were refused');
    expect(events[0].meta).toMatchObject({ total: 3, clients: [{ count: 3, samplePaths: ['GET /api/detections/dashboard (bearer token)'] }] });
    // the window was drained
    expect(await auditUnauthenticatedRequests(refusals, auditor)).toBe(false);
    expect(events).toHaveLength(1);
  });

  it('the network plugin writes the 401 summary on its interval, beside the IP access list summary', async () => {
    const unauthenticated = new RefusedRequests();
    const auditor = recordingAuditor();
    const { events } = auditor;
    const backend = await startTestBackend({
      features: [
        createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
        createNetworkAuditPlugin({ refusals: new RefusedRequests(), unauthenticated, intervalMs: 50 }),
      ],
    });
    try {
      unauthenticated.record('203.0.113.9', 'GET', '/api/audit/events (bearer token)');
      const deadline = Date.now() + 5000;
      while (events.length === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
    } finally {
      await backend.stop();
    }
    expect(events.map(e => [e.eventId, e.outcome])).toEqual([['authentication-refused', 'fail']]);
    expect((events[0].meta.clients as unknown[])[0]).toEqual({ client: '203.0.113.9', count: 1, samplePaths: ['GET /api/audit/events (bearer token)'] });
  });
});
