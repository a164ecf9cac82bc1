import express from 'express';
import Router from 'express-promise-router';
import type { z } from 'zod';
import { AuditorService, BackstageCredentials, HttpAuthService, PermissionsService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { auditRefusals, endAbandonedRequests, markAudited, refuseUnsafeInput, rememberActor } from '@internal/backend-input-guard';
import { AuthorizeResult, BasicPermission } from '@backstage/plugin-permission-common';
import {
  createExceptionBodySchema,
  describeZodError,
  exportQuerySchema,
  isExceptedBatchBodySchema,
  isExceptedQuerySchema,
  listExceptionsQuerySchema,
  policyExceptionChecksRunPermission,
  policyExceptionCoverageReadPermission,
  policyExceptionCreatePermission,
  policyExceptionExportPermission,
  policyExceptionReadPermission,
  policyExceptionReviewPermission,
  policyExceptionRevokePermission,
  reReviewBodySchema,
  reasonBodySchema,
  reviewBodySchema,
  reviseExceptionBodySchema,
} from '@internal/plugin-policy-exceptions-common';
import { z as zod } from 'zod';
import { AdjustableClock } from '@internal/clock';
import { Actor, ExceptionsService } from './service/ExceptionsService';
import { jsonExport, oscalAssessmentResults, oscalPoam } from './service/export';

export interface RouterOptions {
  service: ExceptionsService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  /** Runs the compensating-control check now (same function as the schedule). */
  runChecks: () => Promise<{ checked: number; suspended: number }>;
  /** Present only when policyExceptions.testing.allowClockControl is true. */
  adjustableClock?: AdjustableClock;
}

/** Exception ids are UUIDs: anything else names no exception (404, after authentication). */
function idOf(req: express.Request): string {
  const id = String(req.params.id);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new NotFoundError(`exception ${id.slice(0, 64)} not found`);
  return id;
}

function parse<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw new InputError(describeZodError(result.error));
  return result.data;
}

const clockBodySchema = zod.object({ advanceSeconds: zod.number().int().min(0).max(60 * 60 * 24 * 400) }).strict();

/** Thin HTTP layer: authenticate, validate, check the permission (a refusal is audited), call the service. */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { service, httpAuth, permissions, auditor, adjustableClock } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  // backstop (shared with every backend): no control or bidi character in the path or query
  // reaches SQL (NUL is a 500 on PostgreSQL); every string of a body goes through a schema that
  // refuses them and names every bad field
  router.use((req, _res, next) => {
    try {
      refuseUnsafeInput(req, { body: false });
      next();
    } catch (error) {
      next(error);
    }
  });
  type Caller = Actor & { credentials: BackstageCredentials };
  const userOf = async (req: express.Request): Promise<Caller> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const userRef = credentials.principal.userEntityRef.toLocaleLowerCase('en-US');
    rememberActor(req.res!, userRef);
    return { userRef, request: req, credentials };
  };
  /** Users and other plugins (service credentials): coverage and exports. */
  const callerOf = async (req: express.Request): Promise<Caller> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const p = credentials.principal as { type?: string; userEntityRef?: string; subject?: string };
    const userRef = p.userEntityRef?.toLocaleLowerCase('en-US') ?? p.subject ?? 'service';
    rememberActor(req.res!, userRef);
    return { userRef, request: req, credentials };
  };
  const require = async (caller: Caller, permission: BasicPermission) => {
    const [d] = await permissions.authorize([{ permission }], { credentials: caller.credentials });
    if (d.result === AuthorizeResult.ALLOW) return;
    const error = new NotAllowedError(`missing permission ${permission.name}`);
    const ev = await auditor.createEvent({
      eventId: 'permission-denied', severityLevel: 'medium', request: caller.request,
      meta: { actor: caller.userRef, permission: permission.name },
    });
    await ev.fail({ error });
    throw markAudited(error);
  };

  router.get('/is-excepted', async (req, res) => {
    const caller = await callerOf(req);
    await require(caller, policyExceptionCoverageReadPermission);
    const q = parse(isExceptedQuerySchema, req.query);
    res.json(await service.isExcepted(q.controlId, { entityRef: q.entityRef, findingKey: q.findingKey }, q.at ? new Date(q.at) : undefined));
  });

  router.post('/is-excepted', async (req, res) => {
    const caller = await callerOf(req);
    await require(caller, policyExceptionCoverageReadPermission);
    const b = parse(isExceptedBatchBodySchema, req.body);
    const at = b.at ? new Date(b.at) : service.now();
    const items = [];
    for (const q of b.queries) items.push(await service.isExcepted(q.controlId, { entityRef: q.entityRef, findingKey: q.findingKey }, at));
    res.json({ items });
  });

  router.get('/exceptions', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionReadPermission);
    const q = parse(listExceptionsQuerySchema, req.query);
    res.json({ items: await service.list(actor, q) });
  });

  router.get('/exceptions/:id', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionReadPermission);
    res.json(await service.get(idOf(req)));
  });

  router.post('/exceptions', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionCreatePermission);
    const body = parse(createExceptionBodySchema, req.body);
    res.status(201).json({ exception: await service.create(actor, body) });
  });

  router.post('/exceptions/:id/revisions', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionCreatePermission);
    const body = parse(reviseExceptionBodySchema, req.body);
    res.status(201).json({ exception: await service.revise(actor, idOf(req), body) });
  });

  router.post('/exceptions/:id/submit', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionCreatePermission);
    res.json({ exception: await service.submit(actor, idOf(req)) });
  });

  router.post('/exceptions/:id/reviews', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionReviewPermission);
    const body = parse(reviewBodySchema, req.body);
    res.json({ exception: await service.review(actor, idOf(req), body) });
  });

  router.post('/exceptions/:id/withdraw', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionCreatePermission);
    res.json({ exception: await service.withdraw(actor, idOf(req)) });
  });

  router.post('/exceptions/:id/revoke', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionRevokePermission);
    const body = parse(reasonBodySchema, req.body);
    res.json({ exception: await service.revoke(actor, idOf(req), body.reason) });
  });

  router.post('/exceptions/:id/re-review', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionReviewPermission);
    const body = parse(reReviewBodySchema, req.body);
    res.json({ exception: await service.reReview(actor, idOf(req), body.comment) });
  });

  router.get('/export', async (req, res) => {
    const caller = await callerOf(req);
    await require(caller, policyExceptionExportPermission);
    const q = parse(exportQuerySchema, req.query);
    const generatedAt = service.now();
    const at = q.at ? new Date(q.at) : generatedAt;
    const doc = await service.audited('exception-export', 'low', caller, { format: q.format, at: at.toISOString() }, async () => {
      const records = await service.activeAt(at);
      if (q.format === 'oscal-poam') return oscalPoam(records, at, generatedAt);
      if (q.format === 'oscal-ar') return oscalAssessmentResults(records, at, generatedAt);
      return jsonExport(records, at, generatedAt);
    });
    res.setHeader('Content-Disposition', `attachment; filename="policy-exceptions-${q.format}-${at.toISOString().slice(0, 10)}.json"`);
    res.json(doc);
  });

  router.post('/checks/run', async (req, res) => {
    const actor = await userOf(req);
    await require(actor, policyExceptionChecksRunPermission);
    res.json(await service.audited('exception-checks-run', 'medium', actor, {}, options.runChecks, r => ({ ...r })));
  });

  if (adjustableClock) {
    router.post('/admin/clock', async (req, res) => {
      const actor = await userOf(req);
      await require(actor, policyExceptionChecksRunPermission);
      const body = parse(clockBodySchema, req.body);
      const now = await service.audited('exception-test-clock', 'high', actor, { advanceSeconds: body.advanceSeconds }, async () =>
        adjustableClock.advance(body.advanceSeconds));
      res.json({ now: now.toISOString() });
    });
  }

  router.use(endAbandonedRequests());
  // every refusal not audited where it happened: a 400 on a write (schema, backstop) and a 403
  // from a rule outside the service's audited actions (see backend-input-guard refusals.ts)
  router.use(auditRefusals(auditor));
  return router;
}
