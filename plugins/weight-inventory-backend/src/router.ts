import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { AuditorService, BackstageCredentials, HttpAuthService, PermissionsService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult, BasicPermission } from '@backstage/plugin-permission-common';
import { auditRefusals, endAbandonedRequests, markAudited, refuseUnsafeInput, rememberActor } from '@internal/backend-input-guard';
import { describeZodError } from '@internal/input-validation';
import { weightInventoryReadPermission, weightInventoryRefreshPermission } from '@internal/plugin-weight-inventory-common';
import type { InventoryStore } from './store/InventoryStore';
import type { InventoryService } from './service/InventoryService';

export interface RouterOptions {
  store: InventoryStore;
  service: InventoryService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}

const storeId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,127}$/, 'must be a store id (lower-case letters, digits, dashes)');
const iso = z.string().refine(v => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}/.test(v), 'must be an ISO date');
const limit = (max: number) => z.coerce.number().int().min(1).max(max).optional();

const storesQuery = z.object({
  kind: z.enum(['storage-account', 'kubernetes-cluster']).optional(),
  posture: z.enum(['passing', 'failing', 'unknown']).optional(),
  subscriptionId: z.string().regex(/^[0-9a-zA-Z-]{1,64}$/, 'must be a subscription id').optional(),
  cluster: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be a cluster name').optional(),
  q: z.string().max(100).regex(/^[A-Za-z0-9._ -]*$/, 'may contain letters, digits, dot, dash, underscore and space').optional(),
}).strict();

const entityRefParam = z.string().regex(/^resource:default\/[a-z0-9][a-z0-9-]{0,127}$/i, 'must be an entity ref resource:default/<store id>');

const findingsQuery = z.object({
  storeId: storeId.optional(),
  entityRef: entityRefParam.optional(),
  controlId: z.string().regex(/^FG-[A-Z0-9-]{1,60}$/, 'must be a control id (FG-...)').optional(),
  status: z.enum(['pass', 'fail', 'not-applicable']).optional(),
}).strict();

const driftQuery = z.object({
  since: iso.optional(),
  after: z.string().uuid().optional(),
  storeId: storeId.optional(),
  limit: limit(1000),
}).strict();

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InputError(describeZodError(r.error));
  return r.data;
}

function principalRef(c: BackstageCredentials): string {
  const p = c.principal as { type: string; userEntityRef?: string; subject?: string };
  if (p.type === 'user' && p.userEntityRef) return p.userEntityRef;
  if (p.type === 'service' && p.subject) return `service:${p.subject}`;
  return 'unknown';
}

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { store, service, httpAuth, permissions, auditor } = options;
  const router = Router();

  /** Authenticates (user or service) and checks one permission; a refusal is audited. */
  const authorize = async (req: express.Request, permission: BasicPermission): Promise<BackstageCredentials> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    rememberActor(req.res!, principalRef(credentials));
    // the backends' shared backstop: no control or bidi character in path, query or body
    refuseUnsafeInput(req);
    const [decision] = await permissions.authorize([{ permission }], { credentials });
    if (decision.result !== AuthorizeResult.ALLOW) {
      const event = await auditor.createEvent({
        eventId: 'permission-denied',
        severityLevel: 'medium',
        request: req,
        meta: { actor: principalRef(credentials), permission: permission.name, method: req.method, path: `${req.baseUrl}${req.path}`.slice(0, 300) },
      });
      const error = new NotAllowedError(`Not allowed: the permission ${permission.name} is required`);
      await event.fail({ error });
      throw markAudited(error);
    }
    return credentials;
  };

  const read = (req: express.Request) => authorize(req, weightInventoryReadPermission);

  router.get('/stores', async (req, res) => {
    await read(req);
    const query = parse(storesQuery, req.query);
    res.json({ items: await store.listStores(query) });
  });

  router.get('/stores/:id', async (req, res) => {
    await read(req);
    const id = parse(storeId, req.params.id);
    const found = await store.getStore(id);
    if (!found) throw new NotFoundError(`No store ${id}`);
    res.json({ store: found });
  });

  router.get('/posture', async (req, res) => {
    await read(req);
    const { entityRef } = parse(z.object({ entityRef: entityRefParam }).strict(), req.query);
    const id = entityRef.split('/')[1].toLowerCase();
    const found = await store.getStore(id);
    if (!found) throw new NotFoundError(`No store behind ${entityRef}`);
    res.json({ store: found, findings: await store.listFindings({ storeId: id }) });
  });

  router.get('/findings', async (req, res) => {
    await read(req);
    const q = parse(findingsQuery, req.query);
    const byEntity = q.entityRef ? q.entityRef.split('/')[1].toLowerCase() : undefined;
    if (q.storeId && byEntity && q.storeId !== byEntity) throw new InputError('storeId and entityRef name different stores');
    res.json({ items: await store.listFindings({ storeId: q.storeId ?? byEntity, controlId: q.controlId, status: q.status }) });
  });

  router.get('/stores/:id/history', async (req, res) => {
    await read(req);
    const id = parse(storeId, req.params.id);
    const { findingKey } = parse(z.object({ findingKey: z.string().min(1).max(512).regex(/^[A-Za-z0-9:/._*-]+$/, 'must be a finding key').optional() }).strict(), req.query);
    if (!(await store.getStore(id))) throw new NotFoundError(`No store ${id}`);
    res.json({ items: await store.history(id, findingKey) });
  });

  router.get('/stores/:id/weights', async (req, res) => {
    await read(req);
    const id = parse(storeId, req.params.id);
    const q = parse(z.object({ limit: limit(1000), offset: z.coerce.number().int().min(0).max(10_000_000).optional() }).strict(), req.query);
    if (!(await store.getStore(id))) throw new NotFoundError(`No store ${id}`);
    res.json(await store.listWeights(id, q.limit ?? 200, q.offset ?? 0));
  });

  router.get('/drift-events', async (req, res) => {
    await read(req);
    const q = parse(driftQuery, req.query);
    res.json({ items: await store.listDriftEvents(q) });
  });

  router.get('/summary', async (req, res) => {
    await read(req);
    res.json(await store.summary());
  });

  router.get('/refreshes', async (req, res) => {
    await read(req);
    const q = parse(z.object({ limit: limit(200) }).strict(), req.query);
    res.json({ items: await store.listRefreshes(q.limit ?? 20) });
  });

  router.post('/refreshes', express.json({ limit: '1kb' }), async (req, res) => {
    const credentials = await authorize(req, weightInventoryRefreshPermission);
    parse(z.object({}).strict(), req.body ?? {});
    const event = await auditor.createEvent({ eventId: 'inventory-refresh', severityLevel: 'low', request: req, meta: { trigger: 'manual', actor: principalRef(credentials) } });
    try {
      const refresh = await service.refresh('manual', principalRef(credentials));
      await event.success({ meta: { refreshId: refresh.id, status: refresh.status, stores: refresh.stores, driftEvents: refresh.driftEvents } });
      res.status(201).json({ refresh });
    } catch (error) {
      await event.fail({ error: error as Error });
      throw markAudited(error);
    }
  });

  router.use(endAbandonedRequests());
  // a refused write not audited above (400: body schema, backstop) gets its input-rejected event
  router.use(auditRefusals(auditor));
  return router;
}
