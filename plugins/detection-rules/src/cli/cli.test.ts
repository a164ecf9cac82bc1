import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PassThrough } from 'node:stream';
import { main } from './main';
import * as b from '../testing/builders';

const D = '2026-11-03T09:00:00Z';
const at = (m: number) => b.iso(D, m);

async function cli(args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: string[] = [];
  const errs: string[] = [];
  out.on('data', c => chunks.push(String(c)));
  err.on('data', c => errs.push(String(c)));
  const code = await main(args, { stdout: out, stderr: err });
  return { code, stdout: chunks.join(''), stderr: errs.join('') };
}

describe('detections replay', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detections-cli-'));
    const W = { account: 'frontierweights', container: 'frontier-70b' };
    // storage file (gzip): mallory downloads 40 shards without a grant, alice reads with one
    const storage = [
      ...Array.from({ length: 40 }, (_, i) => b.diagnosticBlobLog({ time: at(i), ...W, blob: `m-${i}.safetensors`, bytes: 4 * b.GiB, upn: 'mallory@contoso.com', objectId: 'oid-m', ip: '20.1.1.1', correlationId: `corr-m-${i}` })),
      b.diagnosticBlobLog({ time: at(5), ...W, blob: 'config.json', bytes: 1000, upn: 'alice@contoso.com', objectId: 'oid-alice' }),
    ];
    fs.writeFileSync(path.join(dir, 'storage.ndjson.gz'), zlib.gzipSync(storage.map(r => JSON.stringify(r)).join('\n')));
    // mixed file, slightly out of order, with a diagnostic batch line and a bad line
    const mixed = [
      JSON.stringify(b.k8sAudit({ time: at(30), user: 'bob@contoso.com', verb: 'create', resource: 'pods', namespace: 'research-llm', name: 'p', subresource: 'exec', code: 101, auditID: 'exec-1' })),
      JSON.stringify({ records: [b.graphSignIn({ time: at(2), upn: 'carol@contoso.com', ip: '81.2.69.142', errorCode: 50126 })] }),
      '{"broken": ',
      JSON.stringify(b.hubbleFlow({ time: at(1), ns: 'monitoring', pod: 'prom-0', srcIp: '10.244.9.9', dstIp: '1.1.1.1', port: 443, verdict: 'DROPPED' })),
    ];
    fs.writeFileSync(path.join(dir, 'mixed.ndjson'), `${mixed.join('\n')}\n`);
    fs.writeFileSync(
      path.join(dir, 'grants.json'),
      JSON.stringify({
        generatedAt: at(0),
        grants: [
          {
            id: 'g1',
            user: { ref: 'user:default/alice', email: 'alice@contoso.com', upn: 'alice@contoso.com', objectId: 'oid-alice' },
            resource: { ref: 'resource:default/weights-frontier-70b', azureScope: `/subscriptions/${b.SUB}/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/frontierweights/blobServices/default/containers/frontier-70b` },
            role: 'blob-reader',
            status: 'active',
            start: at(-60),
            end: at(600),
          },
        ],
      }),
    );
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'detections:\n  bulkRead:\n    minBytes: 1000000000000\n');
    fs.writeFileSync(path.join(dir, 'bad-config.yaml'), 'bulkRead:\n  minBytes: lots\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints exactly the alert fields as JSON, reading gzip and mixed files, with the grant export', async () => {
    const r = await cli(['replay', path.join(dir, 'storage.ndjson.gz'), path.join(dir, 'mixed.ndjson'), '--grants', path.join(dir, 'grants.json')]);
    expect(r.code).toBe(0);
    const { alerts } = JSON.parse(r.stdout);
    for (const a of alerts) {
      expect(Object.keys(a)).toEqual(['rule', 'title', 'severity', 'principal', 'resource', 'firstSeen', 'lastSeen', 'count', 'events']);
    }
    const rules = alerts.map((a: any) => `${a.rule} ${a.principal}`).sort();
    expect(rules).toEqual([
      'k8s-exec-research-namespace bob@contoso.com',
      'weight-store-bulk-read mallory@contoso.com',
      'weight-store-read-without-grant mallory@contoso.com',
    ]);
    const bulk = alerts.find((a: any) => a.rule === 'weight-store-bulk-read');
    expect(bulk).toMatchObject({ resource: 'frontierweights/frontier-70b', severity: 'high', firstSeen: new Date(at(0)).toISOString() });
    expect(bulk.events).toContain('corr-m-0');
    expect(alerts.find((a: any) => a.rule === 'weight-store-read-without-grant').count).toBe(40);
    expect(r.stderr).toMatch(/mixed.ndjson:3: not JSON/);
  });

  it('takes thresholds from --config and prints a table', async () => {
    const r = await cli(['replay', path.join(dir, 'storage.ndjson.gz'), '--config', path.join(dir, 'config.yaml'), '--format', 'table']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('No alerts.\n');
    const t = await cli(['replay', path.join(dir, 'mixed.ndjson'), '--format', 'table']);
    expect(t.stdout.split('\n')[0]).toMatch(/^SEVERITY\s+RULE\s+PRINCIPAL/);
    expect(t.stdout).toContain('k8s-exec-research-namespace');
  });

  it('exits 2 with a message on bad input', async () => {
    expect((await cli(['replay'])).code).toBe(2);
    const missing = await cli(['replay', path.join(dir, 'nope.ndjson')]);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toMatch(/no such file/);
    expect((await cli(['replay', path.join(dir, 'mixed.ndjson'), '--format', 'xml'])).stderr).toMatch(/--format must be json or table/);
    const badCfg = await cli(['replay', path.join(dir, 'mixed.ndjson'), '--config', path.join(dir, 'bad-config.yaml')]);
    expect(badCfg.code).toBe(2);
    expect(badCfg.stderr).toMatch(/bulkRead.minBytes/);
    const badGrants = await cli(['replay', path.join(dir, 'mixed.ndjson'), '--grants', path.join(dir, 'mixed.ndjson')]);
    expect(badGrants.code).toBe(2);
    expect((await cli(['replay', path.join(dir, 'mixed.ndjson'), '--bogus'])).stderr).toMatch(/unknown option --bogus/);
  });

  it('lists rules and their KQL', async () => {
    const r = await cli(['rules', '--kql']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('// weight-store-bulk-read');
    expect(r.stdout).toContain('StorageBlobLogs');
  });
});
