/**
 * posture CLI (the CI gate).
 *   posture <files or folders…> [--config FILE] [--format table|json|sarif]
 *           [--exceptions URL-or-FILE] [--fail-on low|medium|high|critical] [--output FILE]
 * All inputs form one project. Exit codes: 0 nothing at or above --fail-on fails (excepted
 * violations do not count), 1 violations, 2 errors (unreadable/malformed input, bad options).
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { parse as parseYaml } from 'yaml';
import { loadProject } from '../adapters/load';
import { ConfigError, resolveConfig } from '../config';
import { evaluateProject, summarize } from '../engine';
import { SEVERITIES, Severity, severityRank } from '../types';
import { exceptionFor, ExceptionsError, loadExceptions, PolicyException } from './exceptions';
import { RunReport, toJsonChunks, toSarif, toTable } from './report';

const USAGE = `Usage:
  posture <files or folders…> [--config FILE] [--format table|json|sarif]
          [--exceptions URL-or-FILE] [--fail-on low|medium|high|critical] [--output FILE]
          [--cluster NAME]

Inputs: Kubernetes YAML/JSON (multi-document, kind: List, Helm-rendered), ARM/Bicep-compiled
templates and parameters files, Terraform plan JSON (terraform show -json). All inputs form one
project. Exit codes: 0 nothing at or above --fail-on fails, 1 violations, 2 errors.`;

class UsageError extends Error {}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  fetch?: typeof fetch;
}

function parseArgs(argv: string[]) {
  const valueFlags = ['config', 'format', 'exceptions', 'fail-on', 'output', 'cluster'];
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h' || a === '--help') {
      flags.help = true;
    } else if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (!valueFlags.includes(k)) throw new UsageError(`unknown option --${k}`);
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`--${k} needs a value`);
      flags[k] = v;
    } else positional.push(a);
  }
  return { flags, positional };
}

async function readConfig(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read: ${(e as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${file}: malformed YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`posture: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof ExceptionsError) {
      io.stderr.write(`posture: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`posture: ${(e as Error).message}\n`);
    return 2;
  }
}

async function run(argv: string[], io: Io): Promise<number> {
  const { flags, positional } = parseArgs(argv);
  if (flags.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positional.length === 0) throw new UsageError('give at least one file or folder');
  const format = (flags.format as string | undefined) ?? 'table';
  if (!['table', 'json', 'sarif'].includes(format)) throw new UsageError(`--format must be table, json or sarif (got "${format}")`);
  const failOn = ((flags['fail-on'] as string | undefined) ?? 'low') as Severity;
  if (!SEVERITIES.includes(failOn)) throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')} (got "${failOn}")`);
  const cfg = resolveConfig(flags.config ? await readConfig(flags.config as string) : undefined);
  if (flags.cluster) cfg.kubernetes.cluster = flags.cluster as string;
  const exceptions: PolicyException[] = flags.exceptions ? await loadExceptions(flags.exceptions as string, io.env, io.fetch) : [];
  const now = io.now?.() ?? new Date();

  const loaded = await loadProject(positional);
  const findings = evaluateProject(loaded.project, cfg);
  const excepted: RunReport['excepted'] = [];
  for (const f of findings) {
    if (f.status !== 'fail') continue;
    const ex = exceptionFor(f, exceptions, now, cfg.kubernetes.cluster);
    if (ex) excepted.push({ finding: f, exception: ex });
  }
  const exceptedSet = new Set(excepted.map(e => e.finding));
  const blocking = findings.filter(f => f.status === 'fail' && !exceptedSet.has(f) && severityRank(f.severity) >= severityRank(failOn));
  const noInput = loaded.errors.length === 0 && loaded.files.every(f => f.kind === 'skipped');
  if (noInput) loaded.errors.push({ file: positional.join(' '), message: 'no infrastructure code found (Kubernetes YAML, ARM/Bicep JSON or Terraform plan JSON)' });
  let exitCode = blocking.length > 0 ? 1 : 0;
  if (loaded.errors.length > 0) exitCode = 2;
  const report: RunReport = { findings, excepted, summary: summarize(findings), files: loaded.files, errors: loaded.errors, failOn, exitCode };

  const chunks: Iterable<string> = format === 'json' ? toJsonChunks(report) : [format === 'sarif' ? `${JSON.stringify(toSarif(report))}\n` : toTable(report)];
  if (flags.output) {
    const out = createWriteStream(flags.output as string);
    for (const c of chunks) if (!out.write(c)) await once(out, 'drain');
    out.end();
    await finished(out);
  } else {
    for (const c of chunks) io.stdout.write(c);
  }
  for (const e of loaded.errors) io.stderr.write(`posture: ${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}\n`);
  return exitCode;
}
