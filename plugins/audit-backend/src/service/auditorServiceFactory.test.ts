import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  ChainedAuditorService,
  createDefaultAuditLogFunction,
  getSeverityLogLevelMappings,
} from './auditorServiceFactory';
import { AuditLogEntry, AuditLogService } from './AuditLog';

function recordingLogger() {
  const lines: Array<{ level: string; message: string; meta: any; ctx: any }> =
    [];
  const make = (ctx: any): LoggerService => {
    const at = (level: string) => (message: string, meta?: any) =>
      lines.push({ level, message, meta, ctx });
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (fields: any) => make({ ...ctx, ...fields }),
    };
  };
  return { logger: make({}), lines };
}

describe('ChainedAuditorService', () => {
  function setup(config = {}) {
    const { logger, lines } = recordingLogger();
    const recorded: AuditLogEntry[] = [];
    const auditLog: AuditLogService = {
      record: async entry => {
        recorded.push(entry);
      },
      listEvents: jest.fn(),
      verify: jest.fn(),
      flush: jest.fn(),
    };
    const auditor = new ChainedAuditorService({
      auth: mockServices.auth({ pluginId: 'emitter' }),
      httpAuth: mockServices.httpAuth({ pluginId: 'emitter' }),
      plugin: { getId: () => 'emitter' },
      logger,
      auditLog,
      logFn: createDefaultAuditLogFunction(
        logger,
        getSeverityLogLevelMappings(new ConfigReader(config)),
      ),
    });
    return { auditor, lines, recorded };
  }

  it('logs like the default auditor and records initiated + outcome rows', async () => {
    const { auditor, lines, recorded } = setup();
    const ev = await auditor.createEvent({
      eventId: 'thing-do',
      severityLevel: 'medium',
      meta: { a: 1 },
    });
    await ev.fail({ error: new Error('boom') });

    expect(lines.map(l => [l.level, l.message, l.ctx.isAuditEvent])).toEqual([
      ['info', 'emitter.thing-do', true],
      ['info', 'emitter.thing-do', true],
    ]);
    expect(lines[0].meta).toMatchObject({
      plugin: 'emitter',
      eventId: 'thing-do',
      severityLevel: 'medium',
      status: 'initiated',
      actor: { actorId: 'plugin:emitter' },
      meta: { a: 1 },
    });
    // On failure the default logs the error with the event as child-logger context.
    expect(lines[1].meta).toBeInstanceOf(Error);
    expect(lines[1].ctx).toMatchObject({
      status: 'failed',
      eventId: 'thing-do',
    });

    expect(recorded).toEqual([
      expect.objectContaining({
        status: 'initiated',
        actor: 'plugin:emitter',
        actorType: 'service',
        request: undefined,
      }),
      expect.objectContaining({
        status: 'failed',
        error: { name: 'Error', message: 'boom' },
        correlationId: recorded[0].correlationId,
      }),
    ]);
  });

  it('honours backend.auditor.severityLogLevelMappings and rejects bad values', async () => {
    const { auditor, lines } = setup({
      backend: { auditor: { severityLogLevelMappings: { low: 'warn' } } },
    });
    await auditor.createEvent({ eventId: 'read' });
    expect(lines[0].level).toBe('warn');

    expect(() =>
      getSeverityLogLevelMappings(
        new ConfigReader({
          backend: { auditor: { severityLogLevelMappings: { high: 'loud' } } },
        }),
      ),
    ).toThrow(/severityLogLevelMappings.high.*'loud'/);
  });

  it('resolves a user actor from the request credentials', async () => {
    const { auditor, recorded } = setup();
    const req: any = {
      headers: {
        authorization: mockCredentials.user.header('user:default/carol'),
        'user-agent': 'ua',
      },
      get: (name: string) => req.headers[name.toLowerCase()],
      header: (name: string) => req.headers[name.toLowerCase()],
      ip: '10.0.0.7',
      hostname: 'portal',
      method: 'DELETE',
      originalUrl: '/api/emitter/x',
    };
    const ev = await auditor.createEvent({ eventId: 'x', request: req });
    await ev.success();
    expect(recorded[1]).toMatchObject({
      status: 'succeeded',
      actor: 'user:default/carol',
      actorType: 'user',
      request: {
        method: 'DELETE',
        url: '/api/emitter/x',
        ip: '10.0.0.7',
        hostname: 'portal',
        userAgent: 'ua',
      },
    });
  });
});
