#!/usr/bin/env node
/**
 * Detections ingest benchmark through the real backend HTTP stack (issue 10: "ingest with rules on
 * for 1 million events on SQLite and PostgreSQL (events per second, peak memory) and the
 * dashboard's queries over them (p50/p99)"; targets >= 20,000 events/s, queries < 300 ms).
 *
 * Per database (SQLite file under bench/.work/, PostgreSQL at 127.0.0.1:5432):
 *   1. the real backend (packages/backend from source, app-config.yaml + a generated overlay: own
 *      port, the database under test) as a child process;
 *   2. baseline, same run: the same NDJSON bodies POSTed with the same service token to a route
 *      the detections plugin does not have (authenticated, answered 404 without parsing): the
 *      HTTP transfer and authentication floor;
 *   3. ingest: the generated log (generate.js: mixed sources, planted incidents) POSTed to
 *      /api/detections/ingest in batches (--batch lines, --concurrency requests in flight) with
 *      the demo log shipper's service token (app-config.yaml backend.auth.externalAccess); every
 *      rule runs, alerts are grouped and stored. Events/s over the whole upload, the backend's
 *      peak RSS (VmHWM of the child);
 *   4. the dashboard's queries as a security reviewer (demo sign-in of bob): GET /dashboard over
 *      the generated day and GET /alerts (first page, then filtered), --queries times each, p50/p99.
 * Load model: closed loop, one client with --concurrency requests in flight.
 * Usage: node bench/detections/ingest.js [--events 1000000] [--db sqlite,postgres] [--batch 5000]
 *        [--concurrency 2] [--queries 50] [--keep] [--backend-cpu-prof] [--backend-heap MiB] [--settle S]
 */
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const http = require('node:http');
const net = require('node:net');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');
const PLUGIN = path.join(ROOT, 'plugins/detection-rules');
const WORK = path.resolve(__dirname, '../.work/detections-ingest');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const N = Number(opt('--events', '1000000'));
const DBS = opt('--db', 'sqlite,postgres').split(',').filter(Boolean);
const BATCH = Number(opt('--batch', '5000'));
const CONCURRENCY = Number(opt('--concurrency', '2'));
const QUERIES = Number(opt('--queries', '50'));
const PG = process.env.FG_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const PG_PREFIX = 'fg_bench_detections_';
// app-config.yaml: the demo log shipper (static service token restricted to detections ingest)
const SHIPPER_TOKEN = 'demo-log-shipper-token-not-secret';
const TARGET = { ingest: 20_000, queryMs: 300 };

process.chdir(PLUGIN); // resolve the TS transform from the plugin's node_modules
require(require.resolve('@backstage/cli/config/nodeTransform.cjs', { paths: [PLUGIN, ROOT] }));
const { generate, DAY } = require('./generate');
const yaml = require(require.resolve('js-yaml', { paths: [ROOT] }));

const sleep = ms => new Promise(r => setTimeout(r, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function request(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(600_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function dropPostgresDatabases() {
  const { Client } = require(require.resolve('pg', { paths: [ROOT] }));
  const c = new Client({ connectionString: PG });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [PG_PREFIX]);
    for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

function procStatus(pid) {
  try {
    const t = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = k => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t) ?? [])[1] ?? NaN);
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
  } catch {
    return { rssMiB: NaN, hwmMiB: NaN };
  }
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds of the process's main (JavaScript) thread so far: the thread that stores and runs the rules. */
function mainThreadCpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The real backend as a child process on `db`; resolves when detections answers a reviewer. */
async function startBackend(db) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let database;
  if (db === 'sqlite') {
    const dir = path.join(WORK, 'sqlite');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    database = { client: 'better-sqlite3', connection: { directory: dir } };
  } else {
    await dropPostgresDatabases();
    database = { client: 'pg', connection: PG, prefix: PG_PREFIX };
  }
  const overlay = {
    app: { baseUrl },
    backend: { baseUrl, listen: { port }, cors: { origin: baseUrl }, database },
    modelScan: { workDir: path.join(WORK, 'model-scan') },
  };
  const overlayFile = path.join(WORK, `overlay-${db}.yaml`);
  fs.writeFileSync(overlayFile, `# generated by bench/detections/ingest.js\n${yaml.dump(overlay)}`);
  const logFile = path.join(WORK, `backend-${db}.log`);
  const logFd = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      // --backend-cpu-prof: V8 profile of the backend process (written when it stops) into bench/.work/detections-ingest/profiles
      ...(args.includes('--backend-cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${path.join(WORK, 'profiles')}`] : []),
      // --backend-heap MiB: V8's old-space limit of the backend (tells retained memory from garbage not yet collected)
      ...(args.includes('--backend-heap') ? [`--max-old-space-size=${Number(opt('--backend-heap'))}`] : []),
      '--require',
      path.join(ROOT, 'node_modules/@backstage/cli-node/config/nodeTransform.cjs'),
      'src/index.ts', '--config', path.join(ROOT, 'app-config.yaml'), '--config', overlayFile],
    { cwd: path.join(ROOT, 'packages/backend'), env: { ...process.env, NODE_ENV: 'development' }, stdio: ['ignore', logFd, logFd], detached: true },
  );
  fs.closeSync(logFd);
  let exited;
  child.once('exit', code => (exited = code ?? 'signal'));
  const stop = async () => {
    if (exited !== undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    for (let i = 0; i < 100 && exited === undefined; i++) await sleep(200);
    if (exited === undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
  };
  process.on('exit', () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  });
  const t0 = Date.now();
  const api = `${baseUrl}/api`;
  let reviewer;
  for (;;) {
    if (exited !== undefined) throw new Error(`backend exited (${exited}); log ${logFile}`);
    if (Date.now() - t0 > 420_000) {
      await stop();
      throw new Error(`backend not ready after 420 s; log ${logFile}`);
    }
    try {
      if (!reviewer) {
        const r = await request('GET', `${api}/auth/demo/refresh`, { headers: { 'x-frontier-guard-demo-user': 'bob' } });
        if (r.status === 200) reviewer = `Bearer ${JSON.parse(r.text).backstageIdentity.token}`;
      }
      // bob reads alerts once the catalog says he is a security reviewer
      if (reviewer && (await request('GET', `${api}/detections/alerts?limit=1`, { headers: { authorization: reviewer } })).status === 200) break;
    } catch {}
    await sleep(1000);
  }
  console.log(`[${db}] backend pid ${child.pid} ready in ${((Date.now() - t0) / 1000).toFixed(0)} s (log ${path.relative(ROOT, logFile)})`);
  return { pid: child.pid, api, reviewer, stop };
}

/** NDJSON bodies of BATCH lines each, read lazily from the file. */
function* bodies(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(8 << 20);
  let rest = '';
  let lines = [];
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (!n) break;
      const text = rest + buf.toString('utf8', 0, n);
      const parts = text.split('\n');
      rest = parts.pop();
      for (const l of parts) {
        if (!l) continue;
        lines.push(l);
        if (lines.length === BATCH) {
          yield { body: `${lines.join('\n')}\n`, events: lines.length };
          lines = [];
        }
      }
    }
    if (rest) lines.push(rest);
    if (lines.length) yield { body: `${lines.join('\n')}\n`, events: lines.length };
  } finally {
    fs.closeSync(fd);
  }
}

/** POSTs every body to `url` with CONCURRENCY in flight; returns wall seconds and the answers. */
async function upload(file, url, onAnswer, pid) {
  const it = bodies(file);
  const t0 = process.hrtime.bigint();
  let peakRss = 0;
  const sampler = setInterval(() => {
    const s = procStatus(pid);
    if (s.rssMiB > peakRss) peakRss = s.rssMiB;
  }, 250);
  const worker = async () => {
    for (let next = it.next(); !next.done; next = it.next()) {
      const { body, events } = next.value;
      const r = await request('POST', url, { headers: { authorization: `Bearer ${SHIPPER_TOKEN}`, 'content-type': 'application/x-ndjson' }, body });
      onAnswer(r, events);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(sampler);
  return { secs: Number(process.hrtime.bigint() - t0) / 1e9, peakRss };
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function timedGets(url, auth) {
  const ms = [];
  let bytes = 0;
  for (let i = 0; i < QUERIES; i++) {
    const t = process.hrtime.bigint();
    const r = await request('GET', url, { headers: { authorization: auth } });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.text.slice(0, 300)}`);
    bytes = r.text.length;
  }
  return { p50: pct(ms, 50), p99: pct(ms, 99), bytes };
}

async function runDb(db, file) {
  const be = await startBackend(db);
  try {
    // --settle S: wait S seconds after ready (start-up reads of the catalog and grants finish first)
    if (args.includes('--settle')) await sleep(Number(opt('--settle')) * 1000);
    const hwmBefore = procStatus(be.pid).hwmMiB;
    // baseline: same bodies, same token, a route the plugin does not have (404 without parsing)
    let baseEvents = 0;
    const base = await upload(file, `${be.api}/detections/bench-no-such-route`, (r, events) => {
      if (r.status !== 404) throw new Error(`baseline: expected 404, got ${r.status} ${r.text.slice(0, 200)}`);
      baseEvents += events;
    }, be.pid);
    const sum = { accepted: 0, duplicates: 0, rejected: 0, detections: 0, alertsOpened: 0, alertsUpdated: 0 };
    const cpu0 = cpuSeconds(be.pid);
    const main0 = mainThreadCpuSeconds(be.pid);
    const ing = await upload(file, `${be.api}/detections/ingest`, (r, events) => {
      if (r.status !== 200) throw new Error(`ingest: ${r.status} ${r.text.slice(0, 300)}`);
      const a = JSON.parse(r.text);
      for (const k of Object.keys(sum)) sum[k] += k === 'rejected' ? a.rejected.length : a[k];
      if (a.accepted + a.duplicates + a.rejected.length !== events) throw new Error(`ingest answered for ${a.accepted + a.duplicates + a.rejected.length} of ${events} lines`);
    }, be.pid);
    const cpu = cpuSeconds(be.pid) - cpu0;
    const mainCpu = mainThreadCpuSeconds(be.pid) - main0;
    const hwm = procStatus(be.pid).hwmMiB;
    const from = new Date(DAY).toISOString();
    const to = new Date(DAY + 86_400_000).toISOString();
    const q = {
      dashboard: await timedGets(`${be.api}/detections/dashboard?from=${from}&to=${to}`, be.reviewer),
      alerts: await timedGets(`${be.api}/detections/alerts?limit=50`, be.reviewer),
      'alerts (new, high+critical)': await timedGets(`${be.api}/detections/alerts?status=new&severity=high,critical&limit=50`, be.reviewer),
      events: await timedGets(`${be.api}/detections/events?source=storage_blob&limit=50`, be.reviewer),
    };
    const total = (await request('GET', `${be.api}/detections/alerts?limit=1`, { headers: { authorization: be.reviewer } })).text;
    return { db, base, baseEvents, ing, sum, cpu, mainCpu, hwm, hwmBefore, q, totalAlerts: JSON.parse(total).totalCount };
  } finally {
    await be.stop();
  }
}

(async () => {
  fs.mkdirSync(WORK, { recursive: true });
  const file = path.join(WORK, `events-${N}.ndjson`);
  const t0 = Date.now();
  const reuse = fs.existsSync(file) && args.includes('--keep');
  const g = reuse ? { events: N, bytes: fs.statSync(file).size } : generate(file, N);
  console.log(`${reuse ? 'reused (--keep)' : 'generated'} ${g.events} events, ${(g.bytes / 2 ** 20).toFixed(0)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s; batches of ${BATCH} lines, ${CONCURRENCY} in flight`);
  console.log(`load average before: ${os.loadavg().map(x => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
  const results = [];
  for (const db of DBS) {
    const r = await runDb(db, file);
    results.push(r);
    const eps = Math.round(g.events / r.ing.secs);
    console.log(`[${db}] baseline (same bodies, authenticated 404): ${r.base.secs.toFixed(1)} s, ${Math.round(r.baseEvents / r.base.secs).toLocaleString('en')} events/s`);
    console.log(
      `[${db}] ingest with rules on: ${r.ing.secs.toFixed(1)} s, ${eps.toLocaleString('en')} events/s (target >= ${TARGET.ingest.toLocaleString('en')}), backend CPU ${r.cpu.toFixed(1)} s (main thread ${r.mainCpu.toFixed(1)} s: ${Math.round(g.events / r.mainCpu).toLocaleString('en')} events per main-thread CPU-s), backend peak RSS ${r.hwm.toFixed(0)} MiB (sampled ${r.ing.peakRss.toFixed(0)} MiB; ${r.hwmBefore.toFixed(0)} MiB before)`,
    );
    console.log(`[${db}] answers: ${JSON.stringify(r.sum)}; alerts stored: ${r.totalAlerts}`);
    for (const [name, s] of Object.entries(r.q)) {
      console.log(`[${db}] GET ${name}: p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms over ${QUERIES} (${(s.bytes / 1024).toFixed(0)} KiB; target < ${TARGET.queryMs} ms)`);
    }
  }
  console.log(`load average after: ${os.loadavg().map(x => x.toFixed(2)).join(' ')}`);
  if (!args.includes('--keep')) fs.rmSync(file, { force: true });
  agent.destroy();
})().catch(e => {
  console.error(e);
  process.exit(1);
});
