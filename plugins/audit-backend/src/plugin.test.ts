import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { NotAllowedError } from '@backstage/errors';
import Router from 'express-promise-router';
import knexFactory from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import auditPlugin, { auditorServiceFactory } from './index';
import { AuditEvent } from '@internal/plugin-audit-common';

jest.setTimeout(60_000);

/** A tiny plugin that emits audit events the way every portal plugin does. */
const emitterPlugin = createBackendPlugin({
  pluginId: 'emitter',
  register(env) {
    env.registerInit({
      deps: {
        auditor: coreServices.auditor,
        httpRouter: coreServices.httpRouter,
      },
      async init({ auditor, httpRouter }) {
        const router = Router();
        router.post('/things/:name', async (req, res) => {
          const ev = await auditor.createEvent({
            eventId: 'thing-create',
            severityLevel: 'medium',
            request: req,
            meta: { actionType: 'create', name: req.params.name },
          });
          if (req.params.name === 'forbidden') {
            const error = new NotAllowedError('not yours');
            await ev.fail({ error });
            throw error;
          }
          await ev.success({ meta: { created: true } });
          res.status(201).json({ ok: true });
        });
        httpRouter.use(router);
      },
    });
  },
});

/** Only bob (security reviewer) and dave (platform admin) may read the audit trail. */
const permissionsMock = mockServices.permissions.mock({
  authorize: async (requests, options) => {
    const principal = options?.credentials?.principal as
      | { userEntityRef?: string }
      | undefined;
    const allowed = ['user:default/bob', 'user:default/dave'].includes(
      principal?.userEntityRef ?? '',
    );
    return requests.map(() => ({
      result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    }));
  },
});

describe('audit trail through the backend', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-plugin-test-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start() {
    return startTestBackend({
      features: [
        auditorServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            backend: {
              database: {
                client: 'better-sqlite3',
                connection: { directory: dir },
              },
            },
          },
        }),
        permissionsMock.factory,
        emitterPlugin,
        auditPlugin,
      ],
    });
  }

  async function list(server: any, query = '') {
    const res = await request(server)
      .get(`/api/audit/events${query}`)
      .set('Authorization', mockCredentials.user.header('user:default/bob'));
    expect(res.status).toBe(200);
    return res.body as {
      items: AuditEvent[];
      nextCursor?: { before?: number };
    };
  }

  it('appends every event of every plugin, with the actor from the credentials', async () => {
    const backend = await start();
    const server = backend.server;
    try {
      await request(server)
        .post('/api/emitter/things/alpha')
        .set('Authorization', mockCredentials.user.header('user:default/alice'))
        .set('User-Agent', 'jest-agent')
        .expect(201);
      await request(server)
        .post('/api/emitter/things/forbidden')
        .set(
          'Authorization',
          mockCredentials.service.header({
            onBehalfOf: mockCredentials.service('plugin:catalog'),
            targetPluginId: 'emitter',
          }),
        )
        .expect(403);

      const { items } = await list(server, '?pluginId=emitter&order=asc');
      expect(items.map(e => [e.status, e.actor, e.actorType])).toEqual([
        ['initiated', 'user:default/alice', 'user'],
        ['succeeded', 'user:default/alice', 'user'],
        ['initiated', 'plugin:catalog', 'service'],
        ['failed', 'plugin:catalog', 'service'],
      ]);
      const [initiated, succeeded, , failed] = items;
      expect(initiated).toMatchObject({
        pluginId: 'emitter',
        eventId: 'thing-create',
        severity: 'medium',
        meta: { actionType: 'create', name: 'alpha' },
        request: {
          method: 'POST',
          url: '/api/emitter/things/alpha',
          userAgent: 'jest-agent',
        },
      });
      expect(initiated.request?.ip).toBeTruthy();
      expect(Date.parse(initiated.occurredAt)).not.toBeNaN();
      expect(succeeded.correlationId).toBe(initiated.correlationId);
      expect(succeeded.meta).toEqual({
        actionType: 'create',
        name: 'alpha',
        created: true,
      });
      expect(failed.error).toEqual({
        name: 'NotAllowedError',
        message: 'not yours',
      });

      // The SQLite file lives under the configured directory, and the audit trail's own
      // connection put it in WAL mode (no plugin database service touches this file here).
      expect(fs.existsSync(path.join(dir, 'audit.sqlite'))).toBe(true);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Database = require('better-sqlite3');
      const file = new Database(path.join(dir, 'audit.sqlite'), { readonly: true });
      try {
        expect(file.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        file.close();
      }

      const verify = await request(server)
        .get('/api/audit/verify')
        .set('Authorization', mockCredentials.user.header('user:default/dave'));
      expect(verify.status).toBe(200);
      expect(verify.body).toMatchObject({ ok: true });
      expect(verify.body.checked).toBeGreaterThanOrEqual(6);

      // Verifying is itself audited (by dave), and reads are too (by bob).
      const own = await list(server, '?pluginId=audit&eventId=chain-verify');
      expect(own.items.map(e => [e.status, e.actor])).toEqual([
        ['succeeded', 'user:default/dave'],
        ['initiated', 'user:default/dave'],
      ]);
      expect(own.items[0].meta).toMatchObject({ ok: true });
    } finally {
      await backend.stop();
    }
  });

  it('pages newest first with a seq cursor', async () => {
    const backend = await start();
    const server = backend.server;
    try {
      for (const name of ['a', 'b', 'c']) {
        await request(server).post(`/api/emitter/things/${name}`).expect(201);
      }
      const page1 = await list(server, '?pluginId=emitter&limit=4');
      expect(page1.items.map(e => e.seq)).toEqual([6, 5, 4, 3]);
      expect(page1.nextCursor).toEqual({ before: 3 });
      const page2 = await list(server, '?pluginId=emitter&limit=4&before=3');
      expect(page2.items.map(e => e.seq)).toEqual([2, 1]);
      expect(page2.nextCursor).toBeUndefined();
    } finally {
      await backend.stop();
    }
  });

  it('refuses unauthenticated (401), unauthorized (403) and bad input (400)', async () => {
    const backend = await start();
    const server = backend.server;
    try {
      await request(server)
        .get('/api/audit/events')
        .set('Authorization', mockCredentials.none.header())
        .expect(401);
      await request(server)
        .get('/api/audit/verify')
        .set('Authorization', mockCredentials.none.header())
        .expect(401);

      const denied = await request(server)
        .get('/api/audit/events')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/alice'),
        );
      expect(denied.status).toBe(403);
      await request(server)
        .get('/api/audit/verify')
        .set('Authorization', mockCredentials.user.header('user:default/alice'))
        .expect(403);

      const bad = await request(server)
        .get('/api/audit/events?limit=100000')
        .set('Authorization', mockCredentials.user.header('user:default/bob'));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/limit/);
      await request(server)
        .get('/api/audit/events?from=yesterday')
        .set('Authorization', mockCredentials.user.header('user:default/bob'))
        .expect(400);
      // control characters in the text filters: 400 naming the field (a NUL was a 500 on PostgreSQL)
      for (const q of ['actor=user:default/a%00', 'eventId=%E2%80%AE', 'pluginId=a%1B%5B2J']) {
        const res = await request(server)
          .get(`/api/audit/events?${q}`)
          .set('Authorization', mockCredentials.user.header('user:default/bob'));
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(`'${q.split('=')[0]}'`);
      }

      // Alice's refused attempts are in the trail.
      const { items } = await list(
        server,
        '?pluginId=audit&actor=user:default/alice',
      );
      expect(
        items
          .filter(e => e.status === 'failed')
          .map(e => e.eventId)
          .sort(),
      ).toEqual(['chain-verify', 'events-read']);
    } finally {
      await backend.stop();
    }
  });

  it('reports a row modified directly in the database', async () => {
    const backend = await start();
    const server = backend.server;
    try {
      await request(server).post('/api/emitter/things/a').expect(201);
      await request(server).post('/api/emitter/things/b').expect(201);
      const db = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: path.join(dir, 'audit.sqlite') },
        useNullAsDefault: true,
      });
      try {
        await db('audit_events')
          .where({ seq: 3 })
          .update({ actor: 'user:default/nobody' });
      } finally {
        await db.destroy();
      }
      const res = await request(server)
        .get('/api/audit/verify')
        .set('Authorization', mockCredentials.user.header('user:default/bob'));
      expect(res.body).toMatchObject({
        ok: false,
        checked: 2,
        firstBrokenSeq: 3,
        reason: 'hash-mismatch',
      });
    } finally {
      await backend.stop();
    }
  });
});
