import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import type { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { recordingAuditor } from '@internal/test-stand-ins';
import type { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import { modelScanPlugin } from './plugin';

/**
 * Issue 12 item 11: a suspicious or malicious scan reaches the security reviewers and the person
 * who requested it (notifications with a link to the scan page); that person, and only they,
 * may ask the reviewers for a review once, with a note; the request is stored, shown on the scan
 * and audited, refusals included. Real queue, worker thread and engine; SQLite and PostgreSQL.
 */
jest.setTimeout(120_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = 'user:default/alice';
const alice = mockCredentials.user.header(ALICE);
const bob = mockCredentials.user.header('user:default/bob');
const mallory = mockCredentials.user.header('user:default/mallory');

/** GLOBAL os.system, ("echo pwned",), REDUCE: runs a shell command when loaded. */
const maliciousPickle = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from('cos\nsystem\n(S\'echo pwned\'\ntR.', 'latin1'),
]);
/** {'a': 1} */
const benignPickle = Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01, 0x4b, 0x01, 0x73, 0x2e]);

/** mallory may not even read scans; everyone else may read and create. */
const permissions = mockServices.permissions.mock({
  authorize: async (requests, options) => {
    const user = (options.credentials.principal as { userEntityRef?: string }).userEntityRef;
    return requests.map(() => ({ result: user === 'user:default/mallory' ? AuthorizeResult.DENY : AuthorizeResult.ALLOW })) as any;
  },
});

const entity = (kind: string, name: string, spec: JsonObject): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name, namespace: 'default' },
  spec,
});

async function start(databaseId: 'SQLITE_3' | 'POSTGRES_15', workDir: string) {
  const sent: NotificationSendOptions[] = [];
  const auditor = recordingAuditor();
  const backend = await startTestBackend({
    features: [
      mockServices.database.factory({ knex: await databases.init(databaseId) }),
      modelScanPlugin,
      permissions.factory,
      createServiceFactory({ service: coreServices.auditor, deps: {}, factory: () => auditor }),
      // stand-in for the notifications backend: records what the plugin sends
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({ send: async (o: NotificationSendOptions) => void sent.push(o) }),
      }),
      catalogServiceMock.factory({
        entities: [
          entity('Component', 'demo-model', { type: 'model', owner: 'group:default/frontier-research', lifecycle: 'production' }),
          entity('Component', 'portal-web', { type: 'website', owner: 'group:default/frontier-research', lifecycle: 'production' }),
          entity('User', 'alice', { profile: { displayName: 'Alice Researcher' }, memberOf: [] }),
        ],
      }),
      mockServices.rootConfig.factory({
        data: { modelScan: { workDir, worker: { concurrency: 2, timeoutSeconds: 60, maxOldGenerationSizeMb: 256 } } },
      }),
    ],
  });
  const server = backend.server;
  const stop = () => backend.stop();
  const upload = async (bytes: Buffer, name: string, entityRef?: string) => {
    const req = request(server).post('/api/model-scan/scans/upload').set('Authorization', alice);
    if (entityRef) req.field('entityRef', entityRef);
    return req.attach('file', bytes, name);
  };
  const finished = async (id: string) => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const res = await request(server).get(`/api/model-scan/scans/${id}`).set('Authorization', alice);
      if (['completed', 'failed'].includes(res.body.scan?.status)) return res.body.scan;
      if (Date.now() > deadline) throw new Error(`scan ${id} did not finish`);
      await new Promise(r => setTimeout(r, 100));
    }
  };
  const askForReview = (id: string, who: string, body: unknown) =>
    request(server).post(`/api/model-scan/scans/${id}/review-request`).set('Authorization', who).send(body as object);
  return { server, stop, sent, auditor, upload, finished, askForReview };
}

describe.each(databases.eachSupportedId())('flagged scans reach people, on %p', databaseId => {
  let workDir: string;
  let t: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'model-scan-review-'));
    t = await start(databaseId as 'SQLITE_3' | 'POSTGRES_15', workDir);
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('notifies the reviewers and the uploader of a malicious upload, with a link to the scan page; nobody of a safe one', async () => {
    const evil = await t.upload(maliciousPickle, 'evil.pkl', 'component:default/demo-model');
    expect(evil.status).toBe(202);
    const scan = await t.finished(evil.body.scan.id);
    expect(scan).toMatchObject({ verdict: 'malicious', entityRef: 'component:default/demo-model' });
    const safe = await t.finished((await t.upload(benignPickle, 'fine.pkl')).body.scan.id);
    expect(safe.verdict).toBe('safe');

    const link = `/model-scan/scans/${scan.id}`;
    expect(t.sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: 'group:default/security-reviewers', excludeEntityRef: ALICE },
        payload: expect.objectContaining({
          title: 'Malicious model file: evil.pkl',
          description: expect.stringMatching(/^Scanned for Alice Researcher \(upload\): malicious, \d+ findings?\./),
          link,
          severity: 'critical',
          topic: 'model-scan',
          // per target: a rescan of the same file replaces the notice instead of adding one
          scope: expect.stringMatching(/^model-scan:flagged:[0-9a-f]{32}$/),
        }),
      },
      {
        recipients: { type: 'entity', entityRef: ALICE, excludeEntityRef: undefined },
        payload: expect.objectContaining({
          title: 'Your scan of evil.pkl is malicious',
          description: expect.stringContaining('ask them for a review'),
          link,
        }),
      },
    ]);
  });

  it('lets only the uploader ask for a review, once, with a note; refusals are audited', async () => {
    const evil = await t.finished((await t.upload(maliciousPickle, 'evil-2.pkl')).body.scan.id);
    const safe = await t.finished((await t.upload(benignPickle, 'fine-2.pkl')).body.scan.id);
    t.sent.length = 0;
    t.auditor.events.length = 0;

    // someone else who may read the scan (a reviewer) cannot ask on the uploader's behalf
    const other = await t.askForReview(evil.id, bob, { note: 'please look at this one' });
    expect(other.status).toBe(403);
    expect(other.body.error.message).toBe('Only the person who requested this scan may ask for its review');
    // nor can someone who may not read scans at all
    expect((await t.askForReview(evil.id, mallory, { note: 'please look at this one' })).status).toBe(403);
    // the note is required and checked like every free text
    const noNote = await t.askForReview(evil.id, alice, {});
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.message).toMatch(/^note: /);
    expect((await t.askForReview(evil.id, alice, { note: 'short' })).status).toBe(400);
    expect((await t.askForReview(evil.id, alice, { note: 'a note \u202e with a bidi override' })).status).toBe(400);
    // a safe scan needs no review; an unknown scan is a 404
    const notFlagged = await t.askForReview(safe.id, alice, { note: 'please look at this one' });
    expect(notFlagged.status).toBe(409);
    expect((await t.askForReview('00000000-0000-4000-8000-000000000000', alice, { note: 'please look at this one' })).status).toBe(404);
    expect(t.sent).toEqual([]);

    const note = 'This is our own fine-tune from the eval cluster; the os.system call is the harness.';
    const asked = await t.askForReview(evil.id, alice, { note });
    expect(asked.status).toBe(200);
    expect(asked.body.scan.reviewRequest).toEqual({ requestedBy: ALICE, requestedAt: expect.any(String), note });
    expect(t.sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: 'group:default/security-reviewers', excludeEntityRef: ALICE },
        payload: expect.objectContaining({
          title: 'Review requested by Alice Researcher: evil-2.pkl (malicious)',
          description: `“${note}”`,
          link: `/model-scan/scans/${evil.id}`,
          severity: 'critical',
        }),
      },
    ]);
    const again = await t.askForReview(evil.id, alice, { note: 'and again, please look' });
    expect(again.status).toBe(409);

    // reviewers see the mark on the scan and in the list
    const read = await request(t.server).get(`/api/model-scan/scans/${evil.id}`).set('Authorization', bob);
    expect(read.body.scan.reviewRequest).toMatchObject({ requestedBy: ALICE, note });
    const list = await request(t.server).get('/api/model-scan/scans?limit=500').set('Authorization', bob);
    const listed = list.body.items.find((s: any) => s.id === evil.id);
    expect(listed.reviewRequest).toMatchObject({ requestedBy: ALICE, note });

    const events = t.auditor.events.filter(e => e.eventId === 'scan-review-request');
    expect(events.map(e => e.outcome)).toEqual(['fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'success', 'fail']);
    expect(events[7].meta).toMatchObject({ scanId: evil.id, verdict: 'malicious' });
    expect(events[0].error).toMatch(/Only the person who requested this scan/);
  });

  it('stores exactly one of two concurrent review requests', async () => {
    const evil = await t.finished((await t.upload(maliciousPickle, 'evil-3.pkl')).body.scan.id);
    const answers = await Promise.all([
      t.askForReview(evil.id, alice, { note: 'first request for a review' }),
      t.askForReview(evil.id, alice, { note: 'second request for a review' }),
    ]);
    expect(answers.map(a => a.status).sort()).toEqual([200, 409]);
    const stored = await request(t.server).get(`/api/model-scan/scans/${evil.id}`).set('Authorization', alice);
    expect(stored.body.scan.reviewRequest.note).toBe(answers.find(a => a.status === 200)!.body.scan.reviewRequest.note);
  });

  it('ties an upload only to a model entity the caller may see', async () => {
    const notModel = await t.upload(benignPickle, 'x.pkl', 'component:default/portal-web');
    expect(notModel.status).toBe(400);
    expect(notModel.body.error.message).toMatch(/^entityRef: component:default\/portal-web is not a model/);
    const missing = await t.upload(benignPickle, 'x.pkl', 'component:default/no-such-model');
    expect(missing.status).toBe(404);
    const bad = await request(t.server)
      .post('/api/model-scan/scans')
      .set('Authorization', alice)
      .send({ target: 'hf://org/model', entityRef: 'user:default/alice' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/is not a model/);
  });
});
