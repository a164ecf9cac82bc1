import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { DefaultEventsService } from '@backstage/plugin-events-node';
import { eventBusMode } from './eventsServiceFactory';

const config = (data: object) => mockServices.rootConfig({ data });

describe('eventBusMode', () => {
  it('no bus posts for a SQLite backend (one process), always otherwise, explicit config wins', () => {
    expect(eventBusMode(config({ backend: { database: { client: 'better-sqlite3' } } }))).toBe('never');
    expect(eventBusMode(config({ backend: { database: { client: 'sqlite3' } } }))).toBe('never');
    expect(eventBusMode(config({ backend: { database: { client: 'pg' } } }))).toBe('always');
    expect(eventBusMode(config({}))).toBe('always');
    expect(eventBusMode(config({ backend: { database: { client: 'better-sqlite3' } }, events: { useEventBus: 'always' } }))).toBeUndefined();
  });

  it('with it, a SQLite backend delivers events in-process and posts nothing; a PostgreSQL one still posts to the bus for the other replicas', async () => {
    const posts: string[] = [];
    const bus = http.createServer((req, res) => {
      posts.push(`${req.method} ${req.url}`);
      req.resume();
      res.statusCode = 201;
      res.end();
    });
    await new Promise<void>(resolve => bus.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(bus.address() as AddressInfo).port}`;
    try {
      for (const [client, expectedPosts] of [['better-sqlite3', 0], ['pg', 1]] as const) {
        posts.length = 0;
        const cfg = config({ backend: { database: { client } } });
        const events = DefaultEventsService.create({ logger: mockServices.logger.mock(), config: cfg, useEventBus: eventBusMode(cfg) });
        const forPlugin = (id: string) =>
          events.forPlugin(id, {
            discovery: { getBaseUrl: async () => base, getExternalBaseUrl: async () => base },
            logger: mockServices.logger.mock(),
            lifecycle: mockServices.lifecycle.mock(),
            auth: mockServices.auth({ pluginId: id }),
          });
        const received: unknown[] = [];
        // a subscriber in this process (no bus subscription: registered on the local bus only)
        await events.subscribe({ id: 'signals', topics: ['signals'], onEvent: async e => void received.push(e.eventPayload) });
        await forPlugin('notifications').publish({ topic: 'signals', eventPayload: { n: 1 } });
        expect(received).toEqual([{ n: 1 }]);
        expect(posts.filter(p => p.startsWith('POST'))).toHaveLength(expectedPosts);
      }
    } finally {
      await new Promise(r => bus.close(r));
    }
  });
});
