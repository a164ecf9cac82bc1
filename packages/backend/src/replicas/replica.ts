import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { BACKEND_DIR, freePort, HttpAnswer, REPO_ROOT, request } from '../production/testing/backendProcess';

/**
 * Test helper for the two-replica test: the real backend (packages/backend/src/index.ts, from
 * sources under the CLI's node transform, as scripts/e2e.sh starts it) as a child process with
 * app-config.yaml plus an overlay, its log kept in memory with the time each line arrived.
 */

export { freePort, REPO_ROOT };

export function pgConnectionString(): string {
  return process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ?? 'postgresql://postgres@127.0.0.1:5432';
}

/** Drops every database whose name starts with `prefix` (the backend makes one per plugin). */
export async function dropDatabases(prefix: string): Promise<void> {
  const { Client } = require('pg') as typeof import('pg');
  const url = new URL(pgConnectionString());
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${String(datname).replace(/"/g, '""')}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

/** One query against a database of the shared PostgreSQL. */
export async function queryDatabase<T = any>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const { Client } = require('pg') as typeof import('pg');
  // (a database given next to connectionString is overridden by the string's own)
  const url = new URL(pgConnectionString());
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export type Answer = HttpAnswer;

/** One HTTP call (no keep-alive: a killed replica must not leave pooled sockets behind). */
export function call(url: string, options: Parameters<typeof request>[1] = {}): Promise<Answer> {
  return request(url, { timeoutMs: 30_000, ...options });
}

/** A log line with the time (ms since epoch) the test received it. */
export type LogLine = { at: number; text: string };

export class Replica {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly lines: LogLine[] = [];
  private partial = '';

  constructor(readonly name: string, readonly port: number, configs: string[]) {
    this.child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs', { paths: [REPO_ROOT] }),
        path.join(BACKEND_DIR, 'src/index.ts'),
        ...configs.flatMap(c => ['--config', c]),
      ],
      {
        cwd: BACKEND_DIR,
        env: { ...process.env, NODE_ENV: 'development', JEST_WORKER_ID: undefined, LOG_LEVEL: undefined },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const onData = (d: Buffer) => {
      const text = this.partial + d.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      const at = Date.now();
      for (const p of parts) this.lines.push({ at, text: stripVTControlCharacters(p) });
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise(resolve => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get api(): string {
    return `${this.url}/api`;
  }

  tail(n = 40): string {
    return this.lines
      .slice(-n)
      .map(l => l.text)
      .join('\n');
  }

  /** Lines containing `marker`, with the timestamp the backend wrote at the start of the line. */
  linesWith(marker: string): { at: number; text: string }[] {
    return this.lines
      .filter(l => l.text.includes(marker))
      .map(l => {
        const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) /.exec(l.text);
        return { at: m ? Date.parse(m[1]) : l.at, text: l.text };
      });
  }

  /** Ready (health 200) and the catalog has ingested the demo org: a demo token per user. */
  async ready(users: string[], timeoutMs: number): Promise<Record<string, string>> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.exited.then(() => (exited = true));
    const tokens: Record<string, string> = {};
    for (;;) {
      if (exited) throw new Error(`${this.name} exited before it was ready:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.tail()}`);
      try {
        const health = await call(`${this.url}/.backstage/health/v1/readiness`, { timeoutMs: 5_000 });
        if (health.status === 200) {
          for (const user of users) {
            if (tokens[user]) continue;
            const r = await call(`${this.api}/auth/demo/refresh`, { headers: { 'x-frontier-guard-demo-user': user } });
            const token = r.json?.backstageIdentity?.token;
            if (token) tokens[user] = token;
          }
          if (users.every(u => tokens[u])) return tokens;
        }
      } catch {
        // not listening yet
      }
      await new Promise(r => setTimeout(r, 500));
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts the real backend as one replica on PostgreSQL: app-config.yaml plus an overlay with its
 * own port and base URLs, every plugin's database named with `prefix` (replicas given the same
 * prefix share them), and `extra` config (its `backend` keys merged into the replica's own).
 */
export async function startPgReplica(
  name: string,
  dir: string,
  prefix: string,
  extra: { backend?: Record<string, unknown>; [key: string]: unknown } = {},
): Promise<Replica> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const overlay = path.join(dir, `overlay-${name}.json`);
  const { backend, ...rest } = extra;
  fs.writeFileSync(
    overlay,
    JSON.stringify({
      ...rest,
      app: { baseUrl },
      backend: {
        ...backend,
        baseUrl,
        listen: { port },
        cors: { origin: baseUrl },
        database: { client: 'pg', connection: pgConnectionString(), prefix },
      },
    }),
  );
  return new Replica(name, port, [path.join(REPO_ROOT, 'app-config.yaml'), overlay]);
}
