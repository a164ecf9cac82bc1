#!/usr/bin/env node
/**
 * Detections replay benchmark. Generates into bench/.work/ (git-ignored) a mixed-source NDJSON log
 * of N events (default 200,000; `--events N`): Entra sign-ins (Graph, diagnostic and Log Analytics
 * shapes), StorageBlobLogs (diagnostic and LA), Kubernetes audit, Azure Firewall (classic and
 * structured) and Hubble flows, in time order over one day, with a few planted incidents (password
 * spray, bulk read of a weight store, atypical travel, exec into a research pod, cluster-admin
 * binding, egress denies). Then measures, each as a whole fresh process:
 *   1. `bin/detections replay FILE` (the CLI a user runs), events/s and peak RSS;
 *   2. baseline: a plain node process that reads the same file line by line and JSON-parses each.
 * Load model: closed loop, one process at a time, the whole file as fast as it goes.
 * Usage: node bench/detections/run.js [--events N] [--runs R] [--keep] [--cpu-prof DIR]
 */
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');
const PLUGIN = path.join(ROOT, 'plugins/detection-rules');
const WORK = path.resolve(__dirname, '../.work');
fs.mkdirSync(WORK, { recursive: true });
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const N = Number(opt('--events', '200000'));
const RUNS = Number(opt('--runs', '1'));
const cpuProf = opt('--cpu-prof', undefined);
if (!Number.isInteger(N) || N < 1000) throw new Error('--events must be an integer >= 1000');

process.chdir(PLUGIN); // resolve the TS transform from the plugin's node_modules
require(require.resolve('@backstage/cli/config/nodeTransform.cjs', { paths: [PLUGIN, ROOT] }));
const b = require(path.join(PLUGIN, 'src/testing/builders'));

// deterministic PRNG (mulberry32) so every run sees the same mix
let seed = 0x5eed;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pickOf = a => a[Math.floor(rnd() * a.length)];

const DAY = Date.parse('2026-11-02T00:00:00Z');
const users = Array.from({ length: 400 }, (_, i) => `user${i}@contoso.com`);
const offices = [
  { ip: '81.2.69.142', country: 'GB', city: 'London', lat: 51.5, lon: -0.12 },
  { ip: '81.2.69.150', country: 'GB', city: 'London', lat: 51.5, lon: -0.12 },
  { ip: '145.1.2.3', country: 'NL', city: 'Amsterdam', lat: 52.37, lon: 4.89 },
];
const stores = [
  { account: 'stweights01', container: 'checkpoints', blob: i => `llm-7b/step-${i}/model-0000${i % 8}.safetensors` },
  { account: 'stdatasets', container: 'corpus', blob: i => `shard-${i}.jsonl` },
  { account: 'stlogs', container: 'runs', blob: i => `run-${i}/metrics.json` },
];
const namespaces = ['research-llm', 'training-vision', 'kube-system', 'web', 'ml-eval'];

function normalEvent(i, time) {
  const r = rnd();
  const upn = pickOf(users);
  if (r < 0.18) {
    const o = { time, upn, ...pickOf(offices), errorCode: rnd() < 0.03 ? 50126 : 0, mfa: rnd() < 0.7 };
    const s = rnd();
    return s < 0.4 ? b.graphSignIn(o) : s < 0.7 ? b.diagnosticSignIn(o) : b.laSignIn(o);
  }
  if (r < 0.5) {
    const st = pickOf(stores);
    const o = { time, account: st.account, container: st.container, blob: st.blob(i % 500), op: rnd() < 0.9 ? 'GetBlob' : 'PutBlob', bytes: Math.floor(rnd() * 8 * 2 ** 20), objectId: `svc-${i % 7}`, appId: 'app-train', ip: '10.1.2.3' };
    return rnd() < 0.6 ? b.diagnosticBlobLog(o) : b.laBlobLog(o);
  }
  if (r < 0.75) {
    const ns = pickOf(namespaces);
    const verbs = ['get', 'list', 'watch', 'update', 'create'];
    const o = { time, user: rnd() < 0.8 ? `system:serviceaccount:${ns}:default` : upn, groups: ['system:authenticated'], verb: pickOf(verbs), resource: pickOf(['pods', 'configmaps', 'deployments', 'services']), namespace: ns, name: `obj-${i % 100}`, code: 200 };
    return rnd() < 0.7 ? b.k8sAudit(o) : b.aksDiagnosticAudit(o);
  }
  if (r < 0.87) {
    const action = rnd() < 0.97 ? 'Allow' : 'Deny';
    return rnd() < 0.5
      ? b.firewallClassic({ time, src: '10.20.0.5', dst: '151.101.0.223', port: 443, action: 'Allow', app: true })
      : b.firewallStructured({ time, src: '10.30.1.9', fqdn: action === 'Allow' ? 'pypi.org' : undefined, dstIp: '151.101.0.223', port: 443, action: 'Allow', la: rnd() < 0.5 });
  }
  return b.hubbleFlow({ time, ns: pickOf(['web', 'kube-system', 'monitoring']), pod: `api-${i % 20}-x`, srcIp: '10.244.1.5', dstIp: '10.0.0.10', port: 53, verdict: 'FORWARDED' });
}

function planted(time) {
  const at = m => new Date(Date.parse(time) + m * 60_000).toISOString();
  const out = [];
  // password spray from one address against 15 accounts
  for (let k = 0; k < 15; k++) out.push(b.graphSignIn({ time: at(k), upn: users[k], ip: '198.51.100.23', errorCode: 50126, country: 'RU', city: 'Moscow', lat: 55.7, lon: 37.6 }));
  // bulk read of a weight store by a person (60 GiB in an hour)
  for (let k = 0; k < 60; k++) out.push(b.diagnosticBlobLog({ time: at(k), account: 'stweights01', container: 'checkpoints', blob: `llm-70b/model-${k}.safetensors`, bytes: 1 * b.GiB, upn: 'mallory@contoso.com', objectId: 'obj-mallory', ip: '203.0.113.77' }));
  // atypical travel
  out.push(b.graphSignIn({ time: at(0), upn: 'alice@contoso.com', ip: '81.2.69.142', country: 'GB', city: 'London', lat: 51.5, lon: -0.12 }));
  out.push(b.graphSignIn({ time: at(50), upn: 'alice@contoso.com', ip: '8.8.4.4', country: 'US', city: 'New York', lat: 40.7, lon: -74 }));
  // exec into a research pod, cluster-admin binding
  out.push(b.k8sAudit({ time: at(5), user: 'eve@contoso.com', verb: 'create', resource: 'pods', namespace: 'research-llm', name: 'trainer-0', subresource: 'exec' }));
  out.push(b.k8sAudit({ time: at(6), user: 'eve@contoso.com', verb: 'create', resource: 'clusterrolebindings', apiGroup: 'rbac.authorization.k8s.io', name: 'eve-admin', code: 201, requestObject: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'eve@contoso.com' }] } }));
  // egress denied from a research namespace
  for (let k = 0; k < 5; k++) out.push(b.hubbleFlow({ time: at(k), ns: 'research-llm', pod: 'trainer-0', srcIp: '10.244.3.7', dstIp: '185.199.108.133', dstName: 'paste.example', port: 443, verdict: 'DROPPED' }));
  return out;
}

function generate(file) {
  const fd = fs.openSync(file, 'w');
  let buf = [];
  let bytes = 0;
  const plantAt = new Set([Math.floor(N * 0.25), Math.floor(N * 0.5), Math.floor(N * 0.8)]);
  let written = 0;
  for (let i = 0; written < N; i++) {
    const time = new Date(DAY + Math.floor((i / N) * 86_400_000)).toISOString();
    const recs = plantAt.has(i) ? planted(time) : [normalEvent(i, time)];
    for (const r of recs) {
      const line = JSON.stringify(r) + '\n';
      buf.push(line);
      bytes += line.length;
      written++;
    }
    if (buf.length >= 5000) {
      fs.writeSync(fd, buf.join(''));
      buf = [];
    }
  }
  fs.writeSync(fd, buf.join(''));
  fs.closeSync(fd);
  return { events: written, bytes };
}

const BASELINE = `
const fs = require('node:fs'); const readline = require('node:readline');
(async () => {
  const rl = readline.createInterface({ input: fs.createReadStream(process.argv[1], { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let n = 0; for await (const line of rl) { if (line) { JSON.parse(line); n++; } }
  process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + ' EVENTS ' + n + '\\n');
})();`;
// wraps the CLI so the child reports its own peak RSS (resourceUsage is per process)
const CLI = `
process.on('exit', () => process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + '\\n'));
process.argv = [process.argv[0], ${JSON.stringify(path.join(PLUGIN, 'bin/detections'))}, ...process.argv.slice(1)];
require(process.argv[1]);`;

function timed(nodeArgs, label) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, nodeArgs, { cwd: PLUGIN, maxBuffer: 1 << 28, encoding: 'utf8' });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
  const m = /MAXRSS (\d+)/.exec(r.stderr);
  return { secs, rssMiB: m ? Number(m[1]) / 1024 : NaN, stdout: r.stdout };
}

const file = path.join(WORK, `detections-${N}.ndjson`);
const t0 = Date.now();
const g = generate(file);
console.log(`generated ${g.events} events, ${(g.bytes / 2 ** 20).toFixed(0)} MiB (${(g.bytes / g.events).toFixed(0)} B/event) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${file}`);
console.log(`load average before: ${os.loadavg().map(x => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs); closed loop, one process at a time`);

const results = { cli: [], base: [] };
let alerts;
for (let k = 0; k < RUNS; k++) {
  results.base.push(timed(['-e', BASELINE, file], 'baseline'));
  const prof = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(ROOT, cpuProf)] : [];
  const c = timed([...prof, '-e', CLI, 'replay', file, '--format', 'json'], 'replay');
  results.cli.push(c);
  alerts = JSON.parse(c.stdout).alerts;
}
const best = a => a.reduce((x, y) => (y.secs < x.secs ? y : x));
const c = best(results.cli);
const base = best(results.base);
console.log(`baseline (read + JSON.parse every line): ${base.secs.toFixed(2)} s, ${Math.round(g.events / base.secs).toLocaleString('en')} events/s, peak RSS ${base.rssMiB.toFixed(0)} MiB`);
console.log(`detections replay (whole CLI process):    ${c.secs.toFixed(2)} s, ${Math.round(g.events / c.secs).toLocaleString('en')} events/s, peak RSS ${c.rssMiB.toFixed(0)} MiB  (${(c.secs / base.secs).toFixed(1)}x baseline; target >= 100,000 events/s)`);
const byRule = {};
for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
console.log(`alerts: ${alerts.length} ${JSON.stringify(byRule)}`);
console.log(`load average after: ${os.loadavg().map(x => x.toFixed(2)).join(' ')}`);
if (!args.includes('--keep')) fs.rmSync(file, { force: true });
