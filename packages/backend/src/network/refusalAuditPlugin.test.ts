import { createServiceFactory, coreServices } from '@backstage/backend-plugin-api';
import { startTestBackend } from '@backstage/backend-test-utils';
import { recordingAuditor } from '@internal/test-stand-ins';
import { RefusedRequests } from './RefusedRequests';
import { auditRefusedRequests, createNetworkAuditPlugin } from './refusalAuditPlugin';

describe('auditing IP access list refusals', () => {
  it('writes one failed ip-access-refused event per window with refusals, none without', async () => {
    const refusals = new RefusedRequests();
    const auditor = recordingAuditor();
    expect(await auditRefusedRequests(refusals, auditor)).toBe(false);
    expect(auditor.events).toEqual([]);
    for (let i = 0; i < 3; i++) refusals.record('203.0.113.7', 'GET', '/api/catalog/entities');
    expect(await auditRefusedRequests(refusals, auditor)).toBe(true);
    expect(auditor.events).toEqual([
      {
        eventId: 'ip-access-refused',
        severityLevel: 'medium',
        meta: expect.objectContaining({
          total: 3,
          clients: [{ client: '203.0.113.7', count: 3, samplePaths: ['GET /api/catalog/entities'] }],
        }),
        outcome: 'fail',
        error: '3 request(s) from outside the IP access list were refused',
      },
    ]);
    expect(await auditRefusedRequests(refusals, auditor)).toBe(false);
    expect(auditor.events).toHaveLength(1);
  });

  it('the network plugin audits on its interval and flushes what is left at shutdown', async () => {
    const refusals = new RefusedRequests();
    const auditor = recordingAuditor();
    const backend = await startTestBackend({
      features: [
        createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
        createNetworkAuditPlugin({ refusals, intervalMs: 50 }),
      ],
    });
    try {
      refusals.record('198.51.100.2', 'POST', '/api/access-requests/requests');
      const deadline = Date.now() + 5000;
      while (auditor.events.length === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
      expect(auditor.events.map(e => [e.eventId, e.outcome])).toEqual([['ip-access-refused', 'fail']]);
      refusals.record('198.51.100.3', 'GET', '/');
    } finally {
      // stop right away: the second refusal is written by the shutdown flush (or an interval tick before it)
      await backend.stop();
    }
    expect(auditor.events).toHaveLength(2);
    expect((auditor.events[1].meta as { clients: Array<{ client: string }> }).clients[0].client).toBe('198.51.100.3');
  });
});
