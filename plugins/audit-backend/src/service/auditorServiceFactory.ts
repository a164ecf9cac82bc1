import { randomUUID } from 'node:crypto';
import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  AuthService,
  HttpAuthService,
  LoggerService,
  PluginMetadataService,
  RootConfigService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  AuditorEvent,
  DefaultAuditorService,
} from '@backstage/backend-defaults/auditor';
import { InputError } from '@backstage/errors';
import { AuditActorType } from '@internal/plugin-audit-common';
import { z } from 'zod';
import { AuditLogService } from './AuditLog';
import { auditLogServiceRef } from './auditLogServiceRef';

const CONFIG_ROOT_KEY = 'backend.auditor';
const logLevel = z.enum(['debug', 'info', 'warn', 'error']);
const severityLogLevelMappingsSchema = z.object({
  low: logLevel.default('debug'),
  medium: logLevel.default('info'),
  high: logLevel.default('info'),
  critical: logLevel.default('info'),
});
type SeverityLogLevelMappings = z.infer<typeof severityLogLevelMappingsSchema>;

/** `backend.auditor.severityLogLevelMappings`, read and validated like the default auditor. */
export function getSeverityLogLevelMappings(
  config: RootConfigService,
): SeverityLogLevelMappings {
  const auditorConfig = config.getOptionalConfig(CONFIG_ROOT_KEY);
  const input = {
    low: auditorConfig?.getOptionalString('severityLogLevelMappings.low'),
    medium: auditorConfig?.getOptionalString('severityLogLevelMappings.medium'),
    high: auditorConfig?.getOptionalString('severityLogLevelMappings.high'),
    critical: auditorConfig?.getOptionalString(
      'severityLogLevelMappings.critical',
    ),
  };
  const parsed = severityLogLevelMappingsSchema.safeParse(input);
  if (!parsed.success) {
    const key = parsed.error.issues[0].path[0] as keyof typeof input;
    throw new InputError(
      `The configuration value for '${CONFIG_ROOT_KEY}.severityLogLevelMappings.${String(
        key,
      )}' was given an invalid value: '${
        input[key]
      }'. Expected one of the following valid values: '${logLevel.options.join(
        ', ',
      )}'.`,
    );
  }
  return parsed.data;
}

/** The log line of Backstage's default auditor (`backend-defaults` auditorServiceFactory). */
export function createDefaultAuditLogFunction(
  logger: LoggerService,
  mappings: SeverityLogLevelMappings,
) {
  const auditLogger = logger.child({ isAuditEvent: true });
  return (event: AuditorEvent) => {
    if ('error' in event) {
      const { error, ...rest } = event;
      const childAuditLogger = auditLogger.child(rest);
      childAuditLogger[mappings[event.severityLevel]](
        `${event.plugin}.${event.eventId}`,
        error,
      );
    } else {
      auditLogger[mappings[event.severityLevel]](
        `${event.plugin}.${event.eventId}`,
        event as any,
      );
    }
  };
}

/**
 * An AuditorService that logs exactly like Backstage's default one (it IS the default
 * `DefaultAuditorService`, with the default log function) and also appends each event
 * (initiated / succeeded / failed) to the hash-chained audit trail.
 */
export class ChainedAuditorService implements AuditorService {
  constructor(
    private readonly deps: {
      auth: AuthService;
      httpAuth: HttpAuthService;
      plugin: PluginMetadataService;
      logger: LoggerService;
      auditLog: AuditLogService;
      logFn: (event: AuditorEvent) => void;
    },
  ) {}

  async createEvent(options: AuditorServiceCreateEventOptions) {
    const correlationId = randomUUID();
    // One DefaultAuditorService per event so that its rows share a correlation id.
    const inner = DefaultAuditorService.create(async event => {
      this.deps.logFn(event);
      await this.append(event, correlationId, options.request);
    }, this.deps);
    return inner.createEvent(options);
  }

  private async append(
    event: AuditorEvent,
    correlationId: string,
    request: AuditorServiceCreateEventOptions['request'],
  ) {
    try {
      const error =
        event.status === 'failed'
          ? {
              name: String(event.error?.name ?? 'Error'),
              message: String(event.error?.message ?? event.error),
            }
          : undefined;
      await this.deps.auditLog.record({
        correlationId,
        pluginId: event.plugin,
        eventId: event.eventId,
        severity: event.severityLevel,
        status: event.status,
        actor: event.actor.actorId,
        actorType: await this.actorType(request),
        request: request
          ? {
              method: event.request?.method,
              url: event.request?.url,
              ip: event.actor.ip,
              hostname: event.actor.hostname,
              userAgent: event.actor.userAgent,
            }
          : undefined,
        meta: event.meta,
        error,
      });
    } catch (error) {
      // record() never rejects; this is only a guard so auditing can't break the caller.
      this.deps.logger.error(`AUDIT TRAIL: could not record event: ${error}`);
    }
  }

  private async actorType(
    request: AuditorServiceCreateEventOptions['request'],
  ): Promise<AuditActorType> {
    try {
      const credentials = request
        ? await this.deps.httpAuth.credentials(request) // cached per request
        : await this.deps.auth.getOwnServiceCredentials();
      if (this.deps.auth.isPrincipal(credentials, 'user')) return 'user';
      if (this.deps.auth.isPrincipal(credentials, 'service')) return 'service';
      return 'none';
    } catch {
      return 'unknown';
    }
  }
}

/**
 * Replaces `coreServices.auditor`: every plugin's audit events are logged as by the
 * default auditor and appended to the one hash-chained audit trail (`auditLogServiceRef`).
 */
export const auditorServiceFactory = createServiceFactory({
  service: coreServices.auditor,
  deps: {
    config: coreServices.rootConfig,
    logger: coreServices.logger,
    auth: coreServices.auth,
    httpAuth: coreServices.httpAuth,
    plugin: coreServices.pluginMetadata,
    auditLog: auditLogServiceRef,
  },
  factory({ config, logger, auth, httpAuth, plugin, auditLog }) {
    const logFn = createDefaultAuditLogFunction(
      logger,
      getSeverityLogLevelMappings(config),
    );
    return new ChainedAuditorService({
      auth,
      httpAuth,
      plugin,
      logger,
      auditLog,
      logFn,
    });
  },
});
