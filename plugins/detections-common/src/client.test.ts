import { DetectionsClient } from './client';
import { alertAppPath } from './links';

function recordingClient(answer: unknown, status = 200) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const client = new DetectionsClient({
    discoveryApi: { getBaseUrl: async id => `http://backend/api/${id}` },
    fetchApi: {
      fetch: (async (url: string, init: RequestInit) => {
        calls.push({ url, init });
        return new Response(JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
      }) as any,
    },
  });
  return { client, calls };
}

describe('DetectionsClient', () => {
  it('sends filters as a query with comma lists and ISO dates', async () => {
    const { client, calls } = recordingClient({ items: [], totalCount: 0 });
    await client.listAlerts({ status: ['new', 'acknowledged'], from: new Date('2026-12-01T00:00:00Z'), q: '', limit: 20 });
    expect(calls[0].url).toBe('http://backend/api/detections/alerts?status=new%2Cacknowledged&from=2026-12-01T00%3A00%3A00.000Z&limit=20');
  });
  it('posts NDJSON with the service token for ingest', async () => {
    const { client, calls } = recordingClient({ accepted: 1, duplicates: 0, rejected: [], detections: 0, alertsOpened: 0, alertsUpdated: 0 });
    const r = await client.ingest('{"a":1}\n', { token: 'svc' });
    expect(r.accepted).toBe(1);
    expect(calls[0].init.headers).toEqual({ 'Content-Type': 'application/x-ndjson', Authorization: 'Bearer svc' });
    expect(calls[0].init.body).toBe('{"a":1}\n');
  });
  it('unwraps { alert } and posts triage bodies as JSON', async () => {
    const { client, calls } = recordingClient({ alert: { id: 'a/1' } });
    expect(await client.close('a/1', 'benign_positive', 'planned test')).toEqual({ id: 'a/1' });
    expect(calls[0].url).toBe('http://backend/api/detections/alerts/a%2F1/close');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ reason: 'benign_positive', comment: 'planned test' });
  });
  it('throws a ResponseError carrying the server message', async () => {
    const { client } = recordingClient({
      error: { name: 'ConflictError', message: 'The alert is closed.' },
      request: { method: 'POST', url: '/alerts/x/acknowledge' },
      response: { statusCode: 409 },
    }, 409);
    await expect(client.acknowledge('x')).rejects.toMatchObject({
      statusCode: 409,
      body: { error: { message: 'The alert is closed.' } },
    });
  });
  it('builds the alert page path', () => {
    expect(alertAppPath('x y')).toBe('/detections/alerts/x%20y');
  });
});
