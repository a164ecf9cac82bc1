#!/usr/bin/env node
/*
 * policy-exceptions benchmark: `GET /is-excepted` answering for 10,000 active exceptions under
 * 50 concurrent callers, on a SQLite file and on PostgreSQL, with a same-run baseline.
 *
 * Starts the real policy-exceptions backend plugin in this process with startTestBackend (a real
 * HTTP port, httpAuth with mock user tokens, a permission check per call, the portal's database
 * service: SQLite file tuning / PostgreSQL), seeds 10,000 approved exceptions with the plugin's own
 * store code (1,000 entities x 10 findings of FG-K8S-EGRESS-ALLOWLIST, windows containing now), then
 * closed-loop clients in a worker thread (own event loop, node:http keep-alive) call
 *   isExcepted: GET /api/policy-exceptions/is-excepted?controlId&entityRef&findingKey
 *               (90 % of subjects covered by an exception, 10 % not)
 *   baseline:   GET /api/bench-baseline/echo — the same Backstage HTTP stack, httpAuth, one
 *               permission check and a JSON answer of the same size, no plugin work
 * for `--seconds` per level after an untimed warm-up, and prints requests/second and p50/p99.
 *
 * Load model: closed loop (each of N clients sends its next call when the previous answered), so
 * requests/second is bounded by N / latency. The machine is a shared 2-core VM: figures vary.
 *
 * Usage: node bench/policy-exceptions/run.js [--db=sqlite,postgres] [--clients=1,50]
 *        [--seconds=10] [--warmup=2] [--exceptions=10000]
 *   FG_BENCH_PG=postgresql://postgres@127.0.0.1:5432 (default)
 */
'use strict';

const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { isMainThread, Worker, parentPort, workerData } = require('node:worker_threads');

const ROOT = path.resolve(__dirname, '../..');

if (isMainThread && !process.env.FG_BENCH_TRANSFORMED) {
  const r = spawnSync(
    process.execPath,
    ['--require', require.resolve('@backstage/cli/config/nodeTransform.cjs', { paths: [ROOT] }), __filename, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, FG_BENCH_TRANSFORMED: '1' }, cwd: ROOT },
  );
  process.exit(r.status ?? 1);
}

const http = require('node:http');
const { performance } = require('node:perf_hooks');

function arg(name, def) {
  const hit = process.argv.find(a => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : def;
}

const CONTROL = 'FG-K8S-EGRESS-ALLOWLIST';
const ENTITIES = 1000;
const FINDINGS_PER_ENTITY = 10;
const subject = (e, f) => ({ entityRef: `resource:default/bench-entity-${e}`, findingKey: `${CONTROL}:k8s/ns-${e}/egress-${f}` });

// ------------------------------------------------------------------ client worker
if (!isMainThread) {
  const { base, baselineBase, auth, clients, seconds, warmup, kind } = workerData;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients + 10, noDelay: true });
  const get = url =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request(url, { agent, headers: { authorization: auth } }, res => {
        const chunks = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`));
          else resolve({ ms: performance.now() - t0, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', reject);
      req.end();
    });
  let hits = 0;
  const nextUrl = () => {
    if (kind === 'baseline') return `${baselineBase}/echo`;
    const e = Math.floor(Math.random() * ENTITIES);
    const miss = Math.random() < 0.1;
    const s = subject(e, miss ? 'none' : Math.floor(Math.random() * FINDINGS_PER_ENTITY));
    return `${base}/is-excepted?controlId=${CONTROL}&entityRef=${encodeURIComponent(s.entityRef)}&findingKey=${encodeURIComponent(s.findingKey)}`;
  };
  const run = async (untilMs, record) => {
    const lat = [];
    let errors = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < untilMs) {
          try {
            const r = await get(nextUrl());
            if (record) {
              lat.push(r.ms);
              if (kind !== 'baseline' && r.body.includes('"excepted":true')) hits++;
            }
          } catch (e) {
            errors++;
            if (errors < 3) console.error(String(e));
          }
        }
      }),
    );
    return { lat, errors };
  };
  (async () => {
    await run(performance.now() + warmup * 1000, false);
    const t0 = performance.now();
    const { lat, errors } = await run(t0 + seconds * 1000, true);
    const elapsed = (performance.now() - t0) / 1000;
    parentPort.postMessage({ lat, errors, elapsed, hits });
    agent.destroy();
  })();
  return;
}

// ------------------------------------------------------------------ main thread
const fs = require('node:fs');
const DBS = arg('db', 'sqlite,postgres').split(',').filter(Boolean);
const CLIENTS = arg('clients', '1,50').split(',').map(Number);
const SECONDS = Number(arg('seconds', '10'));
const WARMUP = Number(arg('warmup', '2'));
const COUNT = Number(arg('exceptions', String(ENTITIES * FINDINGS_PER_ENTITY)));
const PG = process.env.FG_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const WORK = path.join(ROOT, 'bench/.work/policy-exceptions');
const PREFIX = 'fg_bench_pe_';

function baselinePlugin(responseSize) {
  const { coreServices, createBackendPlugin } = require('@backstage/backend-plugin-api');
  const Router = require('express-promise-router');
  return createBackendPlugin({
    pluginId: 'bench-baseline',
    register(env) {
      env.registerInit({
        deps: { httpRouter: coreServices.httpRouter, httpAuth: coreServices.httpAuth, permissions: coreServices.permissions },
        async init({ httpRouter, httpAuth, permissions }) {
          const router = Router();
          const permission = { type: 'basic', name: 'bench.baseline', attributes: { action: 'read' } };
          router.get('/echo', async (req, res) => {
            const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
            await permissions.authorize([{ permission }], { credentials });
            res.json({ excepted: false, padding: 'x'.repeat(responseSize) });
          });
          httpRouter.use(router);
        },
      });
    },
  });
}

async function dropPg(name) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: PG });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

async function startBackend(db) {
  const { startTestBackend, mockServices } = require('@backstage/backend-test-utils');
  const { createServiceFactory } = require('@backstage/backend-plugin-api');
  const { catalogServiceMock } = require('@backstage/plugin-catalog-node/testUtils');
  const { notificationService } = require('@backstage/plugin-notifications-node');
  const { frontierGuardDatabaseServiceFactory } = require(path.join(ROOT, 'packages/backend/src/database'));
  const plugin = require('@internal/plugin-policy-exceptions-backend').default;
  let database;
  if (db === 'sqlite') {
    const dir = path.join(WORK, 'sqlite');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    database = { client: 'better-sqlite3', connection: { directory: dir } };
  } else {
    await dropPg(`${PREFIX}policy-exceptions`);
    database = { client: 'pg', connection: PG, prefix: PREFIX, pool: { min: 0, max: 20 } };
  }
  const backend = await startTestBackend({
    features: [
      baselinePlugin(230),
      plugin,
      frontierGuardDatabaseServiceFactory,
      catalogServiceMock.factory({ entities: [] }),
      createServiceFactory({ service: notificationService, deps: {}, factory: () => ({ send: async () => {} }) }),
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      mockServices.rootConfig.factory({
        data: { backend: { database }, policyExceptions: { imports: { modelScanAcceptances: false }, checks: { postureSource: 'none', frequencyMinutes: 600 } } },
      }),
    ],
  });
  return { backend, database };
}

/** 10,000 approved exceptions through the plugin's own store and domain code, windows containing now. */
async function seed(database) {
  const knexFactory = require('knex');
  const { ExceptionStore } = require(path.join(ROOT, 'plugins/policy-exceptions-backend/src/store/ExceptionStore'));
  const { newException } = require(path.join(ROOT, 'plugins/policy-exceptions-backend/src/domain/lifecycle'));
  const knex =
    database.client === 'pg'
      ? knexFactory({ client: 'pg', connection: `${PG}/${PREFIX}policy-exceptions` })
      : knexFactory({ client: 'better-sqlite3', connection: { filename: path.join(database.connection.directory, 'policy-exceptions.sqlite') }, useNullAsDefault: true });
  const store = new ExceptionStore(knex);
  const now = Date.now();
  const t0 = performance.now();
  let n = 0;
  for (let e = 0; e < ENTITIES && n < COUNT; e++) {
    await store.transaction(async tx => {
      for (let f = 0; f < FINDINGS_PER_ENTITY && n < COUNT; f++, n++) {
        const s = subject(e, f);
        const { record, revision } = newException({
          id: require('node:crypto').randomUUID(),
          controlId: CONTROL,
          requester: 'user:default/alice',
          submit: true,
          now: new Date(now - 3600_000),
          content: {
            scope: { entityRefs: [s.entityRef], findingKey: s.findingKey },
            justification: 'benchmark exception with a long enough justification',
            reasonCategory: 'operational-requirement',
            risk: { likelihood: 'medium', impact: 'medium', rating: 'medium' },
            compensatingControls: [{ kind: 'catalog', controlId: 'FG-WEIGHTS-DETECTIVE' }],
            owner: 'user:default/erin',
            startsAt: new Date(now - 3600_000).toISOString(),
            endsAt: new Date(now + 30 * 86400_000).toISOString(),
          },
        });
        const approved = { ...record, status: 'approved', approvedAt: record.createdAt, approvedBy: ['user:default/bob'] };
        await store.insertException(approved, { ...revision, outcome: 'approved' }, tx);
      }
    });
  }
  await knex.destroy();
  return { count: n, seconds: (performance.now() - t0) / 1000 };
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function measure(kind, base, baselineBase, clients) {
  const { mockCredentials } = require('@backstage/backend-test-utils');
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, {
      workerData: { kind, base, baselineBase, clients, seconds: SECONDS, warmup: WARMUP, auth: mockCredentials.user.header('user:default/erin') },
    });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

(async () => {
  console.log(`policy-exceptions bench: ${COUNT} active exceptions, closed loop, ${SECONDS}s per level after ${WARMUP}s warm-up; shared 2-core VM, figures vary with its load`);
  const rows = [];
  for (const db of DBS) {
    const { backend, database } = await startBackend(db);
    try {
      const s = await seed(database);
      console.log(`[${db}] seeded ${s.count} approved exceptions in ${s.seconds.toFixed(1)} s`);
      const port = backend.server.port();
      const base = `http://127.0.0.1:${port}/api/policy-exceptions`;
      const baselineBase = `http://127.0.0.1:${port}/api/bench-baseline`;
      for (const clients of CLIENTS) {
        for (const kind of ['isExcepted', 'baseline']) {
          const r = await measure(kind, base, baselineBase, clients);
          const lat = r.lat.sort((a, b) => a - b);
          const row = {
            db, kind, clients, requests: lat.length, errors: r.errors,
            rps: lat.length / r.elapsed, p50: pct(lat, 50), p99: pct(lat, 99),
            hitRate: kind === 'isExcepted' ? r.hits / Math.max(1, lat.length) : undefined,
          };
          rows.push(row);
          console.log(
            `[${db}] ${kind.padEnd(10)} clients=${String(clients).padStart(2)} req/s=${row.rps.toFixed(0).padStart(6)} p50=${row.p50.toFixed(2)}ms p99=${row.p99.toFixed(2)}ms n=${row.requests} errors=${row.errors}` +
              (row.hitRate !== undefined ? ` excepted=${(row.hitRate * 100).toFixed(0)}%` : ''),
          );
        }
      }
    } finally {
      await backend.stop();
      if (db === 'postgres') await dropPg(`${PREFIX}policy-exceptions`).catch(() => undefined);
    }
  }
  fs.mkdirSync(WORK, { recursive: true });
  fs.writeFileSync(path.join(WORK, 'last-run.json'), JSON.stringify({ at: new Date().toISOString(), count: COUNT, seconds: SECONDS, rows }, null, 2));
  process.exit(0);
})().catch(e => {
  console.error(e);
  process.exit(1);
});
