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
 * With --split, the file is also split by source family (the sources a rule reads together:
 * sign-ins, storage blob logs, Kubernetes audit, firewall + Hubble; Azure diagnostic settings and
 * Log Analytics exports come per category/table in this shape), and each run also times
 *   3. `bin/detections replay <per-family files>` with the default --jobs (one process per CPU,
 *      families grouped into that many jobs) and with --jobs 1, checking that both print exactly
 *      the alerts of (1).
 * CPU is the whole process tree's (bash `times` after the command: the CLI and its child jobs).
 * Load model: closed loop, one command at a time, the whole input as fast as it goes.
 * Usage: node bench/detections/run.js [--events N] [--runs R] [--keep] [--split] [--cpu-prof DIR]
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
const SPLIT = args.includes('--split');
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

/** CPU-seconds all CPUs spent busy (not idle or waiting for I/O) since boot, from /proc/stat (Linux; NaN elsewhere). */
function busyCpuSecs() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (f.reduce((a, x) => a + x, 0) - f[3] - f[4]) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Cores the rest of the machine kept busy while a command ran (all busy CPU time minus the command's own). */
const others = r => `other processes kept ${Math.max(0, (r.busy - r.treeCpuSecs) / r.secs).toFixed(2)} of ${os.cpus().length} cores busy meanwhile`;

function timed(nodeArgs, label) {
  // bash's `times` after the command: user and system time of the shell's children, i.e. node and
  // every process it forked and waited for (the parallel replay's jobs)
  const q = a => `'${String(a).replace(/'/g, `'\\''`)}'`;
  const script = `${[process.execPath, ...nodeArgs].map(q).join(' ')} 2>&3; rc=$?; times >&2; exit $rc`;
  const busy0 = busyCpuSecs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', script], { cwd: PLUGIN, maxBuffer: 1 << 28, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const busy = busyCpuSecs() - busy0;
  const nodeErr = r.output[3] ?? '';
  if (r.status !== 0 && r.status !== 1) throw new Error(`${label} failed (${r.status}): ${nodeErr} ${r.stderr}`);
  const m = /MAXRSS (\d+) CPUMS ([\d.]+)(?: MAINMS ([\d.]+))?/.exec(nodeErr);
  const t = r.stderr.trim().split('\n').pop().match(/(\d+)m([\d.]+)s/g) ?? [];
  const tree = t.map(x => { const [, mi, s] = /(\d+)m([\d.]+)s/.exec(x); return Number(mi) * 60 + Number(s); });
  return { secs, rssMiB: m ? Number(m[1]) / 1024 : NaN, cpuSecs: m ? Number(m[2]) / 1000 : NaN, mainCpuSecs: m && m[3] ? Number(m[3]) / 1000 : NaN, treeCpuSecs: tree.length === 2 ? tree[0] + tree[1] : NaN, busy, stdout: r.stdout, stderr: nodeErr };
}

const file = path.join(WORK, `detections-${N}.ndjson`);
const t0 = Date.now();
const g = generate(file, N);
console.log(`generated ${g.events} events, ${(g.bytes / 2 ** 20).toFixed(0)} MiB (${(g.bytes / g.events).toFixed(0)} B/event) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${file}`);
console.log(`load average before: ${os.loadavg().map(x => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs); closed loop, one process at a time`);

let parts = [];
if (SPLIT) {
  // one file per source family, each line to the file of its family (its order kept)
  const { parseLine } = require(path.join(PLUGIN, 'src/reader'));
  const { DetectionEngine } = require(path.join(PLUGIN, 'src/engine'));
  const { sourceFamilies } = require(path.join(PLUGIN, 'src/replayParallel'));
  const families = sourceFamilies(new DetectionEngine());
  const out = new Map();
  const opts = { keys: false, views: new Set(), raw: new Set() };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const ev = parseLine(line, opts).events[0];
    const fam = ev ? families.get(ev.source) : 'unreadable';
    if (!out.has(fam)) out.set(fam, []);
    out.get(fam).push(line);
  }
  for (const [fam, lines] of out) {
    const p = path.join(WORK, `detections-${N}.${fam.replace(/\+/g, '-')}.ndjson`);
    fs.writeFileSync(p, `${lines.join('\n')}\n`);
    parts.push(p);
    console.log(`  split: ${fam} ${lines.length} lines, ${(fs.statSync(p).size / 2 ** 20).toFixed(0)} MiB: ${p}`);
  }
}

const results = { cli: [], base: [], split: [], split1: [] };
let alerts;
let identical = true;
for (let k = 0; k < RUNS; k++) {
  results.base.push(timed(['-e', BASELINE, file], 'baseline'));
  const prof = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(ROOT, cpuProf)] : [];
  const c = timed([...prof, '-e', CLI, 'replay', file, '--format', 'json'], 'replay');
  results.cli.push(c);
  alerts = JSON.parse(c.stdout).alerts;
  if (SPLIT) {
    const s = timed(['-e', CLI, 'replay', ...parts, '--format', 'json'], 'replay split');
    const s1 = timed(['-e', CLI, 'replay', ...parts, '--format', 'json', '--jobs', '1'], 'replay split --jobs 1');
    results.split.push(s);
    results.split1.push(s1);
    if (s.stdout !== c.stdout || s1.stdout !== c.stdout) identical = false;
    if (/one process/.test(s.stderr)) console.log(`  run ${k + 1}: the parallel replay fell back to one process`);
  }
}
const best = a => a.reduce((x, y) => (y.secs < x.secs ? y : x));
const c = best(results.cli);
const base = best(results.base);
const perCpu = r => `${r.treeCpuSecs.toFixed(2)} s CPU = ${Math.round(g.events / r.treeCpuSecs).toLocaleString('en')} events per CPU-second`;
console.log(`baseline (read + JSON.parse every line): ${base.secs.toFixed(2)} s, ${Math.round(g.events / base.secs).toLocaleString('en')} events/s, peak RSS ${base.rssMiB.toFixed(0)} MiB; ${perCpu(base)}; ${others(base)}`);
console.log(`detections replay (whole CLI process):    ${c.secs.toFixed(2)} s, ${Math.round(g.events / c.secs).toLocaleString('en')} events/s, peak RSS ${c.rssMiB.toFixed(0)} MiB; ${perCpu(c)}  (${(c.secs / base.secs).toFixed(1)}x baseline wall, ${(c.treeCpuSecs / base.treeCpuSecs).toFixed(1)}x its CPU; target >= 100,000 events/s; ${others(c)})`);
// the JavaScript thread's own share: the rest of the process's CPU is V8's helper threads (garbage collection, compilation)
console.log(`  of its CPU, the main (JavaScript) thread: ${c.mainCpuSecs.toFixed(2)} s; V8's helper threads (GC, compiler) and libuv: ${(c.cpuSecs - c.mainCpuSecs).toFixed(2)} s`);
if (SPLIT) {
  const cpus = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  for (const [label, list] of [[`per-family files, --jobs ${cpus} (default):`, results.split], ['per-family files, --jobs 1:          ', results.split1]]) {
    const s = best(list);
    console.log(`detections replay ${label} ${s.secs.toFixed(2)} s, ${Math.round(g.events / s.secs).toLocaleString('en')} events/s, parent peak RSS ${s.rssMiB.toFixed(0)} MiB; ${perCpu(s)}  (${(c.secs / s.secs).toFixed(2)}x the single-file replay's speed; all runs: ${list.map(r => r.secs.toFixed(2)).join(', ')} s; ${others(s)})`);
  }
  console.log(`  per-family output ${identical ? 'byte-identical to' : 'DIFFERS from'} the single-file replay's in every run`);
}
const byRule = {};
for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
console.log(`alerts: ${alerts.length} ${JSON.stringify(byRule)}`);
console.log(`load average after: ${os.loadavg().map(x => x.toFixed(2)).join(' ')}`);
if (!args.includes('--keep')) for (const f of [file, ...parts]) fs.rmSync(f, { force: true });
