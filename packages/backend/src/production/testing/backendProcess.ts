import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

/** Test helper: the real backend (packages/backend/src/index.ts) as a child process. */

export const BACKEND_DIR = resolvePackagePath('backend');
export const REPO_ROOT = path.resolve(BACKEND_DIR, '../..');

/** A TCP port nobody listens on right now (the backend needs it up front for backend.baseUrl). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type HttpAnswer = { status: number; body: string; json: any };

/**
 * One HTTP request without keep-alive (a killed backend must not leave pooled sockets behind),
 * optionally from a given loopback source address (127.0.0.x) and with a bearer token.
 */
export function request(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: unknown;
    localAddress?: string;
    token?: string;
    timeoutMs?: number;
  } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        localAddress: options.localAddress,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
          connection: 'close',
        },
      },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', chunk => (body += chunk));
        res.on('error', reject);
        res.on('end', () => {
          let json: any;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, json });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.end(payload);
  });
}

export class BackendProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private output = '';

  constructor(
    readonly port: number,
    options: { configs: string[]; env?: Record<string, string | undefined>; cwd?: string },
  ) {
    this.child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs', { paths: [REPO_ROOT] }),
        path.join(BACKEND_DIR, 'src/index.ts'),
        ...options.configs.flatMap(c => ['--config', c]),
      ],
      {
        cwd: options.cwd ?? BACKEND_DIR,
        env: { ...process.env, NODE_ENV: 'development', JEST_WORKER_ID: undefined, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout!.on('data', d => (this.output += d));
    this.child.stderr!.on('data', d => (this.output += d));
    this.exited = new Promise(resolve => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get log(): string {
    return this.output;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resolves when /.backstage/health/v1/readiness answers 200; rejects if the process exits first. */
  async ready(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`backend exited before it was ready:\n${this.output.slice(-3000)}`);
      try {
        const r = await request(`${this.url}/.backstage/health/v1/readiness`);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`backend not ready within ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
  }

  /** SIGTERM, then the exit status (SIGKILL after the grace period). */
  async stop(graceMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Writes a YAML/JSON overlay (JSON is YAML) to a temp file and returns its path. */
export function writeOverlay(dir: string, name: string, config: object): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Connection of the test PostgreSQL (the one TestDatabases uses). */
export function postgresConnection(): { host: string; port: number; user: string; password: string } {
  const url = new URL(
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ?? 'postgresql://postgres@127.0.0.1:5432',
  );
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password || 'postgres'),
  };
}

/** Drops every database whose name starts with the prefix (the backend makes one per plugin). */
export async function dropDatabases(prefix: string): Promise<void> {
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ ...postgresConnection(), database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
