import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { MLFLOW_SECRET, mlflowDelivery, startTriggersApp } from './__testUtils__/harness';
import { startFakeHub } from '../sources/__testUtils__/fakeHub';
import { startFakeMlflow } from '../sources/__testUtils__/fakeMlflow';

/** GET with the path sent byte for byte (fetch would normalise %2E%2E segments away). */
function rawGet(url: string, rawPath: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: rawPath, method: 'GET' },
      res => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const DBX_SECRET = 'dbx-webhook-secret';
const HF_SECRET = 'hf-webhook-secret';

let workDir: string;
beforeEach(async () => {
  workDir = await fs.promises.mkdtemp(
    path.join(os.tmpdir(), 'model-scan-triggers-'),
  );
});
afterEach(async () => {
  await fs.promises.rm(workDir, { recursive: true, force: true });
});

const webhookConfig = {
  webhooks: {
    mlflow: { secret: MLFLOW_SECRET },
    databricks: { secret: DBX_SECRET },
    huggingface: { secret: HF_SECRET },
  },
};

describe('registry webhooks over HTTP', () => {
  let app: Awaited<ReturnType<typeof startTriggersApp>>;
  beforeEach(async () => {
    app = await startTriggersApp({ workDir, ...webhookConfig });
  });
  afterEach(() => app.close());

  const post = (
    source: string,
    body: string,
    headers: Record<string, string>,
  ) =>
    fetch(`${app.url}/webhooks/${source}`, { method: 'POST', body, headers });

  // Python json.dumps spacing, as MLflow sends it
  const mvCreated = (version = '7') =>
    `{"entity": "model_version", "action": "created", "timestamp": "2026-11-25T10:00:00+00:00", "data": {"name": "fraud-detector", "version": "${version}", "source": "models:/m-1", "run_id": "r1", "tags": {}, "description": ""}}`;

  it('MLflow: a signed model_version.created queues a webhook scan of that version', async () => {
    const body = mvCreated();
    const res = await post('mlflow', body, mlflowDelivery(body));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      accepted: true,
      scans: [{ target: 'mlflow://fraud-detector/7' }],
    });
    expect(app.scanService.enqueued).toEqual([
      {
        target: 'mlflow://fraud-detector/7',
        trigger: 'webhook',
        requestedBy: 'webhook:mlflow',
      },
    ]);
    expect(app.auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'webhook-delivery',
        outcome: 'success',
      }),
    ]);
  });

  it('MLflow: refuses bad signature, wrong secret, missing headers, stale timestamps, replays — nothing queued', async () => {
    const body = mvCreated();
    const good = mlflowDelivery(body);
    const cases: Array<[Record<string, string>, string, number]> = [
      [{ ...good, 'X-MLflow-Signature': 'v1,AAAA' }, body, 401],
      [mlflowDelivery(body, { secret: 'wrong' }), body, 401],
      [good, mvCreated('8'), 401], // body changed after signing
      [
        {
          'Content-Type': 'application/json',
          'X-MLflow-Delivery-Id': good['X-MLflow-Delivery-Id'],
          'X-MLflow-Timestamp': good['X-MLflow-Timestamp'],
        },
        body,
        401,
      ],
      [
        mlflowDelivery(body, { ts: Math.floor(Date.now() / 1000) - 301 }),
        body,
        401,
      ],
      [
        mlflowDelivery(body, { ts: Math.floor(Date.now() / 1000) + 3600 }),
        body,
        401,
      ],
    ];
    for (const [headers, b, status] of cases) {
      const res = await post('mlflow', b, headers);
      expect(res.status).toBe(status);
      expect((await res.json()).error.name).toBe('AuthenticationError');
    }
    expect(app.scanService.enqueued).toEqual([]);
    expect(app.auditor.events.every(e => e.outcome === 'fail')).toBe(true);

    // the same signed delivery twice: the second is a replay
    expect((await post('mlflow', body, good)).status).toBe(202);
    const replay = await post('mlflow', body, good);
    expect(replay.status).toBe(409);
    expect(app.scanService.enqueued).toHaveLength(1);
  });

  it('MLflow: a failed enqueue answers 500 and lets the retry of the same delivery through', async () => {
    const body = mvCreated();
    const headers = mlflowDelivery(body);
    app.scanService.failEnqueue = true;
    expect((await post('mlflow', body, headers)).status).toBe(500);
    app.scanService.failEnqueue = false;
    expect((await post('mlflow', body, headers)).status).toBe(202);
    expect(app.scanService.enqueued).toHaveLength(1);
  });

  it('MLflow: our own verdict tag event is acknowledged and ignored', async () => {
    const body =
      '{"entity": "model_version_tag", "action": "set", "timestamp": "x", "data": {"name": "m", "version": "1", "key": "frontier_guard.scan_verdict", "value": "safe"}}';
    const res = await post('mlflow', body, mlflowDelivery(body));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ignored: 'our own verdict tag' });
    expect(app.scanService.enqueued).toEqual([]);
  });

  it('Databricks: hex HMAC of the raw body; refuses wrong/missing signatures and stale events', async () => {
    const body = JSON.stringify({
      event: 'MODEL_VERSION_CREATED',
      webhook_id: 'w1',
      event_timestamp: Date.now(),
      model_name: 'main.ml.churn',
      version: '3',
      text: 'x',
    });
    const sign = (b: string, secret = DBX_SECRET) =>
      crypto.createHmac('sha256', secret).update(b).digest('hex');
    expect(
      (
        await post('databricks', body, {
          'Content-Type': 'application/json',
          'X-Databricks-Signature': sign(body, 'nope'),
        })
      ).status,
    ).toBe(401);
    expect(
      (await post('databricks', body, { 'Content-Type': 'application/json' }))
        .status,
    ).toBe(401);
    const stale = JSON.stringify({
      event: 'MODEL_VERSION_CREATED',
      webhook_id: 'w1',
      event_timestamp: Date.now() - 3600_000,
      model_name: 'm',
      version: '1',
    });
    expect(
      (
        await post('databricks', stale, {
          'Content-Type': 'application/json',
          'X-Databricks-Signature': sign(stale),
        })
      ).status,
    ).toBe(401);
    expect(app.scanService.enqueued).toEqual([]);

    const ok = await post('databricks', body, {
      'Content-Type': 'application/json',
      'X-Databricks-Signature': sign(body),
    });
    expect(ok.status).toBe(202);
    expect(app.scanService.enqueued).toEqual([
      {
        target: 'databricks://main.ml.churn/3',
        trigger: 'webhook',
        requestedBy: 'webhook:databricks',
      },
    ]);
    expect(
      (
        await post('databricks', body, {
          'Content-Type': 'application/json',
          'X-Databricks-Signature': sign(body),
        })
      ).status,
    ).toBe(409);
  });

  it('Hugging Face: secret header compared exactly; a main-branch update queues hf://repo@sha', async () => {
    const sha = 'c'.repeat(40);
    const body = JSON.stringify({
      event: { action: 'update', scope: 'repo.content' },
      repo: { type: 'model', name: 'frontier/llm-7b', id: 'x', headSha: sha },
      updatedRefs: [
        { ref: 'refs/heads/main', oldSha: 'a'.repeat(40), newSha: sha },
      ],
      webhook: { id: 'w', version: 3 },
    });
    expect(
      (
        await post('huggingface', body, {
          'Content-Type': 'application/json',
          'X-Webhook-Secret': 'guess',
        })
      ).status,
    ).toBe(401);
    expect(
      (await post('huggingface', body, { 'Content-Type': 'application/json' }))
        .status,
    ).toBe(401);
    expect(app.scanService.enqueued).toEqual([]);
    const ok = await post('huggingface', body, {
      'Content-Type': 'application/json',
      'X-Webhook-Secret': HF_SECRET,
    });
    expect(ok.status).toBe(202);
    expect(app.scanService.enqueued).toEqual([
      {
        target: `hf://frontier/llm-7b@${sha}`,
        trigger: 'webhook',
        requestedBy: 'webhook:huggingface',
      },
    ]);
  });

  it('answers 404 for unknown sources and for sources without a configured secret', async () => {
    expect(
      (await post('gitlab', '{}', { 'Content-Type': 'application/json' }))
        .status,
    ).toBe(404);
    // the refused delivery is audited
    expect(app.auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'webhook-delivery',
        meta: expect.objectContaining({ source: 'gitlab', status: 404 }),
        outcome: 'fail',
      }),
    ]);
    const bare = await startTriggersApp({ workDir });
    try {
      const body = mvCreated();
      const res = await fetch(`${bare.url}/webhooks/mlflow`, {
        method: 'POST',
        body,
        headers: mlflowDelivery(body),
      });
      expect(res.status).toBe(404);
      expect(bare.scanService.enqueued).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});

describe('verdict write-back to MLflow and Databricks', () => {
  it('sets frontier_guard.* tags on the model version when a scan of it completes', async () => {
    const mlflow = await startFakeMlflow({
      token: 'mt',
      versions: [],
      artifacts: {},
    });
    const dbx = await startFakeMlflow({
      kind: 'databricks',
      token: 'dt',
      versions: [],
      artifacts: {},
    });
    const app = await startTriggersApp({
      workDir,
      mlflow: { trackingUri: mlflow.url, token: 'mt' },
      databricks: { host: dbx.url, token: 'dt' },
    });
    try {
      const base = {
        trigger: 'webhook' as const,
        requestedBy: 'webhook:mlflow',
        createdAt: 'x',
        completedAt: '2026-11-25T12:00:00.000Z',
      };
      await app.scanService.complete({
        ...base,
        id: 's1',
        target: 'mlflow://fraud%20model/7',
        status: 'completed',
        verdict: 'malicious',
      });
      await app.scanService.complete({
        ...base,
        id: 's2',
        target: 'databricks://main.ml.churn/3',
        status: 'failed',
      });
      await app.scanService.complete({
        ...base,
        id: 's3',
        target: 'hf://org/repo@main',
        status: 'completed',
        verdict: 'safe',
      });
      await app.scanService.complete({
        ...base,
        id: 's4',
        target: 'mlflow://m/1',
        status: 'running',
      });
      expect(mlflow.tags).toEqual([
        {
          name: 'fraud model',
          version: '7',
          key: 'frontier_guard.scan_verdict',
          value: 'malicious',
          auth: 'Bearer mt',
        },
        {
          name: 'fraud model',
          version: '7',
          key: 'frontier_guard.scan_id',
          value: 's1',
          auth: 'Bearer mt',
        },
        {
          name: 'fraud model',
          version: '7',
          key: 'frontier_guard.scanned_at',
          value: '2026-11-25T12:00:00.000Z',
          auth: 'Bearer mt',
        },
      ]);
      expect(
        dbx.tags.map(t => [t.name, t.version, t.key, t.value, t.auth]),
      ).toEqual([
        [
          'main.ml.churn',
          '3',
          'frontier_guard.scan_verdict',
          'error',
          'Bearer dt',
        ],
        ['main.ml.churn', '3', 'frontier_guard.scan_id', 's2', 'Bearer dt'],
        [
          'main.ml.churn',
          '3',
          'frontier_guard.scanned_at',
          '2026-11-25T12:00:00.000Z',
          'Bearer dt',
        ],
      ]);
    } finally {
      await app.close();
      await mlflow.close();
      await dbx.close();
    }
  });
});

describe('Hugging Face scan-on-download proxy', () => {
  const SHA = 'd'.repeat(40);
  let hub: Awaited<ReturnType<typeof startFakeHub>>;
  let app: Awaited<ReturnType<typeof startTriggersApp>>;
  const safeBytes = crypto.randomBytes(200_000);
  const lfsBytes = Buffer.concat([
    crypto.randomBytes(1000),
    Buffer.from('weights'),
  ]);
  beforeEach(async () => {
    hub = await startFakeHub(
      {
        'org/model': {
          sha: SHA,
          files: {
            'config.json': Buffer.from('{"model_type":"bert"}'),
            'tokenizer.bin': safeBytes,
            'pytorch_model.bin': lfsBytes,
            'evil.pkl': Buffer.from('cos\nsystem\nMALICIOUS'),
            'odd.pkl': Buffer.from('SUSPICIOUS'),
          },
          lfs: ['pytorch_model.bin', 'evil.pkl'],
        },
      },
      { token: 'hf_upstream' },
    );
    app = await startTriggersApp({
      workDir,
      huggingFace: { endpoint: hub.url, token: 'hf_upstream' },
    });
  });
  afterEach(async () => {
    await app.close();
    await hub.close();
  });

  const resolveUrl = (file: string, rev = 'main') =>
    `${app.url}/hf/org/model/resolve/${rev}/${file}`;

  it('proxies model metadata', async () => {
    const res = await fetch(`${app.url}/hf/api/models/org/model/revision/main`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      sha: SHA,
      siblings: expect.arrayContaining([{ rfilename: 'config.json' }]),
    });
    expect((await fetch(`${app.url}/hf/api/models/org/missing`)).status).toBe(
      401,
    );
    const base = new URL(app.url).pathname;
    expect(
      await rawGet(
        app.url,
        `${base}/hf/api/models/org/model/%2E%2E/%2E%2E/whoami-v2`,
      ),
    ).toBe(400);
    expect(
      await rawGet(app.url, `${base}/hf/api/models/org/model/../../whoami-v2`),
    ).toBe(400);
  });

  it('HEAD gives the headers huggingface_hub needs, without xet hints, like the hub for LFS files', async () => {
    const head = await fetch(resolveUrl('pytorch_model.bin'), {
      method: 'HEAD',
      redirect: 'manual',
    });
    expect(head.status).toBe(200);
    const sha256 = crypto.createHash('sha256').update(lfsBytes).digest('hex');
    expect(head.headers.get('etag')).toBe(`"${sha256}"`);
    expect(head.headers.get('x-repo-commit')).toBe(SHA);
    expect(head.headers.get('content-length')).toBe(String(lfsBytes.length));
    expect(head.headers.get('x-xet-hash')).toBeNull();
    expect(head.headers.get('link')).toBeNull();
    // HEAD never downloads or scans
    expect(app.scanService.scannedFiles).toEqual([]);
  });

  it('serves safe files byte-identical (regular and LFS), pinned to the commit, and audits them', async () => {
    for (const [file, bytes] of [
      ['tokenizer.bin', safeBytes],
      ['pytorch_model.bin', lfsBytes],
    ] as const) {
      const res = await fetch(resolveUrl(file));
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
      expect(res.headers.get('x-repo-commit')).toBe(SHA);
      expect(res.headers.get('etag')).toBeTruthy();
    }
    expect(
      app.scanService.scannedFiles.map(f => [f.name, f.target, f.trigger]),
    ).toEqual([
      ['tokenizer.bin', `hf://org/model@${SHA}`, 'download'],
      ['pytorch_model.bin', `hf://org/model@${SHA}`, 'download'],
    ]);
    expect(
      app.auditor.events
        .filter(e => e.eventId === 'hf-download')
        .map(e => [e.outcome, e.meta.decision]),
    ).toEqual([
      ['success', 'served'],
      ['success', 'served'],
    ]);
    // a range request (resume) is served from the cache
    const range = await fetch(resolveUrl('tokenizer.bin'), {
      headers: { Range: 'bytes=10-19' },
    });
    expect(range.status).toBe(206);
    expect(
      Buffer.from(await range.arrayBuffer()).equals(safeBytes.subarray(10, 20)),
    ).toBe(true);
    // the upstream token reached the hub but never the CDN
    expect(hub.seen.every(s => s.authorization === 'Bearer hf_upstream')).toBe(
      true,
    );
    expect(hub.cdnSeen.every(s => s.authorization === undefined)).toBe(true);
  });

  it('blocks a malicious file with 403 ModelBlocked, on GET and on later HEADs, and audits the block', async () => {
    const res = await fetch(resolveUrl('evil.pkl'));
    expect(res.status).toBe(403);
    const body = await res.json();
    expect(body.error).toEqual({
      name: 'ModelBlocked',
      message: expect.stringContaining('malicious'),
      verdict: 'malicious',
      sha256: crypto
        .createHash('sha256')
        .update('cos\nsystem\nMALICIOUS')
        .digest('hex'),
    });
    expect(res.headers.get('x-error-code')).toBe('ModelBlocked');
    const head = await fetch(resolveUrl('evil.pkl'), { method: 'HEAD' });
    expect(head.status).toBe(403);
    expect(
      app.auditor.events.find(e => e.eventId === 'hf-download'),
    ).toMatchObject({
      outcome: 'fail',
      meta: { decision: 'blocked', verdict: 'malicious' },
    });
  });

  it('blocks a suspicious file unless a reviewer accepted it', async () => {
    expect((await fetch(resolveUrl('odd.pkl'))).status).toBe(403);
    app.scanService.acceptedUntil = new Date(
      Date.now() + 86400_000,
    ).toISOString();
    const res = await fetch(resolveUrl('odd.pkl'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('SUSPICIOUS');
    app.scanService.acceptedUntil = new Date(Date.now() - 1000).toISOString();
    expect((await fetch(resolveUrl('odd.pkl'))).status).toBe(403);
  });

  it('passes hub errors through with X-Error-Code, and refuses path traversal', async () => {
    const missing = await fetch(resolveUrl('nope.bin'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-error-code')).toBe('EntryNotFound');
    const badRev = await fetch(resolveUrl('config.json', 'e'.repeat(40)));
    expect(badRev.status).toBe(404);
    expect(badRev.headers.get('x-error-code')).toBe('RevisionNotFound');
    for (const evil of [
      'a/../../etc/passwd',
      'a/%2E%2E/%2E%2E/etc/passwd',
      '%2Fetc%2Fpasswd',
      'a%5C..%5Cb',
    ]) {
      expect(
        await rawGet(
          app.url,
          `${new URL(app.url).pathname}/hf/org/model/resolve/main/${evil}`,
        ),
      ).toBe(400);
    }
    expect(app.scanService.scannedFiles).toEqual([]);
  });

  it('refuses NUL, control characters and bidi overrides in repo, revision and file (400, never 500)', async () => {
    const base = new URL(app.url).pathname;
    for (const evil of [
      '/hf/org/mo%00del/resolve/main/config.json',
      '/hf/org/model/resolve/ma%1Bin/config.json',
      '/hf/org/model/resolve/main/con%E2%80%AEfig.json',
      '/hf/api/models/org/model%00',
      '/hf/org/model/resolve/main/config.json?x=%00',
      '/hf/org/model/resolve/main/%E0%A4%A',
    ]) {
      expect([evil, await rawGet(app.url, `${base}${evil}`)]).toEqual([evil, 400]);
    }
    expect(app.scanService.scannedFiles).toEqual([]);
  });

  it('uses X-Upstream-Authorization for the hub and never forwards the Backstage Authorization header', async () => {
    const res = await fetch(resolveUrl('config.json'), {
      headers: {
        Authorization: 'Bearer backstage-token',
        'X-Upstream-Authorization': 'Bearer hf_upstream',
      },
    });
    expect(res.status).toBe(200);
    expect(
      hub.seen.some(s => s.authorization === 'Bearer backstage-token'),
    ).toBe(false);
    const wrong = await fetch(resolveUrl('config.json'), {
      headers: { 'X-Upstream-Authorization': 'Bearer someone-else' },
    });
    // the hub refuses that caller, so the cached copy is not served either
    expect(wrong.status).toBe(401);
  });

  it('evicts least recently used cache entries beyond cacheMaxBytes, never one in use', async () => {
    const small = await startTriggersApp({
      workDir,
      huggingFace: {
        endpoint: hub.url,
        token: 'hf_upstream',
        proxy: { cacheMaxBytes: 150_000 },
      },
    });
    const cached = async () => {
      const out: number[] = [];
      const root = path.join(workDir, 'hf-cache');
      for (const l1 of await fs.promises.readdir(root).catch(() => [])) {
        for (const key of await fs.promises.readdir(path.join(root, l1))) {
          const st = await fs.promises
            .stat(path.join(root, l1, key, 'data'))
            .catch(() => undefined);
          if (st) out.push(st.size);
        }
      }
      return out.sort((a, b) => a - b);
    };
    const settle = async (want: number[]) => {
      for (let i = 0; i < 50; i++) {
        if (JSON.stringify(await cached()) === JSON.stringify(want)) return;
        await new Promise(r => setTimeout(r, 20));
      }
    };
    try {
      // larger than the limit, but in use while its own request runs: served whole
      const big = await fetch(
        `${small.url}/hf/org/model/resolve/main/tokenizer.bin`,
      );
      expect(Buffer.from(await big.arrayBuffer()).equals(safeBytes)).toBe(true);
      const lfs = await fetch(
        `${small.url}/hf/org/model/resolve/main/pytorch_model.bin`,
      );
      expect(lfs.status).toBe(200);
      await lfs.arrayBuffer();
      await settle([lfsBytes.length]);
      expect(await cached()).toEqual([lfsBytes.length]);
    } finally {
      await small.close();
    }
  });

  it('enforces the download size limit', async () => {
    const small = await startTriggersApp({
      workDir,
      huggingFace: { endpoint: hub.url, token: 'hf_upstream' },
      sources: { maxDownloadBytes: 1000 },
    });
    try {
      const res = await fetch(
        `${small.url}/hf/org/model/resolve/main/tokenizer.bin`,
      );
      expect(res.status).toBe(400);
      expect(small.scanService.scannedFiles).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
