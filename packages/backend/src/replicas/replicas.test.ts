import path from 'node:path';
import http from 'node:http';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '@internal/test-stand-ins';
import { Replica, REPO_ROOT, call, dropDatabases, queryDatabase, startPgReplica, tempDir } from './replica';

/**
 * Two replicas of the real backend on one PostgreSQL (same database prefix, so every plugin
 * shares its database): scheduled global work runs once per interval across both, an approval
 * taken through one replica is seen and enforced by the other, a model upload received by one
 * replica is scanned by the other (uploads in shared blob storage: the real Azurite), and no
 * approval is lost when a replica is killed (SIGKILL) while approvals are in flight.
 */

jest.setTimeout(240_000);

const USERS = ['alice', 'bob', 'carol'];
const RESOURCE = 'resource:default/weights-frontier-7b';
const ROLE = 'blob-reader'; // two security reviewers approve
const SWEEP_SECONDS = 3; // accessRequests.expiry.frequencyMinutes = 0.05
const RESCAN_SECONDS = 4; // modelScan.rescan.schedule.frequency
const SWEEP_MARKER = 'access-requests: scheduled expiry sweep run';
const RESCAN_MARKER = 'Periodic rescan queued';

const prefix = `fg_replicas_${process.pid}_`;
let a: Replica;
let b: Replica;
let tokens: Record<string, string>;
let azurite: Awaited<ReturnType<typeof startAzurite>>;

async function startReplica(name: string, dir: string, scanWorkers = 1): Promise<Replica> {
  return startPgReplica(name, dir, prefix, {
    backend: {
      // one debug line per scheduled expiry sweep run (plugin.ts), nothing else at debug
      logger: { overrides: [{ matchers: { plugin: 'access-requests' }, level: 'debug' }] },
    },
    // the org and the resources; no models, so a rescan run queues nothing (and logs one line)
    catalog: {
      locations: [
        { type: 'file', target: path.join(REPO_ROOT, 'catalog/org.yaml'), rules: [{ allow: ['User', 'Group'] }] },
        { type: 'file', target: path.join(REPO_ROOT, 'catalog/resources.yaml') },
      ],
    },
    modelScan: {
      workDir: path.join(dir, `model-scan-${name}`),
      // uploads where every replica reads them; `scanWorkers: 0` makes a replica that only receives
      worker: { concurrency: scanWorkers, pollSeconds: 1 },
      uploads: {
        storage: {
          type: 'azure-blob',
          endpoint: azurite.endpoint,
          container: 'replica-uploads',
          accountName: AZURITE_ACCOUNT,
          accountKey: AZURITE_KEY,
        },
      },
      rescan: {
        schedule: { frequency: { seconds: RESCAN_SECONDS }, timeout: { seconds: 60 }, initialDelay: { seconds: 1 } },
      },
    },
    accessRequests: { expiry: { frequencyMinutes: SWEEP_SECONDS / 60 } },
  });
}

/** Waits until the catalog (as read through `replica`) has the reviewers in security-reviewers. */
async function reviewersIngested(replica: Replica, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const token = tokens.alice;
  for (;;) {
    const members = await Promise.all(
      ['bob', 'carol'].map(async u => {
        const r = await call(`${replica.api}/catalog/entities/by-name/user/default/${u}`, { token });
        return (r.json?.relations ?? []).some(
          (rel: any) => rel.type === 'memberOf' && rel.targetRef === 'group:default/security-reviewers',
        );
      }),
    );
    if (members.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`reviewers not in the catalog of ${replica.name}`);
    await new Promise(r => setTimeout(r, 500));
  }
}

const createRequest = (replica: Replica) =>
  call(`${replica.api}/access-requests/requests`, {
    method: 'POST',
    token: tokens.alice,
    body: { resourceRef: RESOURCE, roleId: ROLE, durationMinutes: 60, justification: 'two-replica test' },
  });
const approve = (replica: Replica, reviewer: string, id: string) =>
  call(`${replica.api}/access-requests/requests/${id}/reviews`, {
    method: 'POST',
    token: tokens[reviewer],
    body: { decision: 'approve', comment: 'ok' },
  });
const getRequest = (replica: Replica, id: string) =>
  call(`${replica.api}/access-requests/requests/${id}`, { token: tokens.alice });

beforeAll(async () => {
  await dropDatabases(prefix);
  const dir = tempDir('fg-replicas-');
  azurite = await startAzurite();
  // one after the other, as a rolling deployment does (two replicas starting together on empty
  // databases: simultaneousStart.test.ts)
  a = await startReplica('a', dir, 0);
  tokens = await a.ready(USERS, 180_000);
  b = await startReplica('b', dir);
  // tokens of one replica are accepted by the other (signing keys in the shared database)
  await b.ready(USERS, 180_000);
  await Promise.all([reviewersIngested(a, 60_000), reviewersIngested(b, 60_000)]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await azurite?.stop();
  await dropDatabases(prefix);
});

/** A multipart upload of one file (no keep-alive, like `call`). */
function upload(replica: Replica, token: string, fileName: string, data: Buffer): Promise<{ status: number; json: any }> {
  const boundary = `fg-${Date.now()}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${replica.api}/model-scan/scans/upload`,
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(body.length),
          connection: 'close',
        },
      },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', c => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text || 'null') }));
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('upload timed out')));
    req.end(body);
  });
}

describe('two backend replicas on one PostgreSQL', () => {
  it('runs the global scheduled tasks (expiry sweep, model rescans) once per interval across both replicas', async () => {
    // both have been up for a while (catalog ingestion); observe a fresh window
    const from = Date.now();
    await new Promise(r => setTimeout(r, 16_000));
    const to = Date.now();
    for (const [marker, seconds] of [
      [SWEEP_MARKER, SWEEP_SECONDS],
      [RESCAN_MARKER, RESCAN_SECONDS],
    ] as const) {
      const runs = [...a.linesWith(marker).map(l => ({ ...l, on: 'a' })), ...b.linesWith(marker).map(l => ({ ...l, on: 'b' }))]
        .filter(l => l.at >= from && l.at <= to)
        .sort((x, y) => x.at - y.at);
      const windowS = (to - from) / 1000;
      // it runs ...
      expect(runs.length).toBeGreaterThanOrEqual(Math.floor(windowS / seconds) - 2);
      // ... once per interval: on every replica it would run ~2x as often, ~2 runs per interval
      expect(runs.length).toBeLessThanOrEqual(Math.ceil(windowS / seconds) + 1);
      for (let i = 1; i < runs.length; i++) {
        const gap = (runs[i].at - runs[i - 1].at) / 1000;
        if (gap < seconds * 0.6) {
          throw new Error(`${marker}: two runs ${gap.toFixed(2)} s apart (${runs[i - 1].on}, ${runs[i].on}); interval ${seconds} s`);
        }
      }
    }
  });

  it('an approval taken through one replica is seen and enforced by the other', async () => {
    const created = await createRequest(a);
    expect(created.status).toBe(201);
    const id = created.json.request.id;
    expect((await approve(a, 'bob', id)).json.request.status).toBe('pending');
    // bob's approval (taken by a) counts on b: carol's approval on b completes the request
    const second = await approve(b, 'carol', id);
    expect(second.status).toBe(200);
    expect(second.json.request.status).toBe('approved');
    const grantId = second.json.request.grantId;
    expect(grantId).toEqual(expect.any(String));
    // the grant b created is visible and active through a
    const grant = await call(`${a.api}/access-requests/grants/${grantId}`, { token: tokens.alice });
    expect(grant.status).toBe(200);
    expect(grant.json.grant.status).toBe('active');
    expect(grant.json.grant.requestId).toBe(id);
    // the decision taken on one replica is enforced by the other: no second review, no second grant
    const again = await approve(b, 'bob', id);
    expect(again.status).toBe(409);
    const late = await approve(a, 'carol', id);
    expect(late.status).toBe(409);
    expect((await getRequest(a, id)).json.request.grantId).toBe(grantId);
  });

  it('a model upload received by one replica is scanned by the other, and its result read through the first', async () => {
    // GLOBAL os.system, ("id",), REDUCE: a pickle that runs a shell command when loaded
    const payload = Buffer.from('8002636f730a73797374656d0a5802000000696485522e', 'hex');
    const received = await upload(a, tokens.alice, 'replica-evil.pkl', payload);
    expect(received.status).toBe(202);
    const id = received.json.scan.id;
    // a runs no scans: b's worker claims the job, downloads the upload from blob storage, scans it
    const deadline = Date.now() + 60_000;
    let scan: any;
    for (;;) {
      scan = (await call(`${a.api}/model-scan/scans/${id}`, { token: tokens.alice })).json.scan;
      if (scan.status === 'completed' || scan.status === 'failed' || Date.now() > deadline) break;
      await new Promise(r => setTimeout(r, 250));
    }
    expect(scan).toMatchObject({ status: 'completed', verdict: 'malicious' });
    expect(scan.files).toEqual([expect.objectContaining({ path: 'replica-evil.pkl', verdict: 'malicious' })]);
    expect(b.lines.some(l => l.text.includes(`Scan ${id} claimed by`))).toBe(true);
    expect(a.lines.some(l => l.text.includes(`Scan ${id} claimed by`))).toBe(false);
    // the gate answers the same through either replica
    for (const replica of [a, b]) {
      const gate = await call(`${replica.api}/model-scan/gate?target=${encodeURIComponent(scan.target)}`, { token: tokens.alice });
      expect(gate.json).toMatchObject({ allowed: false, scanId: id });
    }
  });

  it('loses no approval when the replica taking them is killed (SIGKILL) mid-flow', async () => {
    const N = 16;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const r = await createRequest(i % 2 ? a : b);
      expect(r.status).toBe(201);
      ids.push(r.json.request.id);
      expect((await approve(i % 2 ? b : a, 'bob', ids[i])).status).toBe(200);
    }
    // carol's final approvals go to a, one every 25 ms; a is killed after the 5th answer
    const outcome: ('answered' | 'failed')[] = new Array(N);
    const answers: any[] = new Array(N);
    let answered = 0;
    const sends = ids.map(
      (id, i) =>
        new Promise<void>(resolve =>
          setTimeout(() => {
            approve(a, 'carol', id).then(
              r => {
                if (r.status === 200) {
                  outcome[i] = 'answered';
                  answers[i] = r.json;
                  if (++answered === 5) a.kill();
                } else outcome[i] = 'failed';
                resolve();
              },
              () => {
                outcome[i] = 'failed';
                resolve();
              },
            );
          }, i * 25),
        ),
    );
    await Promise.all(sends);
    a.kill();
    expect((await a.exited).signal).toBe('SIGKILL');
    const lost = outcome.filter(o => o === 'failed').length;
    // the kill really was mid-flow: some approvals answered, some not
    expect(answered).toBeGreaterThanOrEqual(5);
    expect(lost).toBeGreaterThan(0);

    // An answered approval is durable: b sees the request approved with the same grant.
    // Not answered: either it committed before the kill (b refuses a second review, 409) or it
    // did not (b takes it now, 200) — never half-written. Each list names the requests that break it.
    const notDurable: unknown[] = [];
    const halfWritten: unknown[] = [];
    for (let i = 0; i < N; i++) {
      if (outcome[i] === 'answered') {
        const seen = (await getRequest(b, ids[i])).json.request;
        if (seen.status !== 'approved' || seen.grantId !== answers[i].request.grantId) notDurable.push({ id: ids[i], seen, answered: answers[i].request });
      } else {
        const retry = (await approve(b, 'carol', ids[i])).status;
        const seen = (await getRequest(b, ids[i])).json.request;
        if (![200, 409].includes(retry) || seen.status !== 'approved' || typeof seen.grantId !== 'string') halfWritten.push({ id: ids[i], retry, seen });
      }
    }
    expect(notDurable).toEqual([]);
    expect(halfWritten).toEqual([]);
    // exactly one grant per request, and each request's reviews are bob's and carol's once
    const grants = await queryDatabase<{ request_id: string; n: string }>(
      `${prefix}access-requests`,
      'SELECT request_id, count(*) AS n FROM access_grants WHERE request_id = ANY($1) GROUP BY request_id',
      [ids],
    );
    expect(grants).toHaveLength(N);
    expect(grants.every(g => Number(g.n) === 1)).toBe(true);
    const reviews = await queryDatabase<{ n: string }>(
      `${prefix}access-requests`,
      'SELECT count(*) AS n FROM access_request_reviews WHERE request_id = ANY($1)',
      [ids],
    );
    expect(Number(reviews[0].n)).toBe(2 * N);
  });
});
