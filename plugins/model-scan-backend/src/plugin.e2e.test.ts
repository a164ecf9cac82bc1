import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { modelScanPlugin } from './plugin';

// The plugin's database: the default service's clients are never destroyed (Backstage's
// DatabaseManager shutdown destroys none), and their pools' timers kept the jest worker alive;
// TestDatabases destroys its clients after the backends have stopped.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

// Real scans: the plugin claims the job from its queue and runs the engine
// (@internal/model-scanner) in a worker thread with heap and time limits.
jest.setTimeout(120_000);

const workDir = mkdtempSync(join(tmpdir(), 'model-scan-e2e-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Protocol 2 pickle: GLOBAL os.system, args ("echo pwned",), REDUCE — runs a shell command on load. */
const maliciousPickle = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from('cos\nsystem\n', 'latin1'),
  Buffer.from('(', 'latin1'), // MARK
  Buffer.from("S'echo pwned'\n", 'latin1'),
  Buffer.from('tR.', 'latin1'), // TUPLE, REDUCE, STOP
]);

/** Protocol 2 pickle of {'a': 1}. */
const benignPickle = Buffer.from([
  0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01,
  0x4b, 0x01, 0x73, 0x2e,
]);

/** Protocol 2 pickle calling an unknown class: mylib.Custom() — outside every allowlist. */
const suspiciousPickle = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from('cmylib\nCustom\n', 'latin1'),
  Buffer.from(')R.', 'latin1'), // EMPTY_TUPLE, REDUCE, STOP
]);

const alice = mockCredentials.user.header('user:default/alice');
const bob = mockCredentials.user.header('user:default/bob');

const permissions = mockServices.permissions.mock({
  authorize: async (requests, options) => {
    const principal = options.credentials.principal as {
      userEntityRef?: string;
    };
    return requests.map(r => ({
      result:
        (r as { permission: { name: string } }).permission.name ===
          'model-scan.verdict.accept' &&
        principal.userEntityRef !== 'user:default/bob'
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    })) as any;
  },
});

async function waitForScan(server: any, id: string) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await request(server)
      .get(`/api/model-scan/scans/${id}`)
      .set('Authorization', alice);
    expect(res.status).toBe(200);
    if (['completed', 'failed'].includes(res.body.scan.status))
      return res.body.scan;
    if (Date.now() > deadline)
      throw new Error(`scan ${id} did not finish: ${JSON.stringify(res.body)}`);
    await new Promise(r => setTimeout(r, 200));
  }
}

describe('model-scan end to end (queue + worker thread + engine)', () => {
  let server: any;
  const completed: string[] = [];

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        modelScanPlugin,
        permissions.factory,
        // upload entity refs must name a catalog entity the caller may see
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'demo-model', namespace: 'default' },
              spec: { type: 'model', owner: 'group:default/frontier-research', lifecycle: 'production' },
            },
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            modelScan: {
              workDir,
              worker: {
                concurrency: 2,
                timeoutSeconds: 60,
                maxOldGenerationSizeMb: 256,
              },
            },
          },
        }),
      ],
    }));
  });

  it('finds the malicious pickle, refuses it at the gate, and reuses the cached result', async () => {
    const upload = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', alice)
      .field('entityRef', 'component:default/demo-model')
      .attach('file', maliciousPickle, 'evil.pkl');
    expect(upload.status).toBe(202);
    expect(upload.body.scan).toMatchObject({
      status: 'queued',
      trigger: 'upload',
      requestedBy: 'user:default/alice',
      entityRef: 'component:default/demo-model',
    });
    expect(upload.body.scan.target).toMatch(
      /^upload:\/\/[0-9a-f]{64}\/evil\.pkl$/,
    );

    const scan = await waitForScan(server, upload.body.scan.id);
    completed.push(scan.id);
    expect(scan.status).toBe('completed');
    expect(scan.verdict).toBe('malicious');
    expect(scan.severity).toBe('critical');
    expect(scan.progress).toMatchObject({ filesDone: 1, filesTotal: 1 });
    expect(scan.files).toHaveLength(1);
    const [file] = scan.files;
    expect(file).toMatchObject({
      path: 'evil.pkl',
      verdict: 'malicious',
      cached: false,
      size: maliciousPickle.length,
    });
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(file.findings.length).toBeGreaterThan(0);
    expect(file.findings.flatMap((f: any) => f.atlas).length).toBeGreaterThan(
      0,
    );

    const gate = await request(server)
      .get('/api/model-scan/gate')
      .query({ target: scan.target })
      .set('Authorization', mockCredentials.service.header());
    expect(gate.status).toBe(200);
    expect(gate.body.allowed).toBe(false);
    expect(gate.body.reasons.join('\n')).toMatch(/malicious/);

    // a security reviewer cannot accept a malicious verdict
    const accept = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', bob)
      .send({
        sha256: file.sha256,
        justification: 'I really want to deploy this model anyway.',
        expiresAt: new Date(Date.now() + 86400_000).toISOString(),
      });
    expect(accept.status).toBe(409);
    expect(accept.body.error.message).toMatch(
      /malicious verdict can never be accepted/,
    );

    // same bytes again (rescan): the cached result is reused, no new engine run
    const rescan = await request(server)
      .post(`/api/model-scan/scans/${scan.id}/rescan`)
      .set('Authorization', bob);
    expect(rescan.status).toBe(202);
    const again = await waitForScan(server, rescan.body.scan.id);
    expect(again.verdict).toBe('malicious');
    expect(again.files[0]).toMatchObject({ sha256: file.sha256, cached: true });
    // uploads are stored once per content hash
    expect(
      readdirSync(join(workDir, 'uploads')).filter(n => !n.startsWith('.')),
    ).toHaveLength(1);
  });

  it('passes a benign pickle and the gate allows that version', async () => {
    const upload = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', alice)
      .attach('file', benignPickle, 'weights.pkl');
    expect(upload.status).toBe(202);
    const scan = await waitForScan(server, upload.body.scan.id);
    expect(scan).toMatchObject({ status: 'completed', verdict: 'safe' });
    expect(scan.files[0]).toMatchObject({ verdict: 'safe', findings: [] });

    const gate = await request(server)
      .get('/api/model-scan/gate')
      .query({ target: scan.target })
      .set('Authorization', alice);
    expect(gate.body).toMatchObject({ allowed: true, reasons: [] });
    expect(gate.body.files).toEqual([
      { path: 'weights.pkl', sha256: scan.files[0].sha256, verdict: 'safe' },
    ]);

    const stats = await request(server)
      .get('/api/model-scan/stats?days=7')
      .set('Authorization', alice);
    expect(stats.status).toBe(200);
    expect(stats.body.filesScanned).toBe(3);
    expect(stats.body.byVerdict).toMatchObject({ malicious: 2, safe: 1 });
    expect(stats.body.topRules.length).toBeGreaterThan(0);
    expect(stats.body.byAtlas.length).toBeGreaterThan(0);

    const list = await request(server)
      .get('/api/model-scan/scans?verdict=malicious')
      .set('Authorization', alice);
    expect(list.body.total).toBe(2);
  });

  // The accept -> exception -> another reviewer approves -> gate path runs both plugins; it lives in
  // packages/backend/src/integration/modelScanExceptions.test.ts (a backend plugin may not import
  // another). Here: a suspicious file is blocked and only holders of the accept permission may ask.
  it('blocks a suspicious file at the gate and lets only a security reviewer ask to accept it', async () => {
    const upload = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', alice)
      .attach('file', suspiciousPickle, 'custom.pkl');
    const scan = await waitForScan(server, upload.body.scan.id);
    expect(scan.verdict).toBe('suspicious');
    const sha256 = scan.files[0].sha256;

    const before = await request(server)
      .get('/api/model-scan/gate')
      .query({ target: scan.target })
      .set('Authorization', alice);
    expect(before.body.allowed).toBe(false);
    expect(before.body.reasons.join()).toMatch(/no valid acceptance/);

    const verdict = await request(server).get(`/api/model-scan/verdicts/${sha256}`).set('Authorization', alice);
    expect(verdict.body).toEqual({ sha256, verdict: 'suspicious' });
    expect((await request(server).get('/api/model-scan/verdicts/nothex').set('Authorization', alice)).status).toBe(400);

    const byAlice = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', alice)
      .send({
        sha256,
        justification: 'mylib.Custom is our own tokenizer class, reviewed in SEC-123.',
        expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
      });
    expect(byAlice.status).toBe(403);
  });
});

