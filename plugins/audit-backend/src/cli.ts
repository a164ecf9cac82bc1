import { LifecycleService, LoggerService } from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { Config } from '@backstage/config';
import { ConfigSources } from '@backstage/config-loader';
import fs from 'node:fs';
import path from 'node:path';
import { AuditEventStore } from './store/AuditEventStore';
import { MissingHmacSecretError } from './domain/hashChain';
import { AUDIT_DATABASE_ID } from './service/auditLogServiceRef';

export const USAGE = `Usage: frontier-audit verify [--config <app-config.yaml>]...

Walks the hash-chained audit trail (table audit_events in the "audit" database of
backend.database) and reports the first broken link.

Config files are read like the backend reads them: app-config.yaml and
app-config.local.yaml at the repository root unless --config is given, plus
APP_CONFIG_* environment variables. A relative SQLite directory is resolved against the
current directory, as the backend does.

Exit codes: 0 chain intact, 1 chain broken, 2 usage, configuration or database error.`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: CliIo = {
  out: line => process.stdout.write(`${line}\n`),
  err: line => process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}

function parseArgs(argv: string[]): { command: string; configs: string[] } {
  const configs: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new UsageError('');
    if (arg === '--config') {
      const value = argv[++i];
      if (!value) throw new UsageError('--config needs a file path');
      configs.push(value);
    } else if (arg.startsWith('--config=')) {
      configs.push(arg.slice('--config='.length));
    } else if (arg.startsWith('-')) {
      throw new UsageError(`Unknown option ${arg}`);
    } else if (!command) {
      command = arg;
    } else {
      throw new UsageError(`Unexpected argument ${arg}`);
    }
  }
  if (command !== 'verify') {
    throw new UsageError(
      command ? `Unknown command ${command}` : 'Missing command',
    );
  }
  return { command, configs };
}

function stderrLogger(io: CliIo): LoggerService {
  const logger: LoggerService = {
    error: message => io.err(`error: ${message}`),
    warn: message => io.err(`warn: ${message}`),
    info: () => {},
    debug: () => {},
    child: () => logger,
  };
  return logger;
}

const noLifecycle: LifecycleService = {
  addStartupHook: () => {},
  addShutdownHook: () => {},
};

/**
 * The SQLite file the backend's DatabaseManager uses for the audit database
 * (`backend.database.plugin.audit.connection.filename`, else
 * `<connection.directory>/audit.sqlite`), or undefined for other clients / in-memory.
 */
function sqliteFileOf(config: Config): string | undefined {
  const db = config.getConfig('backend.database');
  const client =
    db.getOptionalString(`plugin.${AUDIT_DATABASE_ID}.client`) ??
    db.getString('client');
  if (!client.includes('sqlite')) return undefined;
  const connectionOf = (key: string) => {
    const value = db.getOptional(key);
    return typeof value === 'string'
      ? { filename: value }
      : ((value ?? {}) as { filename?: string; directory?: string });
  };
  const base = connectionOf('connection');
  const own = connectionOf(`plugin.${AUDIT_DATABASE_ID}.connection`);
  const filename = own.filename;
  if (filename === ':memory:' || (!filename && base.filename === ':memory:')) {
    return undefined;
  }
  const directory = own.directory ?? base.directory ?? '.';
  return path.resolve(directory, filename ?? `${AUDIT_DATABASE_ID}.sqlite`);
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(
  argv: string[],
  io: CliIo = defaultIo,
): Promise<number> {
  let configs: string[];
  try {
    ({ configs } = parseArgs(argv));
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) io.err(`Error: ${error.message}`);
      io.err(USAGE);
      return 2;
    }
    throw error;
  }

  let destroy: (() => Promise<void>) | undefined;
  try {
    const source = ConfigSources.default({
      argv: configs.flatMap(c => ['--config', c]),
    });
    const config = await ConfigSources.toConfig(source);
    config.close();

    const sqliteFile = sqliteFileOf(config);
    if (sqliteFile && !fs.existsSync(sqliteFile)) {
      io.err(
        `Error: no audit database at ${sqliteFile} (has the backend run with the audit service? is the current directory the one the backend runs in?)`,
      );
      return 2;
    }

    const database = DatabaseManager.fromConfig(config, {
      migrations: { skip: true },
    }).forPlugin(AUDIT_DATABASE_ID, {
      logger: stderrLogger(io),
      lifecycle: noLifecycle,
    });
    const knex = await database.getClient();
    destroy = () => knex.destroy();
    if (!(await knex.schema.hasTable('audit_events'))) {
      io.err(
        'Error: no audit trail in this database (table audit_events does not exist); has the backend run with the audit service?',
      );
      return 2;
    }

    const store = new AuditEventStore(
      knex,
      config.getOptionalString('audit.hmacSecret'),
    );
    const result = await store.verify();
    if (result.ok) {
      io.out(
        `OK: ${result.checked} events, chain intact (last hash ${result.lastHash})`,
      );
      return 0;
    }
    io.out(
      `BROKEN at seq ${result.firstBrokenSeq}: ${result.reason} (${result.checked} events intact before it, last intact hash ${result.lastHash})`,
    );
    return 1;
  } catch (error) {
    const message =
      error instanceof MissingHmacSecretError
        ? error.message
        : `${(error as Error)?.message ?? error}`;
    io.err(`Error: ${message}`);
    return 2;
  } finally {
    await destroy?.().catch(() => {});
  }
}
