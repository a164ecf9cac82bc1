import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  ChainedAuditorService,
  createDefaultAuditLogFunction,
  getSeverityLogLevelMappings,
  isInternalServiceRead,
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
  function setup(config = {}, pluginId = 'emitter') {
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
      auth: mockServices.auth({ pluginId }),
      httpAuth: mockServices.httpAuth({ pluginId }),
      plugin: { getId: () => pluginId },
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

  describe("the catalog's reads by other plugins of this backend", () => {
    const requestWith = (authorization?: string): any => {
      const req: any = {
        headers: authorization ? { authorization } : {},
        ip: '127.0.0.1',
        hostname: 'localhost',
        method: 'GET',
        originalUrl: '/api/catalog/entities/by-name/user/default/bob',
      };
      req.get = (name: string) => req.headers[name.toLowerCase()];
      req.header = req.get;
      return req;
    };
    const serviceHeader = (subject: string, targetPluginId = 'catalog') =>
      mockCredentials.service.header({ onBehalfOf: mockCredentials.service(subject), targetPluginId });
    async function fetchAs(authorization: string | undefined, outcome: 'success' | 'fail' = 'success', eventId = 'entity-fetch') {
      const { auditor, recorded, lines } = setup({}, 'catalog');
      const ev = await auditor.createEvent({ eventId, request: requestWith(authorization), meta: { queryType: 'by-name' } });
      if (outcome === 'success') await ev.success();
      else await ev.fail({ error: new Error('database unavailable') });
      return { recorded, lines };
    }

    it('are logged but not appended when a plugin reads for itself (service token, no user)', async () => {
      for (const subject of ['plugin:access-requests', 'plugin:notifications']) {
        const { recorded, lines } = await fetchAs(serviceHeader(subject));
        expect(recorded).toEqual([]);
        expect(lines.map(l => l.message)).toEqual(['catalog.entity-fetch', 'catalog.entity-fetch']);
      }
      expect((await fetchAs(serviceHeader('plugin:notifications'), 'success', 'entity-facets')).recorded).toEqual([]);
    });

    it('are appended when a user reads (directly or through a plugin on their behalf), when an external caller reads, and when a read fails', async () => {
      const user = await fetchAs(mockCredentials.user.header('user:default/alice'));
      expect(user.recorded.map(r => [r.status, r.actor, r.actorType])).toEqual([
        ['initiated', 'user:default/alice', 'user'],
        ['succeeded', 'user:default/alice', 'user'],
      ]);
      // a plugin token carrying the user's token authenticates as the user
      expect(isInternalServiceRead('catalog', 'entity-fetch', mockCredentials.user('user:default/alice'))).toBe(false);

      const external = await fetchAs(serviceHeader('external:ci-exporter'));
      expect(external.recorded.map(r => [r.status, r.actor])).toEqual([
        ['initiated', 'external:ci-exporter'],
        ['succeeded', 'external:ci-exporter'],
      ]);
      expect(
        isInternalServiceRead('catalog', 'entity-fetch', {
          principal: { type: 'service', subject: 'plugin:x', accessRestrictions: { permissionNames: ['catalog.entity.read'] } },
        }),
      ).toBe(false); // restricted (external) tokens are never internal

      const failed = await fetchAs(serviceHeader('plugin:notifications'), 'fail');
      expect(failed.recorded.map(r => [r.status, r.actor, r.error])).toEqual([
        ['failed', 'plugin:notifications', { name: 'Error', message: 'database unavailable' }],
      ]);

      const anonymous = await fetchAs(undefined);
      expect(anonymous.recorded).toHaveLength(2);
    });

    it('only catalog reads are left out: writes, and any other plugin\'s events by a service, are appended', async () => {
      const mutate = await fetchAs(serviceHeader('plugin:catalog-module'), 'success', 'entity-mutate');
      expect(mutate.recorded).toHaveLength(2);
      const { auditor, recorded } = setup({}, 'access-requests');
      const ev = await auditor.createEvent({ eventId: 'entity-fetch', request: requestWith(serviceHeader('plugin:scheduler', 'access-requests')) });
      await ev.success();
      expect(recorded).toHaveLength(2);
      expect(isInternalServiceRead('catalog', 'location-fetch', mockCredentials.service('plugin:x'))).toBe(false);
    });
  });
});
