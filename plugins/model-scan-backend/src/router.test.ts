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
import { modelScanPlugin } from './plugin';

// The plugin's database: the default service's clients are never destroyed (Backstage's
// DatabaseManager shutdown destroys none), and their pools' timers kept the jest worker alive;
// TestDatabases destroys its clients after the backends have stopped.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

jest.setTimeout(60_000);

const workDir = mkdtempSync(join(tmpdir(), 'model-scan-router-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const config = mockServices.rootConfig.factory({
  data: {
    modelScan: {
      workDir,
      maxUploadBytes: 1024,
      acceptance: { maxDays: 30 },
    },
  },
});

/** Permissions as the lead's policy grants them: only bob (security reviewer) may accept. */
const rolePermissions = mockServices.permissions.mock({
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

describe('model-scan router', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const auditor = mockServices.auditor.mock();

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        modelScanPlugin,
        config,
        rolePermissions.factory,
        auditor.factory,
      ],
    }));
  });

  it('requires authentication on every endpoint (401)', async () => {
    const none = mockCredentials.none.header();
    for (const [method, path] of [
      ['get', '/api/model-scan/scans'],
      ['post', '/api/model-scan/scans'],
      ['post', '/api/model-scan/scans/upload'],
      ['get', '/api/model-scan/scans/x'],
      ['post', '/api/model-scan/scans/x/rescan'],
      ['get', '/api/model-scan/stats'],
      ['get', '/api/model-scan/acceptances'],
      ['post', '/api/model-scan/acceptances'],
      ['get', '/api/model-scan/gate?target=x'],
    ] as const) {
      const res = await (request(server) as any)
        [method](path)
        .set('Authorization', none);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
  });

  it('rejects bad input with 400 naming the field', async () => {
    const res = await request(server)
      .post('/api/model-scan/scans')
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .send({ target: '' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/target/);

    const gate = await request(server)
      .get('/api/model-scan/gate')
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    expect(gate.status).toBe(400);
    expect(gate.body.error.message).toMatch(/target/);

    const list = await request(server)
      .get('/api/model-scan/scans?limit=0&verdict=evil')
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    expect(list.status).toBe(400);
    expect(list.body.error.message).toMatch(/limit/);
    expect(list.body.error.message).toMatch(/verdict/);

    const upload = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .send({ not: 'multipart' });
    expect(upload.status).toBe(400);
    expect(upload.body.error.message).toMatch(/^file: /);
  });

  it('refuses a malformed or SSRF-refused target at once with 400 naming target, queueing nothing', async () => {
    for (const target of [
      'http://127.0.0.1/x', // plain http, loopback
      'https://127.0.0.1/model.bin', // loopback
      'https://169.254.169.254/latest/meta-data/', // cloud metadata
      'https://user:pw@example.com/model.bin', // embedded credentials
      'ftp://x',
      'gopher://example.com/x',
      'hf://../../etc',
      'hf://org/repo@..%2F..%2Fetc',
      'mlflow://model/latest', // version must be a number
      'databricks:///3',
    ]) {
      const res = await request(server)
        .post('/api/model-scan/scans')
        .set('Authorization', mockCredentials.user.header('user:default/alice'))
        .send({ target });
      expect({ target, status: res.status }).toEqual({ target, status: 400 });
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(/^target: /);
    }
    const list = await request(server)
      .get('/api/model-scan/scans')
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    expect(list.body.total).toBe(0);
  });

  it('refuses to scan paths on the backend host (allowLocalPaths defaults to false)', async () => {
    for (const target of [
      '/etc/passwd',
      'file:///etc/shadow',
      '../app-config.yaml',
    ]) {
      const res = await request(server)
        .post('/api/model-scan/scans')
        .set('Authorization', mockCredentials.user.header('user:default/alice'))
        .send({ target });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(
        /target: paths on the backend host/,
      );
    }
    const list = await request(server)
      .get('/api/model-scan/scans')
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    expect(list.body.total).toBe(0);
  });

  it('refuses an upload with a malformed entityRef and keeps nothing', async () => {
    const res = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .field('entityRef', 'not an entity ref')
      .attach('file', Buffer.from('abc'), 'small.bin');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^entityRef: /);
    const stored = readdirSync(join(workDir, 'uploads'));
    expect(stored).toEqual([]);
  });

  it('refuses uploads over maxUploadBytes and stores nothing', async () => {
    const res = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .attach('file', Buffer.alloc(2048, 1), 'big.bin');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /file: larger than the limit of 1024 bytes/,
    );
    const list = await request(server)
      .get('/api/model-scan/scans')
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    expect(list.body.total).toBe(0);
  });

  it('lets only security reviewers accept verdicts, and requires a justification and expiry', async () => {
    const body = {
      sha256: 'a'.repeat(64),
      justification: 'Reviewed by hand: the custom op only reshapes.',
      expiresAt: new Date(Date.now() + 86400_000).toISOString(),
    };
    const alice = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .send(body);
    expect(alice.status).toBe(403);
    expect(alice.body.error.message).toMatch(/model-scan\.verdict\.accept/);

    const short = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', mockCredentials.user.header('user:default/bob'))
      .send({ ...body, justification: 'ok' });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toMatch(/justification/);

    const noExpiry = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', mockCredentials.user.header('user:default/bob'))
      .send({ sha256: body.sha256, justification: body.justification });
    expect(noExpiry.status).toBe(400);
    expect(noExpiry.body.error.message).toMatch(/expiresAt/);

    const tooLong = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', mockCredentials.user.header('user:default/bob'))
      .send({
        ...body,
        expiresAt: new Date(Date.now() + 31 * 86400_000).toISOString(),
      });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/at most 30 days/);

    // never scanned: nothing to accept
    const unknown = await request(server)
      .post('/api/model-scan/acceptances')
      .set('Authorization', mockCredentials.user.header('user:default/bob'))
      .send(body);
    expect(unknown.status).toBe(409);

    const list = await request(server)
      .get('/api/model-scan/acceptances')
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    expect(list.body.items).toEqual([]);

    // refusals are audited
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'verdict-accept',
        severityLevel: 'high',
      }),
    );
  });

  it('answers the gate for a never-scanned target: not allowed, and audits it', async () => {
    const res = await request(server)
      .get('/api/model-scan/gate')
      .query({ target: 'hf://org/never-scanned' })
      .set('Authorization', mockCredentials.service.header());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      allowed: false,
      target: 'hf://org/never-scanned',
      reasons: ['no completed scan of this exact target'],
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: 'gate-decision' }),
    );
  });

  it('returns 404 for an unknown scan', async () => {
    const res = await request(server)
      .get('/api/model-scan/scans/does-not-exist')
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    expect(res.status).toBe(404);
  });
});

describe('model-scan router without permissions', () => {
  it('refuses every action with 403 when the policy denies', async () => {
    const { server } = await startTestBackend({
      features: [
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        modelScanPlugin,
        config,
        mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
      ],
    });
    const user = mockCredentials.user.header('user:default/alice');
    const calls = [
      request(server).get('/api/model-scan/scans').set('Authorization', user),
      request(server)
        .post('/api/model-scan/scans')
        .set('Authorization', user)
        .send({ target: 'hf://a/b' }),
      request(server)
        .post('/api/model-scan/scans/upload')
        .set('Authorization', user)
        .attach('file', Buffer.from('x'), 'x.bin'),
      request(server)
        .post('/api/model-scan/scans/x/rescan')
        .set('Authorization', user),
      request(server).get('/api/model-scan/stats').set('Authorization', user),
      request(server)
        .get('/api/model-scan/gate?target=hf://a/b')
        .set('Authorization', user),
      request(server)
        .get('/api/model-scan/acceptances')
        .set('Authorization', user),
      request(server)
        .get('/api/model-scan/scans/some-scan')
        .set('Authorization', user),
      request(server)
        .post('/api/model-scan/acceptances')
        .set('Authorization', user)
        .send({
          sha256: 'a'.repeat(64),
          justification: 'Reviewed by hand: the custom op only reshapes.',
          expiresAt: new Date(Date.now() + 86400_000).toISOString(),
        }),
    ];
    const statuses = (await Promise.all(calls)).map(res => res.status);
    expect(statuses).toEqual(calls.map(() => 403));
  });
});

describe('model-scan Hugging Face download proxy permissions', () => {
  /** erin is denied model-scan.scan.create; everyone else is allowed everything. */
  const denyErinCreate = mockServices.permissions.mock({
    authorize: async (requests, options) => {
      const principal = options.credentials.principal as {
        userEntityRef?: string;
      };
      return requests.map(r => ({
        result:
          (r as { permission: { name: string } }).permission.name ===
            'model-scan.scan.create' &&
          principal.userEntityRef === 'user:default/erin'
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      })) as any;
    },
  });
  const hfAuditor = mockServices.auditor.mock();
  const hfWorkDir = mkdtempSync(join(tmpdir(), 'model-scan-hf-perm-'));
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        modelScanPlugin,
        mockServices.rootConfig.factory({
          data: {
            modelScan: {
              workDir: hfWorkDir,
              // nothing listens here: an allowed request gets past the permission check and
              // fails upstream (502/504), a denied one never gets that far
              huggingFace: { endpoint: 'http://127.0.0.1:9' },
              sources: {
                allowInsecureHttp: true,
                allowedHosts: ['127.0.0.1'],
                requestTimeoutMs: 2000,
              },
            },
          },
        }),
        denyErinCreate.factory,
        hfAuditor.factory,
      ],
    }));
  });
  afterAll(() => rmSync(hfWorkDir, { recursive: true, force: true }));

  it('answers 403 on /hf to a user denied model-scan.scan.create, and never contacts the hub', async () => {
    for (const path of [
      '/api/model-scan/hf/api/models/org/model/revision/main',
      '/api/model-scan/hf/org/model/resolve/main/model.bin',
    ]) {
      const denied = await request(server)
        .get(path)
        .set('Authorization', mockCredentials.user.header('user:default/erin'));
      expect({ path, status: denied.status }).toEqual({ path, status: 403 });
      expect(denied.body.error.message).toMatch(/model-scan\.scan\.create/);
      // the refusal is audited as a failed hf-download naming the path
      const refusals = hfAuditor.createEvent.mock.calls.flatMap((call, i) =>
        call[0].eventId === 'hf-download' && call[0].meta?.path === path
          ? [hfAuditor.createEvent.mock.results[i].value]
          : [],
      );
      expect({ path, refusals: refusals.length }).toEqual({
        path,
        refusals: 1,
      });
      const refusal = await refusals[0];
      expect(refusal.fail).toHaveBeenCalledWith(
        expect.objectContaining({ meta: { decision: 'refused' } }),
      );
      expect(refusal.success).not.toHaveBeenCalled();
      // audited once: not a second time as a generic permission-denied event
      expect(
        hfAuditor.createEvent.mock.calls.filter(
          call => call[0].eventId === 'permission-denied',
        ),
      ).toEqual([]);

      const allowed = await request(server)
        .get(path)
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/alice'),
        );
      expect(allowed.status).not.toBe(403);
      expect(allowed.status).not.toBe(401);
    }
  });
});
