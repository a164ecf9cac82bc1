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

/** Read-only catalog events that are not written to the trail when another plugin of this backend reads for itself. */
const INTERNAL_READ_EVENTS: Record<string, readonly string[]> = {
  catalog: ['entity-fetch', 'entity-facets'],
};

/**
 * Whether an event is a plugin-to-plugin read that the trail leaves out: a catalog read
 * (`entity-fetch`, `entity-facets`) whose caller is a service principal with a Backstage plugin
 * subject (`plugin:<id>`, i.e. another plugin of this backend with its own service token, on
 * behalf of no user). Reads on behalf of a user (the user's token, or a plugin token carrying
 * the user's), by external callers (static or JWKS access tokens: their own subjects), without a
 * request, and every failed read are recorded; so is everything else any plugin emits.
 */
export function isInternalServiceRead(
  pluginId: string,
  eventId: string,
  credentials: { principal: unknown } | undefined,
): boolean {
  if (!INTERNAL_READ_EVENTS[pluginId]?.includes(eventId)) return false;
  const principal = credentials?.principal as { type?: string; subject?: string; accessRestrictions?: unknown } | undefined;
  return (
    principal?.type === 'service' &&
    typeof principal.subject === 'string' &&
    /^plugin:[a-z0-9_-]+$/i.test(principal.subject) &&
    principal.accessRestrictions === undefined
  );
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
    const record = !(await this.internalServiceRead(options));
    // One DefaultAuditorService per event so that its rows share a correlation id.
    const inner = DefaultAuditorService.create(async event => {
      this.deps.logFn(event);
      // an internal service read is still logged; only a failed one goes to the trail
      if (record || event.status === 'failed') {
        await this.append(event, correlationId, options.request);
      }
    }, this.deps);
    return inner.createEvent(options);
  }

  private async internalServiceRead(options: AuditorServiceCreateEventOptions): Promise<boolean> {
    const pluginId = this.deps.plugin.getId();
    if (!options.request || !INTERNAL_READ_EVENTS[pluginId]?.includes(options.eventId)) return false;
    try {
      // cached per request: the handler and the default auditor ask for the same credentials
      return isInternalServiceRead(pluginId, options.eventId, await this.deps.httpAuth.credentials(options.request));
    } catch {
      return false;
    }
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
