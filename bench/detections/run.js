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
const { generate } = require('./generate');

const BASELINE = `
const fs = require('node:fs'); const readline = require('node:readline');
(async () => {
  const rl = readline.createInterface({ input: fs.createReadStream(process.argv[1], { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let n = 0; for await (const line of rl) { if (line) { JSON.parse(line); n++; } }
  const u = process.cpuUsage(); process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + ' CPUMS ' + (u.user + u.system) / 1000 + ' EVENTS ' + n + '\\n');
})();`;
// wraps the CLI so the child reports its own peak RSS (resourceUsage is per process)
const CLI = `
process.on('exit', () => { const u = process.cpuUsage(); const m = process.threadCpuUsage ? process.threadCpuUsage() : { user: NaN, system: NaN }; process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + ' CPUMS ' + (u.user + u.system) / 1000 + ' MAINMS ' + (m.user + m.system) / 1000 + '\\n'); });
process.argv = [process.argv[0], ${JSON.stringify(path.join(PLUGIN, 'bin/detections'))}, ...process.argv.slice(1)];
require(process.argv[1]);`;

function timed(nodeArgs, label) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, nodeArgs, { cwd: PLUGIN, maxBuffer: 1 << 28, encoding: 'utf8' });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
  const m = /MAXRSS (\d+) CPUMS ([\d.]+)(?: MAINMS ([\d.]+))?/.exec(r.stderr);
  return { secs, rssMiB: m ? Number(m[1]) / 1024 : NaN, cpuSecs: m ? Number(m[2]) / 1000 : NaN, mainCpuSecs: m && m[3] ? Number(m[3]) / 1000 : NaN, stdout: r.stdout };
}

const file = path.join(WORK, `detections-${N}.ndjson`);
const t0 = Date.now();
const g = generate(file, N);
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
const perCpu = r => `${r.cpuSecs.toFixed(2)} s CPU = ${Math.round(g.events / r.cpuSecs).toLocaleString('en')} events per CPU-second`;
console.log(`baseline (read + JSON.parse every line): ${base.secs.toFixed(2)} s, ${Math.round(g.events / base.secs).toLocaleString('en')} events/s, peak RSS ${base.rssMiB.toFixed(0)} MiB; ${perCpu(base)}`);
console.log(`detections replay (whole CLI process):    ${c.secs.toFixed(2)} s, ${Math.round(g.events / c.secs).toLocaleString('en')} events/s, peak RSS ${c.rssMiB.toFixed(0)} MiB; ${perCpu(c)}  (${(c.secs / base.secs).toFixed(1)}x baseline wall, ${(c.cpuSecs / base.cpuSecs).toFixed(1)}x its CPU; target >= 100,000 events/s)`);
// the JavaScript thread's own share: the rest of the process's CPU is V8's helper threads (garbage collection, compilation)
console.log(`  of its CPU, the main (JavaScript) thread: ${c.mainCpuSecs.toFixed(2)} s; V8's helper threads (GC, compiler) and libuv: ${(c.cpuSecs - c.mainCpuSecs).toFixed(2)} s`);
const byRule = {};
for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
console.log(`alerts: ${alerts.length} ${JSON.stringify(byRule)}`);
console.log(`load average after: ${os.loadavg().map(x => x.toFixed(2)).join(' ')}`);
if (!args.includes('--keep')) fs.rmSync(file, { force: true });
