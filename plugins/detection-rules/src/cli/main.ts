/**
 * detections CLI.
 *   detections replay <files…> [--grants FILE] [--config FILE] [--format json|table] [--details] [--jobs N]
 *   detections rules [--config FILE] [--kql]
 * Exit codes: 0 done (alerts or not), 2 usage, configuration or I/O error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ConfigError, loadConfigFile, resolveConfig } from '../config';
import { DetectionEngine } from '../engine';
import { GrantIndex, parseGrantExport } from '../grants';
import { replayFiles } from '../replay';
import { replayParallel } from '../replayParallel';
import { compileSigmaToKql } from '../sigma/kql';
import type { Alert } from '../types';

const USAGE = `Usage:
  detections replay <file…> [--grants FILE] [--config FILE] [--format json|table] [--details] [--jobs N]
  detections rules [--config FILE] [--kql]

Files are NDJSON (optionally gzip-compressed) of Entra sign-ins, Entra risk detections,
StorageBlobLogs, Kubernetes audit events, Azure Firewall and Hubble flows and portal audit events,
in any mix; the source of every line is recognised from its content.
--grants takes GET /api/access-requests/grants/export; --config a YAML/JSON file of thresholds
(the app-config "detections" section).
--jobs N: with several files, replay them in up to N processes (default: the number of CPUs), the
files grouped by the source families their first lines show (rules never read across families);
the same output as --jobs 1 (one process); if a family turns up in two jobs anyway, everything is
replayed in one process. Exit codes: 0 done, 2 usage or input error.`;

class UsageError extends Error {}

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function parseArgs(argv: string[]) {
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  const valueFlags = ['grants', 'config', 'format', 'jobs'];
  const boolFlags = ['details', 'kql', 'help'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const k = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (boolFlags.includes(k)) flags[k] = true;
      else if (valueFlags.includes(k)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`--${k} needs a value`);
        flags[k] = v;
      } else throw new UsageError(`unknown option --${k}`);
    } else if (a === '-h') flags.help = true;
    else positional.push(a);
  }
  return { flags, positional };
}

function table(alerts: Alert[]): string {
  if (!alerts.length) return 'No alerts.\n';
  const rows = alerts.map(a => [a.severity, a.rule, a.principal, a.resource, a.firstSeen, a.lastSeen, String(a.count)]);
  const head = ['SEVERITY', 'RULE', 'PRINCIPAL', 'RESOURCE', 'FIRST SEEN', 'LAST SEEN', 'EVENTS'];
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map(r => r[i].length))));
  const fmt = (r: string[]) => r.map((c, i) => (c.length > widths[i] ? `${c.slice(0, widths[i] - 1)}…` : c.padEnd(widths[i]))).join('  ').trimEnd();
  return `${[fmt(head), ...rows.map(fmt)].join('\n')}\n`;
}

/** Set by replayParallel in the environment of the processes it forks. */
const JOB_ENV = 'DETECTIONS_REPLAY_JOB';

/** A job of a parallel replay (a child process forked by replayParallel): the result goes back over IPC. */
async function replayJob(files: string[], opts: Parameters<typeof replayFiles>[1]): Promise<number> {
  const send = process.env[JOB_ENV] === '1' ? process.send?.bind(process) : undefined;
  if (!send) throw new UsageError('replay-job is run by replay itself (--jobs)');
  try {
    const r = await replayFiles(files, opts);
    await new Promise<void>((resolve, reject) => send({ alerts: r.alerts, fileStats: r.fileStats, detections: r.detections }, undefined, {}, e => (e ? reject(e) : resolve())));
    return 0;
  } finally {
    if (process.connected) process.disconnect();
  }
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const { flags, positional } = parseArgs(argv);
    const cmd = positional.shift();
    if (flags.help || !cmd) {
      (flags.help ? io.stdout : io.stderr).write(`${USAGE}\n`);
      return flags.help ? 0 : 2;
    }
    const config = typeof flags.config === 'string' ? loadConfigFile(flags.config) : resolveConfig({});
    if (cmd === 'rules') {
      const engine = new DetectionEngine({ config });
      if (flags.kql) {
        for (const r of engine.statefulRules()) io.stdout.write(`// ${r.id}: ${r.title}\n${r.kql(config)}\n\n`);
        for (const r of engine.sigmaRules()) io.stdout.write(`// ${r.rule.id}: ${r.rule.title}\n${compileSigmaToKql(r.rule)}\n\n`);
      } else {
        for (const r of engine.ruleInfo()) io.stdout.write(`${r.severity.padEnd(9)} ${r.kind.padEnd(8)} ${r.id}  ${r.title}\n`);
      }
      return 0;
    }
    if (cmd !== 'replay' && cmd !== 'replay-job') throw new UsageError(`unknown command ${cmd}`);
    if (!positional.length) throw new UsageError('replay needs at least one log file');
    let jobs = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    if (typeof flags.jobs === 'string') {
      if (!/^[1-9]\d{0,3}$/.test(flags.jobs)) throw new UsageError('--jobs must be a whole number from 1 to 9999');
      jobs = Number(flags.jobs);
    }
    const format = (flags.format as string) ?? 'json';
    if (format !== 'json' && format !== 'table') throw new UsageError('--format must be json or table');
    for (const f of positional) {
      if (!fs.existsSync(f) || !fs.statSync(f).isFile()) throw new UsageError(`no such file: ${f}`);
    }
    let grants: GrantIndex | undefined;
    if (typeof flags.grants === 'string') {
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(flags.grants, 'utf8'));
      } catch (e) {
        throw new UsageError(`--grants ${flags.grants}: ${(e as Error).message}`);
      }
      try {
        grants = new GrantIndex(parseGrantExport(json));
      } catch (e) {
        throw new UsageError(`--grants ${flags.grants}: ${(e as Error).message}`);
      }
    }
    if (cmd === 'replay-job') return await replayJob(positional, { config, grants });
    const started = Date.now();
    const childArgs = [...(typeof flags.grants === 'string' ? ['--grants', flags.grants] : []), ...(typeof flags.config === 'string' ? ['--config', flags.config] : [])];
    const result = await replayParallel(positional, { config, grants, jobs, childArgs, notice: m => io.stderr.write(`detections: ${m}\n`) });
    const secs = (Date.now() - started) / 1000;
    const alerts = result.alerts.map(a => {
      const base = { rule: a.rule, title: a.title, severity: a.severity, principal: a.principal, resource: a.resource, firstSeen: a.firstSeen, lastSeen: a.lastSeen, count: a.count, events: a.events };
      return flags.details ? { ...base, details: a.details } : base;
    });
    if (format === 'json') io.stdout.write(`${JSON.stringify({ alerts }, null, 2)}\n`);
    else io.stdout.write(table(result.alerts));
    const s = result.stats;
    io.stderr.write(
      `detections: ${s.events} events from ${s.lines} lines in ${secs.toFixed(1)} s (${Object.entries(s.bySource)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'}); ${s.errors} unreadable records; ${alerts.length} alerts${grants ? '' : '; no --grants: the no-active-grant rule did not run'}\n`,
    );
    for (const e of s.firstErrors) io.stderr.write(`  ${e.file}:${e.line}: ${e.error}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      io.stderr.write(`detections: ${e.message}\n`);
      if (e instanceof UsageError) io.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && err.code && ['ENOENT', 'EACCES', 'EISDIR'].includes(err.code)) {
      io.stderr.write(`detections: ${err.message}\n`);
      return 2;
    }
    throw e;
  }
}
