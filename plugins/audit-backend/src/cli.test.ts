import { TestDatabases } from '@backstage/backend-test-utils';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { AuditEventStore } from './store/AuditEventStore';

jest.setTimeout(120_000);

const bin = path.resolve(__dirname, '../bin/frontier-audit');

function runCli(cwd: string, args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function appendEvents(knex: Knex, count: number) {
  await AuditEventStore.migrate(knex);
  const store = new AuditEventStore(knex);
  for (let i = 1; i <= count; i++) {
    await store.append({
      id: randomUUID(),
      correlation_id: randomUUID(),
      occurred_at: new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString(),
      plugin_id: 'access-requests',
      event_id: 'request-approve',
      severity: 'high',
      status: 'succeeded',
      actor: 'user:default/bob',
      actor_type: 'user',
      request: null,
      meta: `{"i":${i}}`,
      error: null,
    });
  }
}

describe('frontier-audit CLI', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-cli-test-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('verifies a SQLite file database, then reports the tampered seq', async () => {
    fs.writeFileSync(
      path.join(dir, 'app-config.test.yaml'),
      'backend:\n  database:\n    client: better-sqlite3\n    connection:\n      directory: ./data\n',
    );
    fs.mkdirSync(path.join(dir, 'data'));
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(dir, 'data', 'audit.sqlite') },
      useNullAsDefault: true,
    });
    try {
      await appendEvents(knex, 3);
      const ok = runCli(dir, ['verify', '--config', 'app-config.test.yaml']);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(
        /^OK: 3 events, chain intact \(last hash [0-9a-f]{64}\)\n$/,
      );

      await knex('audit_events').where({ seq: 2 }).update({ meta: '{"i":20}' });
      const broken = runCli(dir, [
        'verify',
        '--config',
        'app-config.test.yaml',
      ]);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/^BROKEN at seq 2: hash-mismatch/);

      await knex('audit_events').where({ seq: 1 }).delete();
      const deleted = runCli(dir, [
        'verify',
        '--config',
        'app-config.test.yaml',
      ]);
      expect(deleted.code).toBe(1);
      expect(deleted.stdout).toMatch(/^BROKEN at seq 1: missing-row/);
    } finally {
      await knex.destroy();
    }
  });

  it('exits 2 on usage, configuration and database errors', () => {
    const usage = runCli(dir, ['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Unknown command frobnicate/);
    expect(usage.stderr).toMatch(/Usage: frontier-audit verify/);

    const missing = runCli(dir, ['verify', '--config', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml/);

    fs.writeFileSync(
      path.join(dir, 'empty.yaml'),
      'backend:\n  database:\n    client: better-sqlite3\n    connection:\n      directory: ./empty\n',
    );
    const noFile = runCli(dir, ['verify', '--config', 'empty.yaml']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/no audit database at .*audit\.sqlite/);
    expect(fs.existsSync(path.join(dir, 'empty'))).toBe(false);

    fs.mkdirSync(path.join(dir, 'empty'));
    fs.writeFileSync(path.join(dir, 'empty', 'audit.sqlite'), '');
    const noTable = runCli(dir, ['verify', '--config', 'empty.yaml']);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toMatch(/table audit_events does not exist/);
  });

  const pg = TestDatabases.create({ ids: ['POSTGRES_15'] });
  const pgIds = pg.eachSupportedId();
  if (pgIds.length > 0) {
    it('verifies a PostgreSQL database', async () => {
      const knex = await pg.init('POSTGRES_15');
      await appendEvents(knex, 4);
      const conn = knex.client.config.connection as Knex.PgConnectionConfig;
      fs.writeFileSync(
        path.join(dir, 'pg.yaml'),
        JSON.stringify({
          backend: {
            database: {
              client: 'pg',
              connection: {
                host: conn.host,
                port: conn.port,
                user: conn.user,
                password: conn.password ?? '',
              },
              plugin: { audit: { connection: { database: conn.database } } },
            },
          },
        }),
      );
      const ok = runCli(dir, ['verify', '--config', 'pg.yaml']);
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toMatch(/^OK: 4 events, chain intact/);
      expect(ok.code).toBe(0);

      await knex('audit_events').where({ seq: 3 }).delete();
      const broken = runCli(dir, ['verify', '--config', 'pg.yaml']);
      expect(broken.stdout).toMatch(/^BROKEN at seq 3: missing-row/);
      expect(broken.code).toBe(1);
    });
  }
});
