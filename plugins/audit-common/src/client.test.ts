import { AuditClient } from './client';
import { auditEventsQuerySchema } from './schemas';
import { auditEventsReadPermission, auditPermissions } from './permissions';

describe('AuditClient', () => {
  const discoveryApi = {
    getBaseUrl: async (id: string) => `http://backend/api/${id}`,
  };

  it('builds the events query and sends the token', async () => {
    const fetch = jest.fn(
      async () =>
        new Response(JSON.stringify({ items: [], nextCursor: undefined }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });
    await expect(
      client.listEvents(
        { limit: 10, before: 42, pluginId: 'catalog', actor: undefined },
        { token: 't0k' },
      ),
    ).resolves.toEqual({ items: [] });
    expect(fetch).toHaveBeenCalledWith(
      'http://backend/api/audit/events?limit=10&before=42&pluginId=catalog',
      { headers: { Authorization: 'Bearer t0k' } },
    );
  });

  it('turns an error response into a ResponseError', async () => {
    const fetch = jest.fn(
      async () =>
        new Response(
          JSON.stringify({
            error: { name: 'NotAllowedError', message: 'Missing permission' },
            request: { method: 'GET', url: '/verify' },
            response: { statusCode: 403 },
          }),
          { status: 403, headers: { 'content-type': 'application/json' } },
        ),
    );
    const client = new AuditClient({ discoveryApi, fetchApi: { fetch } });
    await expect(client.verify()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
    });
  });
});

describe('auditEventsQuerySchema', () => {
  it('coerces numbers and normalizes timestamps', () => {
    expect(
      auditEventsQuerySchema.parse({
        limit: '5',
        after: '3',
        from: '2026-11-25',
      }),
    ).toEqual({ limit: 5, after: 3, from: '2026-11-25T00:00:00.000Z' });
  });

  it('rejects bad values and unknown fields', () => {
    expect(auditEventsQuerySchema.safeParse({ limit: '0' }).success).toBe(
      false,
    );
    expect(auditEventsQuerySchema.safeParse({ severity: 'meh' }).success).toBe(
      false,
    );
    expect(auditEventsQuerySchema.safeParse({ to: 'soon' }).success).toBe(
      false,
    );
    expect(auditEventsQuerySchema.safeParse({ sort: 'x' }).success).toBe(false);
  });
  it('refuses control characters and bidi overrides in the text filters, naming the field', () => {
    for (const field of ['actor', 'pluginId', 'eventId']) {
      for (const bad of ['a\u0000', 'a\u202e', '\u001b[2J', 'a\rb']) {
        const r = auditEventsQuerySchema.safeParse({ [field]: bad });
        expect(r.success).toBe(false);
        expect(r.error!.issues[0].path).toEqual([field]);
      }
    }
    expect(auditEventsQuerySchema.parse({ actor: 'user:default/alice' }).actor).toBe('user:default/alice');
  });
});

describe('auditPermissions', () => {
  it('exports audit.events.read', () => {
    expect(auditEventsReadPermission.name).toBe('audit.events.read');
    expect(auditPermissions).toEqual([auditEventsReadPermission]);
  });
});
