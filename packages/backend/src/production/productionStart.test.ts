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
 * The real backend as a process (from sources, as scripts/e2e.sh starts it): the production
 * configuration, the demo + production combinations that must refuse to start, and startup
 * failures that must end the process.
 */

jest.setTimeout(180_000);

const DEMO_CONFIG = path.join(REPO_ROOT, 'app-config.yaml');
const PRODUCTION_CONFIG = path.join(REPO_ROOT, 'app-config.production.yaml');

/** Fake values for the production config's secrets: enough to start, reaching nothing. */
function productionEnv(port: number, prefix: string, workDir: string): Record<string, string> {
  const pg = postgresConnection();
  return {
    NODE_ENV: 'production',
    APP_BASE_URL: `http://127.0.0.1:${port}`,
    BACKEND_BASE_URL: `http://127.0.0.1:${port}`,
    BACKEND_PORT: String(port),
    POSTGRES_HOST: pg.host,
    POSTGRES_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PASSWORD: pg.password,
    POSTGRES_DATABASE_PREFIX: prefix,
    AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
    AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000002',
    AZURE_CLIENT_SECRET: 'not-a-secret',
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000003',
    K8S_CLUSTER_NAME: 'test',
    K8S_CLUSTER_URL: 'https://127.0.0.1:9',
    K8S_SERVICE_ACCOUNT_TOKEN: 'not-a-token',
    K8S_PROVISIONER_TOKEN: 'not-a-token',
    MODEL_SCAN_WORK_DIR: workDir,
  };
}

const prefixes: string[] = [];
const processes: BackendProcess[] = [];
function track(p: BackendProcess) {
  processes.push(p);
  return p;
}

afterAll(async () => {
  await Promise.all(processes.map(p => p.stop(5_000)));
  for (const prefix of prefixes) await dropDatabases(prefix);
});

/** Resolves with the exit of a backend that must not start, failing if it becomes ready. */
async function expectRefusedStart(p: BackendProcess, timeoutMs = 90_000) {
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${p.log.slice(-2000)}`)), timeoutMs).unref(),
  );
  const exit = await Promise.race([p.exited, timer]);
  expect(exit.code).toBe(1);
  return p.log;
}

describe('production start (app-config.production.yaml alone, NODE_ENV=production, PostgreSQL)', () => {
  it('starts, has no demo sign-in, answers errors without stack traces and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const prefix = `fg_prodstart_${process.pid}_${Date.now()}_`;
    prefixes.push(prefix);
    // Small pools: PostgreSQL's connection limit is shared with every other test running.
    const pools = writeOverlay(tempDir('fg-prod-'), 'pools.yaml', {
      backend: { database: { knexConfig: { pool: { min: 0, max: 3 } } } },
    });
    const backend = track(
      new BackendProcess(port, {
        cwd: REPO_ROOT,
        configs: [PRODUCTION_CONFIG, pools],
        env: productionEnv(port, prefix, tempDir('fg-prod-scan-')),
      }),
    );
    await backend.ready();

    // The demo provider does not exist: the auth plugin answers as for any unknown provider.
    for (const route of ['/api/auth/demo/refresh', '/api/auth/demo/start']) {
      const demo = await request(`${backend.url}${route}`, { headers: { 'x-frontier-guard-demo-user': 'dave' } });
      expect(demo.status).toBe(404);
      expect(demo.json.error.message).toBe("Unknown auth provider 'demo'");
      expect(demo.body).not.toContain('backstageIdentity');
    }
    const unknown = await request(`${backend.url}/api/auth/nonexistent/refresh`);
    expect(unknown.status).toBe(404);

    const refused = await request(`${backend.url}/api/access-requests/requests`);
    expect(refused.status).toBe(401);
    expect(refused.json.error.stack).toBeUndefined();
    expect(backend.log).toContain('Production configuration: no demo-only settings');

    const exit = await backend.stop();
    if (exit.code !== 0) process.stdout.write(backend.log.slice(-6000));
    expect(exit).toEqual({ code: 0, signal: null });
    expect(backend.log).not.toMatch(/Abort|SIGABRT|core dumped/);
  });
});

describe('demo settings in production refuse to start', () => {
  it('the demo config layered under the production file (the old documented start) exits 1 naming each demo setting', async () => {
    const port = await freePort();
    const prefix = `fg_prodlayer_${process.pid}_${Date.now()}_`;
    prefixes.push(prefix);
    const backend = track(
      new BackendProcess(port, {
        cwd: path.join(REPO_ROOT, 'packages/backend'),
        configs: [DEMO_CONFIG, PRODUCTION_CONFIG],
        env: productionEnv(port, prefix, tempDir('fg-prod-scan-')),
      }),
    );
    const log = await expectRefusedStart(backend);
    expect(log).toContain('Refusing to start: demo-only settings in a production configuration');
    expect(log).toContain('auth.providers.demo is configured');
    expect(log).toContain('accessRequests.provisionerAliases.azure-role-assignment is "record-only"');
    expect(log).toContain('exiting with code 1');
  });

  it('the demo config with NODE_ENV=production (auth.environment still development) exits 1', async () => {
    const port = await freePort();
    const dir = tempDir('fg-demo-prod-');
    const overlay = writeOverlay(dir, 'overlay.yaml', {
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port },
        database: { client: 'better-sqlite3', connection: { directory: path.join(dir, 'sqlite') } },
      },
      modelScan: { workDir: path.join(dir, 'model-scan') },
    });
    const backend = track(
      new BackendProcess(port, { configs: [DEMO_CONFIG, overlay], env: { NODE_ENV: 'production' } }),
    );
    const log = await expectRefusedStart(backend);
    expect(log).toContain('frontierGuard.signIn is "demo"');
    expect(log).toContain('auth.environment is "development" while NODE_ENV=production');
    expect(log).toContain('catalog.locations loads ../../catalog/org.yaml');
  });
});

describe('startup failures end the process', () => {
  it.each([
    ['backend.listen as an object of the wrong shape', { listen: { port: { not: 'a port' } } }],
    ['backend.listen as a list', { listen: ['7007'] }],
  ])('%s: exits 1 with the config error instead of staying alive unready', async (_name, backendConfig) => {
    const port = await freePort();
    const dir = tempDir('fg-badconfig-');
    const overlay = writeOverlay(dir, 'overlay.yaml', {
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        database: { client: 'better-sqlite3', connection: { directory: path.join(dir, 'sqlite') } },
        ...backendConfig,
      },
      modelScan: { workDir: path.join(dir, 'model-scan') },
    });
    const backend = track(new BackendProcess(port, { configs: [DEMO_CONFIG, overlay] }));
    const log = await expectRefusedStart(backend);
    expect(log).toContain('Frontier Guard backend failed to start, exiting with code 1');
    expect(log).toMatch(/listen/);
  });
});
