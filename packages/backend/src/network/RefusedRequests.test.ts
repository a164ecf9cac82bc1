import { MAX_CLIENTS_PER_SUMMARY, RefusedRequests, SAMPLE_PATHS_PER_CLIENT } from './RefusedRequests';

describe('RefusedRequests', () => {
  it('summarises a window per client, most refused first, and starts a new window', () => {
    let now = new Date('2026-11-25T10:00:00.000Z');
    const r = new RefusedRequests(() => now);
    expect(r.takeSummary()).toBeUndefined(); // nothing refused: no summary
    r.record('203.0.113.7', 'GET', '/api/catalog/entities');
    r.record('198.51.100.2', 'POST', '/api/access-requests/requests');
    r.record('198.51.100.2', 'POST', '/api/access-requests/requests');
    r.record('198.51.100.2', 'GET', '/api/audit/events');
    now = new Date('2026-11-25T10:01:00.000Z');
    expect(r.takeSummary()).toEqual({
      from: '2026-11-25T10:00:00.000Z',
      to: '2026-11-25T10:01:00.000Z',
      total: 4,
      clients: [
        { client: '198.51.100.2', count: 3, samplePaths: ['POST /api/access-requests/requests', 'GET /api/audit/events'] },
        { client: '203.0.113.7', count: 1, samplePaths: ['GET /api/catalog/entities'] },
      ],
      unlistedRequests: 0,
    });
    expect(r.takeSummary()).toBeUndefined();
    r.record('203.0.113.7', 'GET', '/');
    now = new Date('2026-11-25T10:05:00.000Z');
    expect(r.takeSummary()).toMatchObject({ from: '2026-11-25T10:01:00.000Z', to: '2026-11-25T10:05:00.000Z', total: 1 });
  });

  it('stays bounded under a flood from many addresses and paths', () => {
    const r = new RefusedRequests();
    for (let i = 0; i < 5000; i++) r.record(`10.${(i >> 8) & 255}.${i & 255}.1`, 'GET', `/p/${i}`);
    for (let i = 0; i < 50; i++) r.record('10.0.0.1', 'GET', `/q/${i}`);
    const summary = r.takeSummary()!;
    expect(summary.total).toBe(5050);
    expect(summary.clients).toHaveLength(MAX_CLIENTS_PER_SUMMARY);
    expect(summary.unlistedRequests).toBe(5000 - MAX_CLIENTS_PER_SUMMARY);
    expect(summary.clients[0]).toMatchObject({ client: '10.0.0.1', count: 51 });
    expect(summary.clients[0].samplePaths).toHaveLength(SAMPLE_PATHS_PER_CLIENT);
    expect(summary.clients.reduce((n, c) => n + c.count, 0) + summary.unlistedRequests).toBe(5050);
  });
});
