import type { TokenCredential } from '@azure/identity';
import { DetectionEngine, resolveConfig } from '@internal/detection-rules';
import { selfSignedCertificate, startHttpsServer, type RecordedRequest } from '@internal/test-stand-ins';
import { SentinelAlertReader } from './SentinelAlertReader';
import { isAggregated, rowKey } from './rowKey';

const WORKSPACE = '0b6f2c1e-1111-2222-3333-444455556666';
const TOKEN = 'fake-log-analytics-token';
const FROM = new Date('2026-11-02T00:00:00Z');
const TO = new Date('2026-11-03T00:00:00Z');

const col = (name: string, type: string) => ({ name, type });

/**
 * Answers like the Log Analytics query API (POST /v1/workspaces/{id}/query, body { query, timespan },
 * answer { tables: [{ name, columns, rows }] }) with rows chosen by what the query reads.
 */
function logAnalytics(req: RecordedRequest) {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    return { status: 401, body: { error: { code: 'AuthorizationRequiredError', message: 'Valid authentication was not provided' } } };
  }
  if (req.method !== 'POST' || req.path !== `/v1/workspaces/${WORKSPACE}/query`) {
    return { status: 404, body: { error: { code: 'PathNotFoundError', message: `no route ${req.method} ${req.path}` } } };
  }
  const query = String(req.body?.query ?? '');
  const empty = { tables: [{ name: 'PrimaryResult', columns: [col('TimeGenerated', 'datetime')], rows: [] }] };
  if (query.includes('FrontierGuardAudit_CL')) {
    return { status: 400, body: { error: { code: 'BadArgumentError', message: "'FrontierGuardAudit_CL' could not be resolved to a table", innererror: { code: 'SemanticError' } } } };
  }
  if (query.includes('dcount(UserPrincipalName)')) {
    // password spray: two hourly bins from one address
    return {
      status: 200,
      body: {
        tables: [
          {
            name: 'PrimaryResult',
            columns: [col('IPAddress', 'string'), col('TimeGenerated', 'datetime'), col('accounts', 'long'), col('attempts', 'long'), col('sample', 'dynamic')],
            rows: [
              ['198.51.100.23', '2026-11-02T06:00:00Z', 15, 15, '["user0@contoso.com","user1@contoso.com"]'],
              ['198.51.100.23', '2026-11-02T07:00:00Z', 11, 12, '["user2@contoso.com"]'],
            ],
          },
        ],
      },
    };
  }
  if (query.includes('containers = dcount(container)')) {
    // an aggregate without a time column (the reader stamps it with the end of the range)
    return {
      status: 200,
      body: { tables: [{ name: 'PrimaryResult', columns: [col('principal', 'string'), col('AccountName', 'string'), col('listOps', 'long')], rows: [['eve@contoso.com', 'stweights01', 20]] }] },
    };
  }
  if (query.includes('sum(ResponseBodySize)')) {
    return {
      status: 200,
      body: {
        tables: [
          {
            name: 'PrimaryResult',
            columns: [col('principal', 'string'), col('isPerson', 'bool'), col('AccountName', 'string'), col('container', 'string'), col('TimeGenerated', 'datetime'), col('bytes', 'long'), col('reads', 'long')],
            rows: [['Mallory@Contoso.com', true, 'stweights01', 'checkpoints', '2026-11-02T12:00:00Z', 64424509440, 60]],
          },
        ],
      },
    };
  }
  if (query.includes('AKSAudit') && query.includes('"pods"')) {
    return {
      status: 200,
      body: {
        tables: [
          {
            name: 'PrimaryResult',
            columns: [col('TimeGenerated', 'datetime'), col('user', 'string'), col('cluster', 'string'), col('ns', 'string'), col('resource', 'string'), col('pod', 'string'), col('RequestUri', 'string'), col('SourceIps', 'dynamic')],
            rows: [['2026-11-02T12:05:00Z', 'eve@contoso.com', 'aks-train', 'research-llm', 'pods/exec', 'trainer-0', '/api/v1/namespaces/research-llm/pods/trainer-0/exec', '["203.0.113.9"]']],
          },
        ],
      },
    };
  }
  return { status: 200, body: empty };
}

describe('SentinelAlertReader (real @azure/monitor-query-logs against a local HTTPS Log Analytics query API)', () => {
  const tls = selfSignedCertificate();
  let server: Awaited<ReturnType<typeof startHttpsServer>>;
  const engine = new DetectionEngine({ config: resolveConfig({}) });
  // Test-only credential: Entra ID is not reachable here; everything after the token is the real SDK pipeline.
  const credential = (token: string): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) });
  const reader = (token = TOKEN) =>
    new SentinelAlertReader({
      workspaceId: WORKSPACE,
      credential: credential(token),
      engine,
      endpoint: `${server.url}/v1`,
      clientOptions: { tlsOptions: { ca: tls.cert }, retryOptions: { maxRetries: 0 } },
    });

  beforeAll(async () => {
    server = await startHttpsServer(tls, logAnalytics);
  });
  afterAll(() => server.close());
  beforeEach(() => server.requests.splice(0));

  it('runs the compiled KQL of every rule over the time range and groups the rows into alerts', async () => {
    const r = reader();
    const result = await r.read({ from: FROM, to: TO });
    // one POST per rule, with the rule's KQL and the ISO interval
    expect(server.requests).toHaveLength(r.listRules().length);
    expect(server.requests.map(q => q.body.query)).toEqual(r.listRules().map(x => x.kql));
    expect(new Set(server.requests.map(q => q.body.timespan))).toEqual(new Set([`${FROM.toISOString()}/${TO.toISOString()}`]));
    expect(r.listRules().map(x => x.id)).toEqual(expect.arrayContaining(['password-spray', 'weight-store-bulk-read', '572b12d4-9062-11ed-a1eb-0242ac120002']));

    const byRule = Object.fromEntries(result.alerts.map(a => [a.rule, a]));
    // the two hourly spray bins are within the alert window: one alert, both bins' attempts counted
    expect(byRule['password-spray']).toMatchObject({ severity: 'medium', principal: '198.51.100.23', resource: 'Entra ID', firstSeen: '2026-11-02T06:00:00.000Z', lastSeen: '2026-11-02T07:00:00.000Z', count: 27 });
    expect(byRule['weight-store-bulk-read']).toMatchObject({ title: 'Bulk read of a weight store', principal: 'mallory@contoso.com', resource: 'stweights01/checkpoints', count: 60 });
    expect(byRule['weight-store-bulk-read'].details).toMatchObject({ source: 'log-analytics', bytes: 64424509440 });
    // named as the engine names the same event (cluster/namespace/pods/exec/pod), so both group alike
    expect(byRule['k8s-exec-research-namespace']).toMatchObject({ principal: 'eve@contoso.com', resource: 'aks-train/research-llm/pods/exec/trainer-0', severity: 'high' });
    expect(result.rows).toMatchObject({ 'password-spray': 2, 'weight-store-bulk-read': 1, 'atypical-travel': 0 });
    // a query the workspace cannot run is reported with the service's message; the other rules still ran
    expect(result.errors).toEqual([{ rule: 'posture-drift', error: expect.stringContaining('could not be resolved'), partial: false }]);
  });

  it('gives the rows as detections, one per row, for a store that groups them itself', async () => {
    const { detections, errors } = await reader().readDetections({ from: FROM, to: TO });
    expect(detections.filter(d => d.rule === 'password-spray').map(d => [d.time, d.eventCount])).toEqual([
      [Date.parse('2026-11-02T06:00:00Z'), 15],
      [Date.parse('2026-11-02T07:00:00Z'), 12],
    ]);
    expect(detections).toHaveLength(5);
    expect(errors.map(e => e.rule)).toEqual(['posture-drift']);
  });

  it('queries a rule over its own range when one is given, and keys each row so a re-read row is known', async () => {
    const r = reader();
    const later = new Date('2026-11-02T12:00:00Z');
    const first = await r.readDetections({ from: FROM, to: TO, fromByRule: { 'password-spray': later } });
    const spans = new Map(server.requests.map(q => [q.body.query, q.body.timespan]));
    const kqlOf = (id: string) => r.listRules().find(x => x.id === id)!.kql;
    expect(spans.get(kqlOf('password-spray'))).toBe(`${later.toISOString()}/${TO.toISOString()}`);
    expect(spans.get(kqlOf('weight-store-bulk-read'))).toBe(`${FROM.toISOString()}/${TO.toISOString()}`);

    // the same rows read again over another range have the same keys; different rows differ
    const second = await r.readDetections({ from: new Date('2026-11-01T12:00:00Z'), to: new Date('2026-11-03T06:00:00Z') });
    const keys = (ds: typeof first.detections) => ds.map(d => `${d.rule} ${d.rowKey}`).sort();
    expect(keys(second.detections)).toEqual(keys(first.detections));
    expect(new Set(first.detections.map(d => d.rowKey)).size).toBe(first.detections.length);
    expect(first.detections.every(d => /^[0-9a-f]{64}$/.test(d.rowKey))).toBe(true);
    // a row without a time column: stamped with each read's end, keyed without it
    const enumeration = (ds: typeof first.detections) => ds.find(d => d.rule === 'storage-enumeration-new-principal')!;
    expect(enumeration(first.detections).time).not.toBe(enumeration(second.detections).time);
    expect(enumeration(first.detections).rowKey).toBe(enumeration(second.detections).rowKey);
  });

  it('keys an aggregated row by what it is about, not by its counts', () => {
    const identity = { principal: '198.51.100.23', resource: 'Entra ID', time: Date.parse('2026-11-02T06:00:00Z'), eventIds: [] };
    expect(isAggregated(reader().listRules().find(x => x.id === 'password-spray')!.kql)).toBe(true);
    expect(isAggregated(reader().listRules().find(x => x.id === 'k8s-exec-research-namespace')!.kql)).toBe(false);
    // same bin: the same key whatever the count; another bin, principal or rule: another key
    expect(rowKey('password-spray', identity, undefined)).toBe(rowKey('password-spray', { ...identity }, undefined));
    expect(rowKey('password-spray', identity, undefined)).not.toBe(rowKey('password-spray', { ...identity, time: identity.time + 3600_000 }, undefined));
    expect(rowKey('password-spray', identity, undefined)).not.toBe(rowKey('password-spray', { ...identity, principal: '198.51.100.24' }, undefined));
    expect(rowKey('password-spray', identity, undefined)).not.toBe(rowKey('atypical-travel', identity, undefined));
    // a record row: the whole row, its column order and Date objects aside
    const row = { TimeGenerated: new Date('2026-11-02T12:05:00Z'), user: 'eve@contoso.com', pod: 'trainer-0' };
    expect(rowKey('x', identity, row)).toBe(rowKey('x', { ...identity, time: 0 }, { pod: 'trainer-0', user: 'eve@contoso.com', TimeGenerated: '2026-11-02T12:05:00.000Z' }));
    expect(rowKey('x', identity, row)).not.toBe(rowKey('x', identity, { ...row, pod: 'trainer-1' }));
  });

  it('reports every rule as failed, and no alerts, when the workspace refuses the token', async () => {
    const result = await reader('wrong-token').read({ from: FROM, to: TO });
    expect(result.alerts).toEqual([]);
    expect(result.errors.length).toBe(reader().listRules().length);
    expect(result.errors[0].error).toMatch(/authentication/i);
  });
});
