#!/usr/bin/env node
// The checks of scripts/test-production.sh on the unpacked production artifact
// ($FG_PRODUCTION_APP) and the model-scanner image files ($FG_PRODUCTION_SCANNER).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const APP = process.env.FG_PRODUCTION_APP;
const SCANNER = process.env.FG_PRODUCTION_SCANNER;
const WORK = process.env.FG_PRODUCTION_WORK;
const READY_LIMIT_MS = Number(process.env.FG_PRODUCTION_READY_LIMIT_MS ?? 120_000);
const STOP_LIMIT_MS = 30_000;
const PG = new URL(process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ?? 'postgresql://postgres@127.0.0.1:5432');
const PREFIX = `fg_production_${Date.now()}_`;

const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function get(url, headers = {}) {
  return new Promise(resolve => {
    const req = http.get(url, { headers: { ...headers, connection: 'close' } }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', c => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', error => resolve({ status: 0, body: String(error) }));
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

function startBackend(name, port) {
  const log = path.join(WORK, 'logs', `backend-${name}.log`);
  const out = fs.openSync(log, 'w');
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: path.join(WORK, 'tmp'),
    NODE_ENV: 'production',
    APP_BASE_URL: `http://127.0.0.1:${port}`,
    BACKEND_BASE_URL: `http://127.0.0.1:${port}`,
    BACKEND_PORT: String(port),
    POSTGRES_HOST: PG.hostname,
    POSTGRES_PORT: PG.port || '5432',
    POSTGRES_USER: decodeURIComponent(PG.username || 'postgres'),
    POSTGRES_PASSWORD: decodeURIComponent(PG.password || 'unused-with-trust-auth'),
    POSTGRES_DATABASE_PREFIX: PREFIX,
    AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
    AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000002',
    AZURE_CLIENT_SECRET: 'not-a-secret',
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000003',
    K8S_CLUSTER_NAME: 'research',
    K8S_CLUSTER_URL: 'https://127.0.0.1:9',
    K8S_SERVICE_ACCOUNT_TOKEN: 'not-a-token',
    K8S_PROVISIONER_TOKEN: 'not-a-token',
    MODEL_SCAN_WORK_DIR: path.join(WORK, `model-scan-${name}`),
  };
  const child = spawn(process.execPath, ['packages/backend', '--config', 'app-config.production.yaml'], {
    cwd: APP,
    env,
    stdio: ['ignore', out, out],
  });
  const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { name, port, child, exited, log, text: () => fs.readFileSync(log, 'utf8'), url: `http://127.0.0.1:${port}` };
}

async function waitReady(b, t0) {
  let gone = false;
  b.exited.then(() => (gone = true));
  while (Date.now() - t0 < READY_LIMIT_MS && !gone) {
    const r = await get(`${b.url}/.backstage/health/v1/readiness`);
    if (r.status === 200) return Date.now() - t0;
    await sleep(500);
  }
  return undefined;
}

async function stop(b) {
  if (b.child.exitCode !== null || b.child.signalCode !== null) return b.exited;
  const t0 = Date.now();
  b.child.kill('SIGTERM');
  const timer = setTimeout(() => b.child.kill('SIGKILL'), STOP_LIMIT_MS);
  const exit = await b.exited;
  clearTimeout(timer);
  return { ...exit, ms: Date.now() - t0 };
}

function dropDatabases() {
  const sql = `SELECT 'DROP DATABASE IF EXISTS "' || datname || '" WITH (FORCE);' FROM pg_database WHERE datname LIKE '${PREFIX}%'`;
  const args = ['-h', PG.hostname, '-p', PG.port || '5432', '-U', decodeURIComponent(PG.username || 'postgres'), '-d', 'postgres', '-Atc'];
  const list = spawnSync('psql', [...args, sql], { encoding: 'utf8' });
  for (const statement of (list.stdout || '').split('\n').filter(Boolean)) {
    spawnSync('psql', [...args, statement], { encoding: 'utf8' });
  }
}

async function backendChecks() {
  const backends = [];
  try {
    // One after the other, as a rolling update or a scale-out starts them (maxSurge 1). Two
    // processes starting at the same instant on an EMPTY database can collide in a plugin's first
    // migration (see README "Production"); Kubernetes restarts the one that exits 1.
    const a = startBackend('a', await freePort());
    backends.push(a);
    const readyA = await waitReady(a, Date.now());
    const b = startBackend('b', await freePort());
    backends.push(b);
    const readyB = await waitReady(b, Date.now());
    check(`replica a ready within ${READY_LIMIT_MS / 1000} s`, readyA !== undefined, readyA ? `${(readyA / 1000).toFixed(1)} s` : a.text().slice(-1500));
    check(`replica b ready within ${READY_LIMIT_MS / 1000} s (same database)`, readyB !== undefined, readyB ? `${(readyB / 1000).toFixed(1)} s` : b.text().slice(-1500));
    if (readyA === undefined || readyB === undefined) return;

    for (const x of [a, b]) {
      const demo = await get(`${x.url}/api/auth/demo/refresh`, { 'x-frontier-guard-demo-user': 'dave' });
      check(`replica ${x.name}: no demo sign-in (/api/auth/demo/refresh answers as an unknown provider)`,
        demo.status === 404 && demo.body.includes("Unknown auth provider 'demo'"), `${demo.status} ${demo.body.slice(0, 120)}`);
    }
    const errors = [
      await get(`${a.url}/api/access-requests/requests`),
      await get(`${a.url}/api/catalog/entities`, { authorization: 'Bearer forged.token.value' }),
      await get(`${b.url}/api/no-such-plugin/x`),
    ];
    check('error responses carry no stack trace',
      errors.every(e => e.status >= 400 && !/"stack"|\n\s+at /.test(e.body)), errors.map(e => e.status).join(', '));

    // Scheduled work runs once across the replicas: the Microsoft Graph org refresh is a global
    // task due at start; exactly one replica runs it (the other sees it claimed in the database).
    await sleep(15_000);
    const runs = [a, b].map(x => (x.text().match(/Reading msgraph users and groups/g) || []).length);
    check('the global scheduled task (Graph org refresh) ran once across both replicas', runs[0] + runs[1] === 1, `runs per replica: ${runs.join(' + ')}`);
    const registered = [a, b].every(x => x.text().includes('Registered scheduled task: access-requests-expiry'));
    check('both replicas registered the access-requests expiry sweep (global task)', registered);
    const eventsOk = [a, b].every(x => !x.text().includes('events backend not found'));
    check('events go through the events backend on both replicas', eventsOk);

    for (const x of [a, b]) {
      const exit = await stop(x);
      const text = x.text();
      check(`replica ${x.name}: SIGTERM stops it cleanly`,
        exit.code === 0 && exit.signal === null && !/Abort|core dumped|SIGABRT|double free/.test(text),
        `exit ${exit.code ?? exit.signal} after ${exit.ms} ms`);
    }
  } finally {
    await Promise.all(backends.map(stop));
    dropDatabases();
  }
}

function scannerChecks() {
  const samples = path.join(WORK, 'scanner-samples');
  fs.mkdirSync(samples, { recursive: true });
  // A pickle that calls os.system on load (protocol 0: GLOBAL + REDUCE).
  fs.writeFileSync(path.join(samples, 'evil.pkl'), "cos\nsystem\n(S'id'\ntR.");
  const clean = path.join(__dirname, '..', 'plugins/model-scanner/fixtures/benign/python_data_p1.pkl');
  const scan = (target, ...args) =>
    spawnSync(process.execPath, [path.join(SCANNER, 'entry.cjs'), target, '--format', 'json', '--no-hash', ...args], {
      cwd: SCANNER,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      timeout: 60_000,
    });
  const good = scan(clean);
  check('model-scanner image files: a clean pickle exits 0', good.status === 0, `exit ${good.status} ${good.stderr.slice(0, 200)}`);
  const bad = scan(path.join(samples, 'evil.pkl'), '--fail-on', 'malicious');
  check('model-scanner image files: a pickle calling os.system exits 1', bad.status === 1, `exit ${bad.status} ${bad.stderr.slice(0, 200)}`);
  const usage = scan('--no-such-option');
  check('model-scanner image files: a usage error exits 2', usage.status === 2, `exit ${usage.status}`);
}

(async () => {
  await backendChecks();
  scannerChecks();
  const failed = results.filter(r => !r.ok).length;
  console.log(`production checks: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && results.length > 0 ? 0 : 1;
})().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
