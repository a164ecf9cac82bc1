import {
  RootConfigService,
  RootLifecycleService,
  RootLoggerService,
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import {
  withClientDestroyedAtShutdown,
  withMigrationLockRetry,
  withSqliteTuning,
} from '@internal/backend-sqlite-tuning';
import { AuditEventStore } from '../store/AuditEventStore';
import { AuditLog, AuditLogService } from './AuditLog';

/** Database "plugin" id of the audit trail: `audit.sqlite` / `backstage_plugin_audit`. */
export const AUDIT_DATABASE_ID = 'audit';

const auditLogDeps = {
  config: coreServices.rootConfig,
  rootLogger: coreServices.rootLogger,
  rootLifecycle: coreServices.rootLifecycle,
};

/**
 * Opens the `audit` database from `backend.database` (SQLite file under
 * `connection.directory`, or PostgreSQL database `<prefix>audit`), runs the migrations
 * and flushes pending events on shutdown.
 */
async function createAuditLog({
  config,
  rootLogger,
  rootLifecycle,
}: {
  config: RootConfigService;
  rootLogger: RootLoggerService;
  rootLifecycle: RootLifecycleService;
}): Promise<AuditLogService> {
  const logger = rootLogger.child({ service: 'audit-log' });
  const manager = DatabaseManager.fromConfig(config, {
    rootLogger,
    rootLifecycle,
  });
  // On a SQLite file: WAL, synchronous = NORMAL, statement cache, background checkpoints, as
  // every plugin's database gets from the backend's database service (this root service opens
  // its database itself, so it applies the same tuning here). PostgreSQL is untouched. On every
  // database the migrations wait for another replica's migration lock (and retry when two
  // replicas create knex's tables at the same moment) instead of failing the backend's start,
  // and the client is destroyed at root shutdown (DatabaseManager's own shutdown destroys none).
  const database = withMigrationLockRetry(
    withSqliteTuning(
      withClientDestroyedAtShutdown(
        manager.forPlugin(AUDIT_DATABASE_ID, {
          logger,
          lifecycle: rootLifecycle,
        }),
        rootLifecycle,
      ),
      { lifecycle: rootLifecycle, logger },
    ),
    { logger },
  );
  const store = await AuditEventStore.create({
    database,
    hmacSecret: config.getOptionalString('audit.hmacSecret'),
  });
  const auditLog = new AuditLog({ store, logger });
  rootLifecycle.addBeforeShutdownHook(async () => {
    if (!(await auditLog.flush(10000))) {
      auditLog.stop();
    }
  });
  return auditLog;
}

/**
 * The audit trail of the whole backend. Root-scoped so that every plugin's auditor appends
 * to one chain in one database (a plugin-scoped database would split the chain).
 */
export const auditLogServiceRef = createServiceRef<AuditLogService>({
  id: 'frontier-guard.audit.log',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: auditLogDeps,
      factory: createAuditLog,
    }),
});

/** The explicit form of `auditLogServiceRef`'s default factory. */
export const auditLogServiceFactory = createServiceFactory({
  service: auditLogServiceRef,
  deps: auditLogDeps,
  factory: createAuditLog,
});
