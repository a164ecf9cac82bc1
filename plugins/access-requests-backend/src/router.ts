import express from 'express';
import Router from 'express-promise-router';
import type { z } from 'zod';
import {
  AuditorService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult, BasicPermission } from '@backstage/plugin-permission-common';
import {
  accessBreakGlassPermission,
  accessGrantPostHocReviewPermission,
  accessGrantReadPermission,
  accessGrantRevokePermission,
  accessReadAllPermission,
  accessRequestCreatePermission,
  accessRequestReadPermission,
  accessRequestReviewPermission,
  breakGlassBodySchema,
  clockBodySchema,
  createRequestBodySchema,
  decisionTimeQuerySchema,
  describeZodError,
  listGrantsQuerySchema,
  listRequestsQuerySchema,
  postHocReviewBodySchema,
  renewBodySchema,
  reviewBodySchema,
  revokeBodySchema,
} from '@internal/plugin-access-requests-common';
import { normalizeEntityRef } from '@internal/input-validation';
import { AdjustableClock } from './clock';
import { auditRefusals, endAbandonedRequests, markAudited, refuseUnsafeInput, rememberActor } from './refusals';
import { AccessRequestsService, Actor } from './service/AccessRequestsService';
import { decisionTimeFor } from './service/decisionTimes';

export interface RouterOptions {
  service: AccessRequestsService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  logger: LoggerService;
  /** Present only when accessRequests.testing.allowClockControl is true. */
  adjustableClock?: AdjustableClock;
}

function parse<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw new InputError(describeZodError(result.error));
  return result.data;
}

/** Thin HTTP layer: validate, authenticate, check permissions, call the service. */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { service, httpAuth, permissions, auditor, adjustableClock } = options;
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  const actorOf = async (req: express.Request): Promise<Actor & { credentials: any }> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    rememberActor(req.res!, credentials.principal.userEntityRef);
    refuseUnsafeInput(req);
    return { userRef: credentials.principal.userEntityRef, request: req, credentials };
  };
  /**
   * Decisions for several permissions in ONE round trip to the permission backend (one
   * authorize call per request: each call is an HTTP request with a signed token).
   */
  const decide = async (actor: { credentials: any }, ...wanted: BasicPermission[]): Promise<boolean[]> => {
    const decisions = await permissions.authorize(
      wanted.map(permission => ({ permission })),
      { credentials: actor.credentials },
    );
    return decisions.map(d => d.result === AuthorizeResult.ALLOW);
  };
  /** 403 for a missing permission; every refusal is an audit event. */
  const refuse = async (actor: Actor, permission: BasicPermission): Promise<never> => {
    const error = new NotAllowedError(`missing permission ${permission.name}`);
    const ev = await auditor.createEvent({
      eventId: 'permission-denied', severityLevel: 'medium', request: actor.request,
      meta: { actor: actor.userRef, permission: permission.name },
    });
    await ev.fail({ error });
    throw markAudited(error);
  };
  /**
   * Refuses (403) without `permission`; answers the optional `also` permissions (e.g. read-all)
   * in the same authorize call.
   */
  const require = async (
    actor: Actor & { credentials: any },
    permission: BasicPermission,
    ...also: BasicPermission[]
  ): Promise<boolean[]> => {
    const [ok, ...rest] = await decide(actor, permission, ...also);
    if (!ok) await refuse(actor, permission);
    return rest;
  };

  router.get('/resources', async (req, res) => {
    const actor = await actorOf(req);
    await require(actor, accessRequestReadPermission);
    const query = typeof req.query.query === 'string' ? req.query.query.slice(0, 500) : '';
    res.json(await service.searchResources(query, actor));
  });

  router.get('/resources/:kind/:namespace/:name', async (req, res) => {
    const actor = await actorOf(req);
    const [canReadAll] = await require(actor, accessGrantReadPermission, accessReadAllPermission);
    const ref = normalizeEntityRef(`${req.params.kind}:${req.params.namespace}/${req.params.name}`);
    if (!ref.ok) throw new InputError(`resourceRef: ${ref.message}`);
    // grants in the view: the caller's own, or everyone's with read-all (as GET /grants/:id)
    res.json(await service.getResourceDetails(actor, ref.ref, canReadAll));
  });

  router.post('/requests', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(createRequestBodySchema, req.body);
    await require(actor, accessRequestCreatePermission);
    res.status(201).json({ request: await service.createRequest(actor, body) });
  });

  router.get('/requests', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(listRequestsQuerySchema, req.query);
    const [canReadAll = false] = await require(actor, accessRequestReadPermission, ...(query.scope === 'all' ? [accessReadAllPermission] : []));
    res.json({ items: await service.listRequests(actor, query, canReadAll) });
  });

  router.get('/requests/:id', async (req, res) => {
    const actor = await actorOf(req);
    const [canReadAll] = await require(actor, accessRequestReadPermission, accessReadAllPermission);
    res.json(await service.getRequest(actor, req.params.id, canReadAll));
  });

  // median time-to-decision of recent decided requests the caller may read (read-only)
  router.get('/decision-times', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(decisionTimeQuerySchema, req.query);
    const [canReadAll] = await require(actor, accessRequestReadPermission, accessReadAllPermission);
    res.json(await decisionTimeFor(service, actor, query, canReadAll));
  });

  router.post('/requests/:id/reviews', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(reviewBodySchema, req.body);
    // read-all decided in the same authorize call, before the review
    const [canReadAll] = await require(actor, accessRequestReviewPermission, accessReadAllPermission);
    const result = await service.review(actor, req.params.id, body);
    // the grant is the requester's: the reviewer sees it only with read-all (as GET /grants/:id)
    const showGrant = result.grant ? canReadAll : false;
    res.json(showGrant ? result : { request: result.request });
  });

  router.post('/requests/:id/withdraw', async (req, res) => {
    const actor = await actorOf(req);
    await require(actor, accessRequestCreatePermission);
    res.json({ request: await service.withdraw(actor, req.params.id) });
  });

  router.get('/grants', async (req, res) => {
    const actor = await actorOf(req);
    const query = parse(listGrantsQuerySchema, req.query);
    const [canReadAll = false] = await require(actor, accessGrantReadPermission, ...(query.scope === 'all' ? [accessReadAllPermission] : []));
    res.json({ items: await service.listGrants(actor, query, canReadAll) });
  });

  // Grant export for detections (offline replay and the detections backend): service tokens, or
  // users holding read-all. Defined before /grants/:id. Every export and refusal is audited.
  router.get('/grants/export', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const isUser = credentials.principal.type === 'user';
    const subject = isUser
      ? (credentials.principal as { userEntityRef: string }).userEntityRef
      : (credentials.principal as { subject?: string }).subject ?? 'service';
    rememberActor(res, subject);
    // the same input backstop as every other route, right after authentication
    refuseUnsafeInput(req);
    // Users need read-all. Service principals are asked too: a plugin's own token passes, but an
    // external-access token restricted to other permissions (backend.auth.externalAccess
    // accessRestrictions) is refused instead of reading every grant.
    const actor = { userRef: subject, request: req, credentials };
    const [ok] = await decide(actor, accessReadAllPermission);
    if (!ok) await refuse(actor, accessReadAllPermission);
    const ev = await auditor.createEvent({ eventId: 'grants-export', severityLevel: 'medium', request: req, meta: { actor: subject } });
    try {
      const result = await service.exportGrants();
      await ev.success({ meta: { grants: result.grants.length } });
      res.json(result);
    } catch (error) {
      await ev.fail({ error: error as Error });
      throw error;
    }
  });

  router.get('/grants/:id', async (req, res) => {
    const actor = await actorOf(req);
    const [canReadAll] = await require(actor, accessGrantReadPermission, accessReadAllPermission);
    res.json({ grant: await service.getGrant(actor, req.params.id, canReadAll) });
  });

  router.post('/grants/:id/revoke', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(revokeBodySchema, req.body);
    const [canRevoke, canRead] = await decide(actor, accessGrantRevokePermission, accessGrantReadPermission);
    // without the revoke permission, only one's own grant (checked by the service)
    if (!canRevoke && !canRead) await refuse(actor, accessGrantReadPermission);
    res.json({ grant: await service.revokeGrant(actor, req.params.id, body.reason, canRevoke) });
  });

  router.post('/grants/:id/retry', async (req, res) => {
    const actor = await actorOf(req);
    const [canRevoke, canCreate] = await decide(actor, accessGrantRevokePermission, accessRequestCreatePermission);
    // retrying re-provisions access: one's own grant needs the right to request access
    if (!canRevoke && !canCreate) await refuse(actor, accessRequestCreatePermission);
    res.json({ grant: await service.retryGrant(actor, req.params.id, canRevoke) });
  });

  router.post('/grants/:id/renew', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(renewBodySchema, req.body);
    await require(actor, accessRequestCreatePermission);
    res.status(201).json({ request: await service.renewGrant(actor, req.params.id, body) });
  });

  router.post('/break-glass', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(breakGlassBodySchema, req.body);
    const [permitted] = await decide(actor, accessBreakGlassPermission);
    res.status(201).json({ grant: await service.breakGlass(actor, body, permitted) });
  });

  router.post('/grants/:id/post-hoc-reviews', async (req, res) => {
    const actor = await actorOf(req);
    const body = parse(postHocReviewBodySchema, req.body);
    const [permitted] = await decide(actor, accessGrantPostHocReviewPermission);
    res.json({ grant: await service.postHocReview(actor, req.params.id, body, permitted) });
  });

  if (adjustableClock) {
    // TEST ONLY: exists only with accessRequests.testing.allowClockControl: true
    router.get('/admin/clock', async (req, res) => {
      const actor = await actorOf(req);
      if (!(await service.isPlatformAdmin(actor.userRef))) {
        throw new NotAllowedError('only platform admins may read the test clock');
      }
      res.json({ now: adjustableClock.now().toISOString(), offsetSeconds: adjustableClock.offsetSeconds });
    });
    router.post('/admin/clock', async (req, res) => {
      const actor = await actorOf(req);
      const body = parse(clockBodySchema, req.body);
      const ev = await auditor.createEvent({
        eventId: 'clock-advance', severityLevel: 'high', request: req,
        meta: { actor: actor.userRef, advanceSeconds: body.advanceSeconds },
      });
      try {
        if (!(await service.isPlatformAdmin(actor.userRef))) {
          throw new NotAllowedError('only platform admins may move the test clock');
        }
        const now = adjustableClock.advance(body.advanceSeconds);
        const sweep = await service.runExpirySweep();
        await ev.success({ meta: { now: now.toISOString(), ...sweep } });
        res.json({ now: now.toISOString(), offsetSeconds: adjustableClock.offsetSeconds, sweep });
      } catch (error) {
        await ev.fail({ error: error as Error });
        throw markAudited(error);
      }
    });
  }

  // every refusal not audited where it happened (service NotAllowedError, schema 400 on writes)
  router.use(endAbandonedRequests());
  router.use(auditRefusals(auditor));

  return router;
}
