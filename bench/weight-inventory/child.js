/*
 * One measurement in a fresh process; prints one JSON line with wall time and peak RSS
 * (process.resourceUsage().maxRSS, KiB). Modes:
 *   cli <dir>                         the posture CLI (JSON to /dev/null) over a folder
 *   parse <dir>                       baseline: read and parse the same files, no checks
 *   refresh <armEndpoint> <dbFile>    inventory refresh (real SDKs) into a SQLite file ('postgres': a fresh PostgreSQL database)
 *   list <armEndpoint>                baseline: the same HTTP listing with plain https, no SDK/DB
 */
const path = require('node:path');
const fs = require('node:fs');
const root = path.resolve(__dirname, '../..');
require(require.resolve('@backstage/cli/config/nodeTransform.cjs', { paths: [root] }));

const [mode, a1, a2] = process.argv.slice(2);
if (process.env.WI_BENCH_TRACE) {
  // WI_BENCH_TRACE=1: memory use every second on stderr (rss / heap used / external, MiB)
  const mib = n => Math.round(n / 1048576);
  setInterval(() => {
    const m = process.memoryUsage();
    const h = require("node:v8").getHeapStatistics();
    process.stderr.write(`[${mode}] malloced ${mib(h.malloced_memory)} rss ${mib(m.rss)} heapUsed ${mib(m.heapUsed)} heapTotal ${mib(m.heapTotal)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)}\n`);
  }, 1000).unref();
}
const out = (extra) => {
  process.stdout.write(`${JSON.stringify({ mode, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), ...extra })}\n`);
};

async function cli(dir) {
  const { main } = require(path.join(root, 'plugins/posture-checks/src/cli/main'));
  const { Writable } = require('node:stream');
  const sink = new Writable({ write(_c, _e, cb) { cb(); } });
  const t0 = performance.now();
  const code = await main([dir, '--format', 'json', '--output', '/dev/null'], { stdout: sink, stderr: process.stderr, env: {} });
  out({ ms: Math.round(performance.now() - t0), exitCode: code });
}

async function parse(dir) {
  const jsyaml = require(require.resolve('js-yaml', { paths: [path.join(root, 'plugins/posture-checks')] }));
  const t0 = performance.now();
  let docs = 0;
  const walk = d => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.json')) { JSON.parse(fs.readFileSync(p, 'utf8')); docs++; }
      else if (/\.ya?ml$/.test(p)) jsyaml.loadAll(fs.readFileSync(p, 'utf8'), () => { docs++; });
    }
  };
  walk(dir);
  out({ ms: Math.round(performance.now() - t0), docs });
}

async function refresh(armEndpoint, dbFile) {
  const knexFactory = require(require.resolve('knex', { paths: [path.join(root, 'plugins/weight-inventory-backend')] }));
  // dbFile 'postgres': a fresh database on 127.0.0.1:5432 (user postgres), dropped afterwards
  const pg = dbFile === 'postgres';
  const pgConnection = database => ({ host: process.env.PGHOST || '127.0.0.1', port: Number(process.env.PGPORT || 5432), user: process.env.PGUSER || 'postgres', password: process.env.PGPASSWORD, database });
  const pgName = `wi_bench_${process.pid}`;
  let admin;
  if (pg) {
    admin = knexFactory({ client: 'pg', connection: pgConnection('postgres') });
    await admin.raw(`CREATE DATABASE ${pgName}`);
  }
  const knex = pg
    ? knexFactory({ client: 'pg', connection: pgConnection(pgName), pool: { min: 0, max: 8 } })
    : knexFactory({ client: 'better-sqlite3', connection: { filename: dbFile }, useNullAsDefault: true });
  if (!pg) {
    await knex.raw('PRAGMA journal_mode = WAL');
    await knex.raw('PRAGMA synchronous = NORMAL');
  }
  const { InventoryStore } = require(path.join(root, 'plugins/weight-inventory-backend/src/store/InventoryStore'));
  const { InventoryService } = require(path.join(root, 'plugins/weight-inventory-backend/src/service/InventoryService'));
  const { AzureStorageSource } = require(path.join(root, 'plugins/weight-inventory-backend/src/sources/azure'));
  const { resolveConfig } = require(path.join(root, 'plugins/posture-checks/src'));
  const logger = { info() {}, warn() {}, error: console.error, debug() {}, child() { return logger; } };
  const auditor = { async createEvent() { return { async success() {}, async fail() {} }; } };
  const store = await InventoryStore.create({ database: { getClient: async () => knex } });
  const credential = { getToken: async () => ({ token: 'bench', expiresOnTimestamp: Date.now() + 3600_000 }) };
  const source = new AzureStorageSource({ subscription: { subscriptionId: 'bench', credential }, armEndpoint, listBlobs: true, maxMagicProbes: 0, concurrency: 16, logger });
  const service = new InventoryService({ store, sources: [source], posture: resolveConfig({}), clock: { now: () => new Date() }, logger, auditor, concurrency: 4 });
  const t0 = performance.now();
  const r = await service.refresh('manual');
  const ms = Math.round(performance.now() - t0);
  const files = await knex('wi_weight_files').count({ n: '*' });
  const findings = await knex('wi_findings').count({ n: '*' });
  await knex.destroy();
  if (admin) {
    await admin.raw(`DROP DATABASE ${pgName}`);
    await admin.destroy();
  }
  out({ db: pg ? 'postgres' : 'sqlite', ms, status: r.status, stores: r.stores, weightFiles: Number(files[0].n), findings: Number(findings[0].n), errors: r.errors.slice(0, 3) });
}

async function list(armEndpoint) {
  const https = require('node:https');
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  const get = url => new Promise((resolve, reject) => {
    https.get(url, { agent, headers: { authorization: 'Bearer bench' } }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    }).on('error', reject);
  });
  const t0 = performance.now();
  const accounts = [];
  let next = `${armEndpoint}/subscriptions/bench/providers/Microsoft.Storage/storageAccounts?api-version=2025-01-01`;
  while (next) {
    const page = JSON.parse(await get(next));
    accounts.push(...page.value);
    next = page.nextLink;
  }
  let blobs = 0;
  let i = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (i < accounts.length) {
      const a = accounts[i++];
      for (const p of ['/blobServices/default', '/blobServices/default/containers', '/privateEndpointConnections', '/blobServices/default/providers/Microsoft.Insights/diagnosticSettings']) {
        await get(`${armEndpoint}${a.id}${p}?api-version=2025-01-01`);
      }
      let marker = '';
      for (;;) {
        const xml = await get(`${a.properties.primaryEndpoints.blob}weights?restype=container&comp=list&maxresults=5000${marker ? `&marker=${marker}` : ''}`);
        blobs += (xml.match(/<Blob>/g) || []).length;
        const m = /<NextMarker>([^<]+)<\/NextMarker>/.exec(xml);
        if (!m) break;
        marker = m[1];
      }
    }
  }));
  out({ ms: Math.round(performance.now() - t0), accounts: accounts.length, blobs });
}

({ cli, parse, refresh, list })[mode](a1, a2).catch(e => {
  console.error(e);
  process.exit(1);
});
