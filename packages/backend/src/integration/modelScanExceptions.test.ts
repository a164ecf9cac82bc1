import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import modelScanPlugin from '@internal/plugin-model-scan-backend';
import policyExceptionsPlugin from '@internal/plugin-policy-exceptions-backend';
import { frontierGuardDatabaseServiceFactory } from '../database';

/*
 * Model-scan acceptances are exceptions (issue 9): the two real plugins in one backend, talking
 * over HTTP with service and on-behalf-of tokens (discovery, auth), real scans in a worker thread,
 * in-memory SQLite per plugin. Lives here because a backend plugin may not import another.
 */
jest.setTimeout(120_000);

const workDir = mkdtempSync(join(tmpdir(), 'model-scan-exceptions-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Protocol 2 pickle calling an unknown class: mylib.Custom() — suspicious. */
const suspiciousPickle = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cmylib\nCustom\n', 'latin1'), Buffer.from(')R.', 'latin1')]);
/** Protocol 2 pickle: GLOBAL os.system("echo pwned") — malicious. */
const maliciousPickle = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from('cos\nsystem\n', 'latin1'),
  Buffer.from('(', 'latin1'),
  Buffer.from("S'echo pwned'\n", 'latin1'),
  Buffer.from('tR.', 'latin1'),
]);

const alice = mockCredentials.user.header('user:default/alice');
const bob = mockCredentials.user.header('user:default/bob');
const carol = mockCredentials.user.header('user:default/carol');

/** As the portal's policy: only security reviewers may accept verdicts and review exceptions. */
const reviewerOnly = new Set(['model-scan.verdict.accept', 'policy-exceptions.exception.review']);
const permissions = mockServices.permissions.mock({
  authorize: async (requests: any[], options: any) => {
    const user = options.credentials.principal.userEntityRef;
    return requests.map(r => ({
      result: !reviewerOnly.has(r.permission.name) || user === 'user:default/bob' || user === 'user:default/carol' ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    })) as any;
  },
});

const person = (name: string, groups: string[]) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { memberOf: groups },
  relations: groups.map(targetRef => ({ type: 'memberOf', targetRef })),
});

async function waitForScan(server: any, id: string) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await request(server).get(`/api/model-scan/scans/${id}`).set('Authorization', alice);
    expect(res.status).toBe(200);
    if (['completed', 'failed'].includes(res.body.scan.status)) return res.body.scan;
    if (Date.now() > deadline) throw new Error(`scan ${id} did not finish`);
    await new Promise(r => setTimeout(r, 200));
  }
}

describe('model-scan acceptances as policy exceptions', () => {
  let server: any;
  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        // the portal's database service: it destroys its clients when the backend stops (the
        // default one never does, and the pools' timers kept the jest worker alive)
        frontierGuardDatabaseServiceFactory,
        modelScanPlugin,
        policyExceptionsPlugin,
        permissions.factory,
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        catalogServiceMock.factory({
          entities: [
            { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'model-registry', namespace: 'default' }, spec: { type: 'model-registry', owner: 'group:default/frontier-research' } },
            person('alice', ['group:default/researchers']),
            person('bob', ['group:default/security-reviewers']),
            person('carol', ['group:default/security-reviewers']),
          ] as any,
        }),
        mockServices.rootConfig.factory({
          data: { modelScan: { workDir, worker: { concurrency: 1, timeoutSeconds: 60, maxOldGenerationSizeMb: 256 } }, policyExceptions: { checks: { postureSource: 'none' } } },
        }),
      ],
    }));
  });

  it('an accept files an exception; the gate allows the file only once another reviewer approved it', async () => {
    const upload = await request(server).post('/api/model-scan/scans/upload').set('Authorization', alice).attach('file', suspiciousPickle, 'custom.pkl');
    const scan = await waitForScan(server, upload.body.scan.id);
    expect(scan.verdict).toBe('suspicious');
    const sha256 = scan.files[0].sha256;
    const body = { sha256, justification: 'mylib.Custom is our own tokenizer class, reviewed in SEC-123.', expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString() };

    expect((await request(server).post('/api/model-scan/acceptances').set('Authorization', alice).send(body)).status).toBe(403);
    const byBob = await request(server).post('/api/model-scan/acceptances').set('Authorization', bob).send(body);
    expect(byBob.status).toBe(201);
    const exception = byBob.body.exception;
    expect(exception).toMatchObject({
      controlId: 'FG-MODEL-SCAN',
      requester: 'user:default/bob',
      status: 'submitted',
      content: { scope: { entityRefs: ['resource:default/model-registry'], findingKey: `sha256:${sha256}` }, endsAt: body.expiresAt },
    });
    const pending = await request(server).get('/api/model-scan/gate').query({ target: scan.target }).set('Authorization', alice);
    expect(pending.body.allowed).toBe(false);

    // no self-approval: Bob asked; a researcher may not review; Carol decides
    expect((await request(server).post(`/api/policy-exceptions/exceptions/${exception.id}/reviews`).set('Authorization', bob).send({ decision: 'approve' })).status).toBe(403);
    expect((await request(server).post(`/api/policy-exceptions/exceptions/${exception.id}/reviews`).set('Authorization', alice).send({ decision: 'approve' })).status).toBe(403);
    expect((await request(server).post(`/api/policy-exceptions/exceptions/${exception.id}/reviews`).set('Authorization', carol).send({ decision: 'approve' })).status).toBe(200);

    const after = await request(server).get('/api/model-scan/gate').query({ target: scan.target }).set('Authorization', alice);
    expect(after.body).toMatchObject({ allowed: true, reasons: [] });
    expect(after.body.files[0].acceptedUntil).toBe(body.expiresAt);
    const shown = await request(server).get(`/api/model-scan/scans/${scan.id}`).set('Authorization', alice);
    expect(shown.body.scan.files[0].acceptedUntil).toBe(body.expiresAt);

    // revoked: the gate blocks the file again on the next read
    expect((await request(server).post(`/api/policy-exceptions/exceptions/${exception.id}/revoke`).set('Authorization', carol).send({ reason: 'tokenizer replaced' })).status).toBe(200);
    const revoked = await request(server).get('/api/model-scan/gate').query({ target: scan.target }).set('Authorization', alice);
    expect(revoked.body.allowed).toBe(false);
  });

  it('an exception for a malicious file is refused (verdict read from model-scan)', async () => {
    const upload = await request(server).post('/api/model-scan/scans/upload').set('Authorization', alice).attach('file', maliciousPickle, 'evil.pkl');
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
