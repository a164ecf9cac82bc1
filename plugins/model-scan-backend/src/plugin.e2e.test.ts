import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { modelScanPlugin } from './plugin';
// acceptances are exceptions held by policy-exceptions: both plugins run, talking over HTTP
import policyExceptionsPlugin from '@internal/plugin-policy-exceptions-backend';

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
const carol = mockCredentials.user.header('user:default/carol');
const person = (name: string, groups: string[]) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { memberOf: groups },
  relations: groups.map(targetRef => ({ type: 'memberOf', targetRef })),
});

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
        modelScanPlugin,
        policyExceptionsPlugin,
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
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
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Resource',
              metadata: { name: 'model-registry', namespace: 'default' },
              spec: { type: 'model-registry', owner: 'group:default/frontier-research' },
            },
            person('alice', ['group:default/researchers']),
            person('bob', ['group:default/security-reviewers']),
            person('carol', ['group:default/security-reviewers']),
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

  it('lets only a security reviewer ask to accept a suspicious file; once another reviewer approves the exception the gate allows it', async () => {
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

    const body = {
      sha256,
      justification:
        'mylib.Custom is our own tokenizer class, reviewed in SEC-123.',
      expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
    };
    const byAlice = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', alice)
      .send(body);
    expect(byAlice.status).toBe(403);

    const byBob = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', bob)
      .send(body);
    expect(byBob.status).toBe(201);
    const exception = byBob.body.exception;
    expect(exception).toMatchObject({
      controlId: 'FG-MODEL-SCAN',
      requester: 'user:default/bob',
      status: 'submitted',
      content: { scope: { entityRefs: ['resource:default/model-registry'], findingKey: `sha256:${sha256}` }, endsAt: body.expiresAt },
    });
    // filed, not yet approved: the gate still refuses
    const pending = await request(server)
      .get('/api/model-scan/gate')
      .query({ target: scan.target })
      .set('Authorization', alice);
    expect(pending.body.allowed).toBe(false);
    // no self-approval: Bob asked, another current reviewer decides
    const self = await request(server)
      .post(`/api/policy-exceptions/exceptions/${exception.id}/reviews`)
      .set('Authorization', bob)
      .send({ decision: 'approve' });
    expect(self.status).toBe(403);
    const byCarol = await request(server)
      .post(`/api/policy-exceptions/exceptions/${exception.id}/reviews`)
      .set('Authorization', carol)
      .send({ decision: 'approve' });
    expect(byCarol.status).toBe(200);

    const after = await request(server)
      .get('/api/model-scan/gate')
      .query({ target: scan.target })
      .set('Authorization', alice);
    expect(after.body).toMatchObject({ allowed: true, reasons: [] });
    expect(after.body.files[0].acceptedUntil).toBe(body.expiresAt);

    const shown = await request(server)
      .get(`/api/model-scan/scans/${scan.id}`)
      .set('Authorization', alice);
    expect(shown.body.scan.files[0].acceptedUntil).toBe(body.expiresAt);
  });
});

describe('model-file exceptions asked of policy-exceptions directly', () => {
  it('are refused for a malicious file (verdict read from model-scan over HTTP)', async () => {
    const { server } = await startTestBackend({
      features: [
        modelScanPlugin,
        policyExceptionsPlugin,
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        permissions.factory,
        catalogServiceMock.factory({
          entities: [
            { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'model-registry', namespace: 'default' }, spec: { type: 'model-registry', owner: 'group:default/frontier-research' } },
            person('alice', ['group:default/researchers']),
          ],
        }),
        mockServices.rootConfig.factory({ data: { modelScan: { workDir, worker: { concurrency: 1, timeoutSeconds: 60, maxOldGenerationSizeMb: 256 } } } }),
      ],
    });
    const upload = await request(server).post('/api/model-scan/scans/upload').set('Authorization', alice).attach('file', maliciousPickle, 'evil2.pkl');
    const scan = await waitForScan(server, upload.body.scan.id);
    expect(scan.verdict).toBe('malicious');
    const res = await request(server)
      .post('/api/policy-exceptions/exceptions')
      .set('Authorization', alice)
      .send({
        controlId: 'FG-MODEL-SCAN',
        scope: { entityRefs: ['resource:default/model-registry'], findingKey: `sha256:${scan.files[0].sha256}` },
        justification: 'We really want to use this file for the benchmark run.',
        reasonCategory: 'risk-accepted',
        risk: { likelihood: 'medium', impact: 'medium' },
        compensatingControls: [{ kind: 'catalog', controlId: 'FG-MODEL-SERVING-ISOLATION' }],
        owner: 'user:default/alice',
        endsAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
      });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/malicious verdict can never be excepted/);
  });
});
