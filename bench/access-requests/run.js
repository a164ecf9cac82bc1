#!/usr/bin/env node
/*
 * Access-requests benchmark: create -> review -> review at increasing concurrency.
 *
 * Starts the real access-requests backend plugin (plus the provisioners module, record-only
 * provisioning) in this process with @backstage/backend-test-utils' startTestBackend, which
 * listens on a real HTTP port, backed by a real database:
 *   - SQLite file under bench/.work/ (better-sqlite3), and
 *   - PostgreSQL at 127.0.0.1:5432 (database fg_bench_access-requests, recreated per run).
 * Then N concurrent clients drive it over HTTP (Node fetch/undici, keep-alive) from a worker
 * thread (own event loop; --in-process-clients runs them on the server's thread as before):
 *   researcher: POST /requests      (weights-frontier-7b, blob-reader: 2 security reviewers needed)
 *   bob:   POST /requests/:id/reviews approve
 *   carol: POST /requests/:id/reviews approve   -> request approved, grant created + provisioned
 * and prints requests/second and p50/p99 latency per step for 1, 10 and 50 clients.
 *
 * What is real: HTTP server and Express router, zod validation, Backstage httpAuth (mock user
 * tokens from backend-test-utils), permission checks (mock permissions service: allow), policy
 * files from catalog/policies, knex store + migrations on SQLite/PostgreSQL, auditor (test
 * auditor), provisioning through the record-only provisioner. Stand-ins: the catalog (in-memory
 * catalogServiceMock loaded with catalog/org.yaml + catalog/resources.yaml) and notifications
 * (no-op sender; sending is not part of the measured path).
 *
 * Usage (from the repo root):
 *   node bench/access-requests/run.js [--db=sqlite,postgres] [--clients=1,10,50] [--seconds=8]
 *                                     [--single-requester] [--cpu-prof]
 *   --cpu-prof writes a V8 CPU profile of each measured level (not startup) to
 *   bench/.work/access-requests/profiles/<db>-<clients>.cpuprofile
 *   PG connection: FG_BENCH_PG=postgresql://postgres@127.0.0.1:5432 (default)
 * Target: p99 < 50 ms per step at 50 clients on the 2-core dev machine.
 */
'use strict';

const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');

// The plugin is TypeScript; re-run this script once under Backstage's node transform.
if (!process.env.FG_BENCH_TRANSFORMED) {
  const r = spawnSync(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs', {
        paths: [ROOT],
      }),
      __filename,
      ...process.argv.slice(2),
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, FG_BENCH_TRANSFORMED: '1' },
      cwd: ROOT,
    },
  );
  process.exit(r.status ?? 1);
}

const fs = require('node:fs');
const yaml = require('js-yaml');
const { performance } = require('node:perf_hooks');
const crypto = require('node:crypto');

function arg(name, def) {
  const hit = process.argv.find(a => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : def;
}
const DBS = arg('db', 'sqlite,postgres').split(',').filter(Boolean);
const CLIENTS = arg('clients', '1,10,50').split(',').map(Number);
const SECONDS = Number(arg('seconds', '8'));
const WARMUP_SECONDS = Number(arg('warmup', '1'));
const PG = process.env.FG_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const WORK = path.join(ROOT, 'bench/.work/access-requests');
const TARGET_P99_MS = 50;

const RESOURCE = 'resource:default/weights-frontier-7b';
const ROLE = 'blob-reader';
// One researcher per client (synthetic users added to the in-memory catalog as members of
// group:default/researchers), as 50 concurrent clients are 50 people; --single-requester makes
// every client act as alice instead.
const SINGLE_REQUESTER = process.argv.includes('--single-requester');
const requesterFor = i =>
  SINGLE_REQUESTER
    ? 'user:default/alice'
    : `user:default/bench-researcher-${i}`;
const REVIEWERS = ['user:default/bob', 'user:default/carol'];

function loadEntities() {
  const docs = [];
  for (const f of ['catalog/org.yaml', 'catalog/resources.yaml']) {
    for (const d of yaml.loadAll(fs.readFileSync(path.join(ROOT, f), 'utf8'))) {
      if (d && d.kind) {
        d.metadata.namespace = d.metadata.namespace ?? 'default';
        docs.push(d);
      }
    }
  }
  for (let i = 0; i < Math.max(...CLIENTS, 2); i++) {
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: `bench-researcher-${i}`, namespace: 'default' },
      spec: { memberOf: ['researchers'] },
    });
  }
  return docs;
}

async function resetPostgres(dbName) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: PG });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await c.end();
}

/**
 * The baseline, measured in the same run against the same backend: a route that does what
 * every access-requests call does before and after its own work (Backstage HTTP stack,
 * express-promise-router, JSON body, httpAuth user credentials, one permission check, a JSON
 * response of the same size as a created request) and nothing else. The gap between it and
 * the flow is the plugin's own work: rules, store, database, audit.
 */
function baselinePlugin() {
  const {
    coreServices,
    createBackendPlugin,
  } = require('@backstage/backend-plugin-api');
  const express = require('express');
  const Router = require('express-promise-router');
  return createBackendPlugin({
    pluginId: 'bench-baseline',
    register(env) {
      env.registerInit({
        deps: {
          httpRouter: coreServices.httpRouter,
          httpAuth: coreServices.httpAuth,
          permissions: coreServices.permissions,
        },
        async init({ httpRouter, httpAuth, permissions }) {
          const router = Router();
          router.use(express.json({ limit: '64kb' }));
          const permission = {
            type: 'basic',
            name: 'bench.baseline',
            attributes: {},
          };
          router.post('/echo', async (req, res) => {
            const credentials = await httpAuth.credentials(req, {
              allow: ['user'],
            });
            await permissions.authorize([{ permission }], { credentials });
            res.status(201).json({
              request: {
                ...req.body,
                id: crypto.randomUUID(),
                requester: credentials.principal.userEntityRef,
                padding: 'x'.repeat(BASELINE_RESPONSE_PADDING),
              },
            });
          });
          httpRouter.use(router);
        },
      });
    },
  });
}
// a created request serializes to about 2 KB (frozen policy, resource snapshot)
const BASELINE_RESPONSE_PADDING = 1800;

async function startBackend(db) {
  const {
    startTestBackend,
    mockServices,
  } = require('@backstage/backend-test-utils');
  const {
    databaseServiceFactory,
  } = require('@backstage/backend-defaults/database');
  const { createServiceFactory } = require('@backstage/backend-plugin-api');
  const {
    catalogServiceMock,
  } = require('@backstage/plugin-catalog-node/testUtils');
  const {
    notificationService,
  } = require('@backstage/plugin-notifications-node');
  const backendPkg = require('@internal/plugin-access-requests-backend');

  let database;
  if (db === 'sqlite') {
    const dir = path.join(WORK, 'sqlite');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    database = { client: 'better-sqlite3', connection: { directory: dir } };
  } else {
    const prefix = 'fg_bench_';
    await resetPostgres(`${prefix}access-requests`);
    database = {
      client: 'pg',
      connection: PG,
      prefix,
      pool: { min: 0, max: 20 },
    };
  }

  const notificationsNoop = createServiceFactory({
    service: notificationService,
    deps: {},
    factory: () => ({ send: async () => {} }),
  });

  const backend = await startTestBackend({
    features: [
      baselinePlugin(),
      backendPkg.default,
      backendPkg.accessRequestsModuleProvisioners,
      databaseServiceFactory,
      catalogServiceMock.factory({ entities: loadEntities() }),
      notificationsNoop,
      mockServices.rootConfig.factory({
        data: {
          backend: { database },
          accessRequests: {
            policyDirectory: path.join(ROOT, 'catalog/policies'),
            provisionerAliases: {
              'azure-role-assignment': 'record-only',
              'kubernetes-rolebinding': 'record-only',
            },
            expiry: { frequencyMinutes: 60 },
          },
        },
      }),
    ],
  });
  const port = backend.server.port();
  return {
    backend,
    base: `http://127.0.0.1:${port}/api/access-requests`,
    baselineBase: `http://127.0.0.1:${port}/api/bench-baseline`,
  };
}

function authHeader(userRef) {
  const { mockCredentials } = require('@backstage/backend-test-utils');
  return mockCredentials.user.header(userRef);
}

// node:http with a keep-alive agent: far less client CPU per call than fetch(), so the load
// generator's own event loop adds little to the latencies it measures
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1000, noDelay: true });
const authHeaders = new Map();

function call(base, user, method, p, body) {
  if (!authHeaders.has(user)) authHeaders.set(user, authHeader(user));
  const payload = body ? JSON.stringify(body) : undefined;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      `${base}${p}`,
      {
        method,
        agent,
        headers: {
          authorization: authHeaders.get(user),
          'content-type': 'application/json',
          ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      res => {
        const chunks = [];
        res.on('data', c => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const ms = performance.now() - t0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode >= 300) {
            reject(new Error(`${method} ${p} as ${user} -> ${res.statusCode} ${text.slice(0, 300)}`));
            return;
          }
          resolve({ ms, json: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function flow(base, lat, requester) {
  const created = await call(base, requester, 'POST', '/requests', {
    resourceRef: RESOURCE,
    roleId: ROLE,
    durationMinutes: 60,
    justification: 'benchmark: evaluate the 7B checkpoint',
  });
  lat.create.push(created.ms);
  const id = created.json.request.id;
  const r1 = await call(base, REVIEWERS[0], 'POST', `/requests/${id}/reviews`, {
    decision: 'approve',
    comment: 'ok',
  });
  lat.review1.push(r1.ms);
  const r2 = await call(base, REVIEWERS[1], 'POST', `/requests/${id}/reviews`, {
    decision: 'approve',
    comment: 'ok',
  });
  lat.review2.push(r2.ms);
  if (r2.json.request.status !== 'approved' || !r2.json.grant) {
    throw new Error(
      `request ${id} not approved with a grant after two approvals: ${JSON.stringify(
        r2.json,
      ).slice(0, 300)}`,
    );
  }
}

/** Three calls of the baseline route, as a flow is three calls. */
async function baselineFlow(base, lat, requester) {
  const body = {
    resourceRef: RESOURCE,
    roleId: ROLE,
    durationMinutes: 60,
    justification: 'benchmark: evaluate the 7B checkpoint',
  };
  lat.create.push((await call(base, requester, 'POST', '/echo', body)).ms);
  lat.review1.push((await call(base, REVIEWERS[0], 'POST', '/echo', body)).ms);
  lat.review2.push((await call(base, REVIEWERS[1], 'POST', '/echo', body)).ms);
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, i)];
}

async function profiled(name, fn) {
  if (!process.argv.includes('--cpu-prof')) return fn();
  const { Session } = require('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const dir = path.join(WORK, 'profiles');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, `${name}.cpuprofile`),
      JSON.stringify(profile),
    );
    session.disconnect();
  }
}

async function levelInThisThread(base, clients, seconds, kind = 'flow') {
  const run = kind === 'baseline' ? baselineFlow : flow;
  const lat = { create: [], review1: [], review2: [] };
  const errors = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const elu0 = performance.eventLoopUtilization();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      while (performance.now() < deadline) {
        try {
          await run(base, lat, requesterFor(i));
        } catch (e) {
          errors.push(e.message);
          if (errors.length > 20) return;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const clientElu = performance.eventLoopUtilization(elu0).utilization;
  return { lat, errors, elapsed, clientElu };
}

/**
 * Runs one level with the clients in a worker thread (their own event loop), so the load
 * generator's HTTP client work does not queue behind the server's on the same event loop;
 * --in-process-clients keeps the old behaviour (clients on the server's thread).
 */
async function level(base, clients, seconds, onMeasure, kind = 'flow') {
  if (process.argv.includes('--in-process-clients')) {
    await levelInThisThread(base, clients, WARMUP_SECONDS, kind);
    onMeasure?.();
    return levelInThisThread(base, clients, seconds, kind);
  }
  const { Worker } = require('node:worker_threads');
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, {
      workerData: { benchClients: { base, clients, seconds, kind } },
      argv: process.argv.slice(2),
    });
    w.on('message', m => (m.phase === 'measure' ? onMeasure?.() : resolve(m)));
    w.once('error', reject);
    w.once('exit', code =>
      code === 0
        ? undefined
        : reject(new Error(`client worker exited ${code}`)),
    );
  });
}

function fmt(n, w = 8, d = 1) {
  return (Number.isFinite(n) ? n.toFixed(d) : '-').padStart(w);
}

async function main() {
  const summary = [];
  console.log(
    `access-requests bench: clients=${CLIENTS.join(
      ',',
    )} seconds/level=${SECONDS} dbs=${DBS.join(',')}`,
  );
  for (const db of DBS) {
    const { backend, base, baselineBase } = await startBackend(db);
    try {
      // warm-up: JIT, connection pools, policy cache
      await level(base, 2, 1);
      console.log(`\n[${db}] ${base}`);
      console.log(
        `${'clients'.padStart(7)} ${'step'.padEnd(8)} ${'count'.padStart(
          7,
        )} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(
          8,
        )} ${'max ms'.padStart(8)}`,
      );
      for (const clients of CLIENTS) {
        let elu0 = performance.eventLoopUtilization();
        const { lat, errors, elapsed, clientElu } = await profiled(
          `${db}-${clients}`,
          () =>
            level(base, clients, SECONDS, () => {
              elu0 = performance.eventLoopUtilization();
            }),
        );
        const serverElu = performance.eventLoopUtilization(elu0).utilization;
        let total = 0;
        for (const step of ['create', 'review1', 'review2']) {
          const s = lat[step].slice().sort((a, b) => a - b);
          total += s.length;
          const row = {
            db,
            clients,
            step,
            count: s.length,
            rps: s.length / elapsed,
            p50: pct(s, 50),
            p99: pct(s, 99),
            max: s[s.length - 1],
          };
          summary.push(row);
          console.log(
            `${String(clients).padStart(7)} ${step.padEnd(8)} ${String(
              s.length,
            ).padStart(7)} ${fmt(row.rps)} ${fmt(row.p50)} ${fmt(
              row.p99,
            )} ${fmt(row.max)}`,
          );
        }
        console.log(
          `${String(clients).padStart(7)} ${'all'.padEnd(8)} ${String(
            total,
          ).padStart(7)} ${fmt(total / elapsed)}   flows/s ${fmt(
            lat.review2.length / elapsed,
            6,
          )}   busy: server ${(serverElu * 100).toFixed(0)}% clients ${(
            clientElu * 100
          ).toFixed(0)}%${errors.length ? `   ERRORS ${errors.length}: ${errors[0]}` : ''}`,
        );
        const all = [...lat.create, ...lat.review1, ...lat.review2].sort(
          (a, b) => a - b,
        );
        console.log(
          `${' '.repeat(7)} ${'all'.padEnd(8)} p50 ${fmt(
            pct(all, 50),
            0,
          )}  p95 ${fmt(pct(all, 95), 0)}  p99 ${fmt(
            pct(all, 99),
            0,
          )}  mean ${fmt(
            all.reduce((a, b) => a + b, 0) / all.length,
            0,
          )} ms (closed loop: mean ~ clients / req/s = ${fmt(
            ((clients * elapsed) / total) * 1000,
            0,
          )} ms)`,
        );
        if (errors.length) process.exitCode = 1;
        if (!process.argv.includes('--no-baseline')) {
          let belu0 = performance.eventLoopUtilization();
          const b = await level(
            baselineBase,
            clients,
            Math.min(SECONDS, 4),
            () => {
              belu0 = performance.eventLoopUtilization();
            },
            'baseline',
          );
          const bAll = [...b.lat.create, ...b.lat.review1, ...b.lat.review2].sort(
            (x, y) => x - y,
          );
          const row = {
            db,
            clients,
            step: 'baseline',
            count: bAll.length,
            rps: bAll.length / b.elapsed,
            p50: pct(bAll, 50),
            p99: pct(bAll, 99),
            max: bAll[bAll.length - 1],
          };
          summary.push(row);
          console.log(
            `${String(clients).padStart(7)} ${'baseline'.padEnd(8)} ${String(
              row.count,
            ).padStart(7)} ${fmt(row.rps)} ${fmt(row.p50)} ${fmt(
              row.p99,
            )} ${fmt(row.max)}   busy: server ${(
              performance.eventLoopUtilization(belu0).utilization * 100
            ).toFixed(0)}%${
              b.errors.length ? `   ERRORS ${b.errors.length}: ${b.errors[0]}` : ''
            }`,
          );
          if (b.errors.length) process.exitCode = 1;
        }
      }
    } finally {
      await backend.stop();
    }
  }
  console.log(`\nTarget: p99 < ${TARGET_P99_MS} ms per step at 50 clients.`);
  for (const db of DBS) {
    const rows = summary.filter(
      r =>
        r.db === db &&
        r.clients === Math.max(...CLIENTS) &&
        r.step !== 'baseline',
    );
    const worst = Math.max(...rows.map(r => r.p99));
    console.log(
      `  ${db}: worst p99 at ${Math.max(...CLIENTS)} clients = ${worst.toFixed(
        1,
      )} ms -> ${worst < TARGET_P99_MS ? 'MET' : 'NOT MET'}`,
    );
  }
  fs.mkdirSync(WORK, { recursive: true });
  fs.writeFileSync(
    path.join(WORK, 'last-run.json'),
    JSON.stringify(
      { at: new Date().toISOString(), seconds: SECONDS, rows: summary },
      null,
      2,
    ),
  );
}

const { isMainThread, workerData, parentPort } = require('node:worker_threads');
if (!isMainThread && workerData?.benchClients) {
  const { base, clients, seconds, kind } = workerData.benchClients;
  // untimed warm-up at the same concurrency (opens the level's keep-alive connections, warms
  // both JITs), then the measured run; the main thread starts its CPU figures at 'measure'
  levelInThisThread(base, clients, WARMUP_SECONDS, kind)
    .then(() => parentPort.postMessage({ phase: 'measure' }))
    .then(() => levelInThisThread(base, clients, seconds, kind))
    .then(
      r => parentPort.postMessage(r),
      e => {
        throw e;
      },
    );
} else {
  main().then(
    // backend.stop() leaves timers/pools behind (scheduler, knex); do not hang after the report.
    () => process.exit(process.exitCode ?? 0),
    e => {
      console.error(e);
      process.exit(1);
    },
  );
}
