import path from 'node:path';
import {
  BackendProcess,
  REPO_ROOT,
  dropDatabases,
  freePort,
  postgresConnection,
  request,
  tempDir,
  writeOverlay,
} from './testing/backendProcess';

/**
 * The real backend (demo configuration, NODE_ENV=development, where Backstage's error handlers
 * would include stack traces) as processes: error bodies, the IP access list behind a trusted
 * proxy, and two replicas on one PostgreSQL sharing notifications through the events backend.
 */

jest.setTimeout(240_000);

const DEMO_CONFIG = path.join(REPO_ROOT, 'app-config.yaml');
const processes: BackendProcess[] = [];
const prefixes: string[] = [];

afterAll(async () => {
  await Promise.all(processes.map(p => p.stop(5_000)));
  for (const prefix of prefixes) await dropDatabases(prefix);
});

async function demoToken(backend: BackendProcess, user: string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await request(`${backend.url}/api/auth/demo/refresh`, { headers: { 'x-frontier-guard-demo-user': user } });
    const token = r.json?.backstageIdentity?.token;
    if (token) return token;
    // The catalog has not ingested the demo users yet.
    if (Date.now() > deadline) throw new Error(`no demo token for ${user}: ${r.status} ${r.body}`);
    await new Promise(res => setTimeout(res, 500));
  }
}

function hasStack(body: string): boolean {
  return /"stack"\s*:/.test(body) || /\n\s+at .+:\d+:\d+/.test(body);
}

describe('a development-mode backend behind a trusted proxy, with an IP access list', () => {
  let backend: BackendProcess;
  const PROXY = '127.0.0.2';
  const OUTSIDER = '127.0.0.3';

  beforeAll(async () => {
    const port = await freePort();
    const dir = tempDir('fg-running-');
    const overlay = writeOverlay(dir, 'overlay.yaml', {
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port },
        // The proxy (ingress controller) is 127.0.0.2; only its X-Forwarded-For is believed.
        trustProxy: PROXY,
        database: { client: 'better-sqlite3', connection: { directory: path.join(dir, 'sqlite') } },
      },
      modelScan: { workDir: path.join(dir, 'model-scan') },
      frontierGuard: { ipAccessList: { allowedNetworks: ['127.0.0.1/32', '::1/128', '10.1.2.0/24'] } },
    });
    backend = new BackendProcess(port, { configs: [DEMO_CONFIG, overlay], env: { NODE_ENV: 'development' } });
    processes.push(backend);
    await backend.ready();
  });

  it('answers errors of every kind without stack traces although NODE_ENV is development', async () => {
    const token = await demoToken(backend, 'alice');
    const answers = [
      // 401 from a plugin's auth middleware
      await request(`${backend.url}/api/access-requests/requests`),
      // 404 from a plugin route for a record that does not exist (a non-admin user)
      await request(`${backend.url}/api/access-requests/requests/00000000-0000-4000-8000-000000000000`, {
        headers: { authorization: `Bearer ${token}` },
      }),
      // 400 from schema validation
      await request(`${backend.url}/api/access-requests/requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: { resourceRef: 42 },
      }),
      // 404 from the auth plugin and from the root router
      await request(`${backend.url}/api/auth/nonexistent/refresh`),
      await request(`${backend.url}/api/no-such-plugin/anything`),
    ];
    expect(answers.map(a => a.status)).toEqual([401, 404, 400, 404, 404]);
    for (const answer of answers.slice(0, 4)) {
      expect(answer.json?.error?.name).toEqual(expect.any(String));
    }
    for (const answer of answers) {
      expect(hasStack(answer.body)).toBe(false);
    }
  });

  it('checks the forwarded client only when the request comes from the trusted proxy', async () => {
    const readiness = `${backend.url}/.backstage/health/v1/readiness`;
    // The proxy forwards a client inside the allowed network: allowed.
    expect((await request(readiness, { localAddress: PROXY, headers: { 'x-forwarded-for': '10.1.2.3' } })).status).toBe(200);
    // The proxy forwards a client outside it: refused.
    expect((await request(readiness, { localAddress: PROXY, headers: { 'x-forwarded-for': '10.7.7.7' } })).status).toBe(403);
    // A client forges an allowed address in front of its own; the proxy appends the real one: refused.
    expect(
      (await request(readiness, { localAddress: PROXY, headers: { 'x-forwarded-for': '10.1.2.3, 10.7.7.7' } })).status,
    ).toBe(403);
    // A client that is not the proxy, reaching the backend directly with a forged header: refused.
    const forged = await request(readiness, { localAddress: OUTSIDER, headers: { 'x-forwarded-for': '10.1.2.3' } });
    expect(forged.status).toBe(403);
    expect(forged.json.error.name).toBe('NotAllowedError');
    expect((await request(readiness, { localAddress: OUTSIDER })).status).toBe(403);
    // The backend's own address is on the list.
    expect((await request(readiness)).status).toBe(200);
  });
});

describe('two replicas on one PostgreSQL', () => {
  it('a notification created through one replica is read through the other; events go through the events backend', async () => {
    const pg = postgresConnection();
    const prefix = `fg_replicas_${process.pid}_${Date.now()}_`;
    prefixes.push(prefix);
    const start = async () => {
      const port = await freePort();
      const dir = tempDir('fg-replica-');
      const overlay = writeOverlay(dir, 'overlay.yaml', {
        backend: {
          baseUrl: `http://127.0.0.1:${port}`,
          listen: { port },
          // Small pools: PostgreSQL's connection limit is shared with every other test running.
          database: { client: 'pg', prefix, connection: pg, knexConfig: { pool: { min: 0, max: 3 } } },
        },
        modelScan: { workDir: path.join(dir, 'model-scan') },
      });
      const p = new BackendProcess(port, { configs: [DEMO_CONFIG, overlay], env: { NODE_ENV: 'development' } });
      processes.push(p);
      return p;
    };
    const a = await start();
    await a.ready();
    const b = await start();
    await b.ready();

    const alice = await demoToken(a, 'alice');
    const bob = await demoToken(b, 'bob');
    const created = await request(`${a.url}/api/access-requests/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: {
        resourceRef: 'resource:default/weights-frontier-7b',
        roleId: 'blob-reader',
        durationMinutes: 60,
        justification: 'replica test: evaluate the 7B checkpoint',
      },
    });
    expect(created.status).toBe(201);
    const id = created.json.request.id as string;

    const deadline = Date.now() + 30_000;
    let seen: any;
    while (!seen && Date.now() < deadline) {
      const list = await request(`${b.url}/api/notifications/notifications`, { headers: { authorization: `Bearer ${bob}` } });
      expect(list.status).toBe(200);
      seen = list.json.notifications.find((n: any) => String(n.payload?.link ?? '').includes(id));
      if (!seen) await new Promise(r => setTimeout(r, 500));
    }
    expect(seen?.payload.title).toMatch(/^Access request: /);

    for (const p of [a, b]) {
      expect(p.log).not.toContain('events backend not found');
    }
    expect(a.log + b.log).toContain('Database is PostgreSQL, using database store');
    expect(await a.stop()).toEqual({ code: 0, signal: null });
    expect(await b.stop()).toEqual({ code: 0, signal: null });
  });
});
