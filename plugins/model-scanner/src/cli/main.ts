/**
 * model-scan CLI.
 *   model-scan <files|folders|hf://org/repo[@rev]|https URLs> [--format table|json|sarif|cyclonedx]
 *              [--fail-on suspicious|malicious] [--no-hash] [--time-limit SECONDS]
 *              [--clamd-socket PATH] [--output FILE]
 *   model-scan gate --url <backendBaseUrl> --target <target> [--token <token>]
 * Exit codes: 0 nothing reaches the fail level (gate allowed); 1 something does (gate refused);
 * 2 usage or I/O error with no finding.
 */
import { promises as fsp, createWriteStream } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileScanResult } from '../types';
import { listFiles, scanFiles, unreadableResult } from '../engine';
import type { ScanOptions } from '../engine';
import { toJsonReport, toSarif, toTable } from '../report';
import { toCycloneDx } from '../report/cyclonedx';
import { runJob } from './job';
import { SCANNER_NAME, SCANNER_VERSION } from '../version';

const USAGE = `Usage:
  model-scan <file|folder|hf://org/repo[@rev]|https://...>... [--format table|json|sarif|cyclonedx]
             [--fail-on suspicious|malicious] [--no-hash] [--time-limit SECONDS]
             [--clamd-socket PATH] [--output FILE]
  model-scan gate --url <backendBaseUrl> --target <target> [--token <token>]   (or $FRONTIER_GUARD_TOKEN)

Exit codes: 0 nothing reaches the fail level / gate allowed, 1 something does / gate refused,
2 usage or I/O error with no finding.`;

class UsageError extends Error {}

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

function parseArgs(argv: string[], valueFlags: string[], boolFlags: string[]) {
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (boolFlags.includes(k)) flags[k] = true;
      else if (valueFlags.includes(k)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`--${k} needs a value`);
        flags[k] = v;
      } else throw new UsageError(`unknown option --${k}`);
    } else if (a === '-h') flags.help = true;
    else positional.push(a);
  }
  return { flags, positional };
}

export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  try {
    if (argv[0] === 'gate') return await gate(argv.slice(1), io);
    // the container command of a scan run as a Kubernetes Job (inputs from the environment)
    if (argv[0] === 'job') return await runJob(io);
    return await scan(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`model-scan: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.stderr.write(`model-scan: ${(e as Error).message}\n`);
    return 2;
  }
}

function progressReporter(io: Io, label: string) {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY;
  let last = 0;
  return (done: number, total: number) => {
    if (!tty || total <= 64 * 1024 * 1024) return;
    const now = Date.now();
    if (now - last < 100 && done < total) return;
    last = now;
    const width = 30;
    const frac = total ? done / total : 1;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    io.stderr.write(
      `\r${label.slice(-40).padEnd(40)} [${bar}] ${(frac * 100)
        .toFixed(0)
        .padStart(3)}%${done >= total ? '\n' : ''}`,
    );
  };
}

async function download(
  url: string,
  dest: string,
  headers: Record<string, string>,
): Promise<void> {
  const res = await fetch(url, { headers, redirect: 'follow' });
  if (!res.ok || !res.body)
    throw new Error(`GET ${url} failed: HTTP ${res.status}`);
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  // loaded here: a scan of local files never needs the stream helpers
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Readable } = require('node:stream') as typeof import('node:stream');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { pipeline } =
    require('node:stream/promises') as typeof import('node:stream/promises');
  await pipeline(Readable.fromWeb(res.body as any), createWriteStream(dest));
}

interface Job {
  file: string;
  display: string;
}

async function resolveHf(target: string, tmp: string, io: Io): Promise<Job[]> {
  const m = /^hf:\/\/([^@\s]+?)(?:@(.+))?$/.exec(target);
  if (!m || !/^[\w.-]+\/[\w.-]+$/.test(m[1]))
    throw new UsageError(
      `invalid Hugging Face target ${target} (expected hf://org/repo[@rev])`,
    );
  const repo = m[1];
  const rev = m[2] ?? 'main';
  const endpoint = (io.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(
    /\/+$/,
    '',
  );
  const headers: Record<string, string> = {};
  if (io.env.HF_TOKEN) headers.authorization = `Bearer ${io.env.HF_TOKEN}`;
  const infoUrl = `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(
    rev,
  )}`;
  const res = await fetch(infoUrl, { headers });
  if (!res.ok) throw new Error(`GET ${infoUrl} failed: HTTP ${res.status}`);
  const info = (await res.json()) as {
    sha?: string;
    siblings?: Array<{ rfilename: string }>;
  };
  const files = (info.siblings ?? [])
    .map(s => s.rfilename)
    .filter(f => typeof f === 'string');
  const resolvedRev = info.sha ?? rev;
  const jobs: Job[] = [];
  for (const f of files) {
    if (f.split('/').some(p => p === '..' || p === '') || path.isAbsolute(f)) {
      throw new Error(`the hub lists an unsafe file name: ${f}`);
    }
    const dest = path.join(tmp, repo.replace('/', '__'), f);
    await download(
      `${endpoint}/${repo}/resolve/${encodeURIComponent(resolvedRev)}/${f
        .split('/')
        .map(encodeURIComponent)
        .join('/')}`,
      dest,
      headers,
    );
    jobs.push({ file: dest, display: `hf://${repo}@${resolvedRev}/${f}` });
  }
  return jobs;
}

async function scan(argv: string[], io: Io): Promise<number> {
  const { flags, positional } = parseArgs(
    argv,
    [
      'format',
      'fail-on',
      'time-limit',
      'clamd-socket',
      'clamd-host',
      'clamd-port',
      'output',
    ],
    ['no-hash', 'help', 'version'],
  );
  if (flags.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (flags.version) {
    io.stdout.write(`${SCANNER_NAME} ${SCANNER_VERSION}\n`);
    return 0;
  }
  const format = (flags.format as string) ?? 'table';
  if (!['table', 'json', 'sarif', 'cyclonedx'].includes(format))
    throw new UsageError(
      `--format must be table, json, sarif or cyclonedx (got ${format})`,
    );
  const failOn = (flags['fail-on'] as string) ?? 'malicious';
  if (!['suspicious', 'malicious'].includes(failOn))
    throw new UsageError(
      `--fail-on must be suspicious or malicious (got ${failOn})`,
    );
  if (!positional.length)
    throw new UsageError('no file, folder or URL to scan');

  const options: ScanOptions = { hash: !flags['no-hash'] };
  if (flags['time-limit'] !== undefined) {
    const v = String(flags['time-limit']);
    const seconds = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
    if (!(seconds > 0))
      throw new UsageError(
        `--time-limit must be a positive number of seconds (got ${v})`,
      );
    // per file: a file that reaches it gets SCAN_TIME_LIMIT (suspicious)
    options.timeLimitMs = Math.round(seconds * 1000);
  }
  if (flags['clamd-socket'])
    options.clamd = { socket: flags['clamd-socket'] as string };
  else if (flags['clamd-host'])
    options.clamd = {
      host: flags['clamd-host'] as string,
      port: Number(flags['clamd-port'] ?? 3310),
    };

  // created on first use: local files need no temporary folder (and no thread-pool round trip)
  let tmpDir: string | undefined;
  const temp = async () =>
    (tmpDir ??= await fsp.mkdtemp(path.join(os.tmpdir(), 'model-scan-')));
  const results: FileScanResult[] = [];
  let ioErrors = 0;
  try {
    const jobs: Job[] = [];
    for (const t of positional) {
      try {
        if (t.startsWith('hf://'))
          jobs.push(...(await resolveHf(t, await temp(), io)));
        else if (/^https?:\/\//i.test(t)) {
          if (
            !/^https:\/\//i.test(t) &&
            !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/i.test(t)
          )
            throw new UsageError(`only https URLs are supported (${t})`);
          const u = new URL(t);
          const dest = path.join(
            await temp(),
            'url',
            String(jobs.length),
            path.basename(u.pathname) || 'download',
          );
          await download(t, dest, {});
          jobs.push({ file: dest, display: t });
        } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
          throw new UsageError(
            `unsupported target ${t} (local paths, hf:// and https:// are scanned by the CLI; mlflow://, databricks:// and blob targets through the backend)`,
          );
        } else {
          const st = await fsp.stat(t);
          if (st.isDirectory()) {
            const files = await listFiles(t);
            jobs.push(...files.map(f => ({ file: f, display: f })));
          } else jobs.push({ file: t, display: t });
        }
      } catch (e) {
        if (e instanceof UsageError) throw e;
        ioErrors++;
        io.stderr.write(`model-scan: ${t}: ${(e as Error).message}\n`);
        results.push(unreadableResult(t, (e as Error).message));
      }
    }
    // one multi-file scan: raw tensor data named by a sibling model (ONNX external data, checkpoint
    // shards) is classified with that hint
    results.push(
      ...(await scanFiles(
        jobs.map(j => ({ path: j.file, displayName: j.display })),
        {
          ...options,
          onFile: e => progressReporter(io, e.displayName ?? e.path),
        },
      )),
    );
  } finally {
    if (tmpDir) await fsp.rm(tmpDir, { recursive: true, force: true });
  }

  const renderers: Record<string, () => string> = {
    json: () => JSON.stringify(toJsonReport(results), null, 2),
    sarif: () => JSON.stringify(toSarif(results), null, 2),
    // CycloneDX 1.6 ML-BOM of everything scanned by this command
    cyclonedx: () =>
      JSON.stringify(
        toCycloneDx(results, {
          subject: { name: positional.join(' ') },
          timestamp: new Date(),
        }),
        null,
        2,
      ),
    table: () => toTable(results),
  };
  const text = renderers[format]();
  if (flags.output) await fsp.writeFile(flags.output as string, `${text}\n`);
  else io.stdout.write(`${text}\n`);

  const failing = results.some(
    r =>
      r.verdict === 'malicious' ||
      (failOn === 'suspicious' && r.verdict === 'suspicious'),
  );
  if (failing) return 1;
  if (ioErrors || results.some(r => r.verdict === 'error')) return 2;
  return 0;
}

async function gate(argv: string[], io: Io): Promise<number> {
  const { flags, positional } = parseArgs(
    argv,
    ['url', 'target', 'token', 'format'],
    ['help'],
  );
  if (flags.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positional.length)
    throw new UsageError(`unexpected argument ${positional[0]}`);
  const base = flags.url as string | undefined;
  const target = flags.target as string | undefined;
  if (!base) throw new UsageError('gate needs --url <backendBaseUrl>');
  if (!target) throw new UsageError('gate needs --target <target>');
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new UsageError(`--url is not a URL: ${base}`);
  }
  const apiBase = u.pathname.includes('/api/model-scan')
    ? base.replace(/\/+$/, '')
    : `${base.replace(/\/+$/, '')}/api/model-scan`;
  const token =
    (flags.token as string | undefined) ?? io.env.FRONTIER_GUARD_TOKEN;
  const res = await fetch(
    `${apiBase}/gate?target=${encodeURIComponent(target)}`,
    {
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    },
  );
  const body = await res.text();
  if (!res.ok) {
    io.stderr.write(
      `model-scan gate: HTTP ${res.status} from ${apiBase}/gate: ${body.slice(
        0,
        500,
      )}\n`,
    );
    return 2;
  }
  let decision: {
    allowed: boolean;
    target: string;
    reasons?: string[];
    files?: Array<{
      path: string;
      sha256: string;
      verdict: string;
      acceptedUntil?: string;
    }>;
  };
  try {
    decision = JSON.parse(body);
  } catch {
    io.stderr.write(`model-scan gate: the backend did not answer JSON\n`);
    return 2;
  }
  if (typeof decision.allowed !== 'boolean') {
    io.stderr.write(`model-scan gate: the answer has no "allowed" field\n`);
    return 2;
  }
  if (flags.format === 'json')
    io.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
  else {
    io.stdout.write(
      `${decision.allowed ? 'ALLOWED' : 'REFUSED'} ${
        decision.target ?? target
      }\n`,
    );
    for (const r of decision.reasons ?? []) io.stdout.write(`  - ${r}\n`);
    for (const f of decision.files ?? []) {
      io.stdout.write(
        `  ${f.verdict.padEnd(10)} ${f.path} ${f.sha256}${
          f.acceptedUntil ? ` (accepted until ${f.acceptedUntil})` : ''
        }\n`,
      );
    }
  }
  return decision.allowed ? 0 : 1;
}
