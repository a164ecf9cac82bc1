import express from 'express';
import Router from 'express-promise-router';
import type { z } from 'zod';
import type { AuditorService, BackstageCredentials, HttpAuthService, PermissionsService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult, type Permission } from '@backstage/plugin-permission-common';
import { auditRefusals, endAbandonedRequests, markAudited, refuseUnsafeInput, rememberActor } from '@internal/backend-input-guard';
import {
  acknowledgeBodySchema,
  alertEventsQuerySchema,
  assignBodySchema,
  closeBodySchema,
  dashboardQuerySchema,
  describeZodError,
  detectionsAlertReadPermission,
  detectionsAlertRevokePermission,
  detectionsAlertTriagePermission,
  detectionsEventReadPermission,
  detectionsEventsIngestPermission,
  listAlertsQuerySchema,
  listEventsQuerySchema,
  noteBodySchema,
  reopenBodySchema,
  revokeGrantsBodySchema,
} from '@internal/plugin-detections-common';
import { decodeCursor } from './domain/cursor';
import type { AlertsService, TriageAction } from './service/AlertsService';
import type { DetectionsQueries } from './service/DetectionsQueries';
import type { IngestService, IngestSlot } from './service/IngestService';

export interface RouterOptions {
  ingest: IngestService;
  alerts: AlertsService;
  queries: DetectionsQueries;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  /** Largest ingest body (express size, e.g. `10mb`). */
  maxIngestBytes: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Alert and event ids are UUIDs: anything else names nothing (404, after authentication). */
function idOf(req: express.Request, what: 'alert' | 'event'): string {
  const id = String(req.params.id);
  if (!UUID.test(id)) throw new NotFoundError(`${what} ${id.slice(0, 64)} not found`);
  return id.toLowerCase();
}

function parse<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw new InputError(describeZodError(result.error));
  return result.data;
}

interface Caller {
  userRef: string;
  request: express.Request;
  credentials: BackstageCredentials;
}

/** Thin HTTP layer: authenticate, backstop, check the permission (refusals audited), validate, call the service. */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { ingest, alerts, queries, httpAuth, permissions, auditor } = options;
  const router = Router();

  const refuse = async (caller: { userRef: string; request: express.Request }, permission: string, message?: string): Promise<never> => {
    const error = new NotAllowedError(message ?? `missing permission ${permission}`);
    const ev = await auditor.createEvent({
      eventId: 'permission-denied', severityLevel: 'medium', request: caller.request,
      meta: { actor: caller.userRef, permission },
    });
    await ev.fail({ error });
    throw markAudited(error);
  };

  /** The signed-in user, with the input backstop run right after authentication. */
  const userOf = async (req: express.Request): Promise<Caller> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const userRef = credentials.principal.userEntityRef.toLocaleLowerCase('en-US');
    rememberActor(req.res!, userRef);
    refuseUnsafeInput(req);
    return { userRef, request: req, credentials };
  };

  const require = async (caller: Caller, permission: Permission, resourceRef?: string) => {
    const [d] = resourceRef !== undefined && permission.type === 'resource'
      ? await permissions.authorize([{ permission, resourceRef }] as any, { credentials: caller.credentials })
      : await permissions.authorize([{ permission }] as any, { credentials: caller.credentials });
    if (d.result !== AuthorizeResult.ALLOW) await refuse(caller, permission.name);
  };

  // ---- ingest: service principals only, NDJSON body ----
  // A place in the ingest queue as the request arrives (before authentication and the permission
  // check, which answer asynchronously, and before the body is read): batches reach the engine in
  // the order their requests arrived even when a later one gets through those steps first.
  router.post(
    '/ingest',
    async (req, res) => {
      const slot = ingest.reserve();
      // a request that ends without a batch (refused, body too large, bad gzip, client gone) gives its place up
      res.once('close', () => slot.release());
      const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
      const principal = credentials.principal as { type: string; userEntityRef?: string; subject?: string };
      const subject = principal.type === 'user' ? principal.userEntityRef!.toLocaleLowerCase('en-US') : principal.subject ?? 'service';
      rememberActor(res, subject);
      const caller = { userRef: subject, request: req, credentials };
      // the backstop right after authentication, like every route (the NDJSON lines are parsed, not trusted)
      refuseUnsafeInput(req, { body: false });
      if (principal.type === 'user') {
        await refuse(caller, detectionsEventsIngestPermission.name, 'events are ingested by service principals only (a service token), not by users');
      }
      await require(caller, detectionsEventsIngestPermission);
      res.locals.ingest = { caller, slot };
      return 'next';
    },
    express.text({ type: ['application/x-ndjson', 'application/ndjson', 'text/plain'], limit: options.maxIngestBytes }),
    async (req, res) => {
      const { caller, slot } = res.locals.ingest as { caller: Caller; slot: IngestSlot };
      if (typeof req.body !== 'string' || !req.body.trim()) {
        throw new InputError('body: send NDJSON lines with Content-Type application/x-ndjson (or text/plain)');
      }
      const text = req.body;
      const result = await alerts.audited('events-ingest', 'low', caller, { bytes: text.length }, () => ingest.ingest(text, slot), r => ({
        accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected.length, detections: r.detections, alertsOpened: r.alertsOpened, alertsUpdated: r.alertsUpdated,
      }));
      res.json(result);
    },
  );

  router.use(express.json({ limit: '64kb' }));

  // ---- alerts ----
  router.get('/alerts', async (req, res) => {
    const caller = await userOf(req);
    await require(caller, detectionsAlertReadPermission);
    const q = parse(listAlertsQuerySchema, req.query);
    res.json(await alerts.list({ ...q, after: q.cursor ? decodeCursor<string>(q.cursor, 'string') : undefined }));
  });

  router.get('/alerts/:id', async (req, res) => {
    const caller = await userOf(req);
    const id = idOf(req, 'alert');
    await require(caller, detectionsAlertReadPermission, id);
    res.json({ alert: await alerts.get(id) });
  });

  router.get('/alerts/:id/events', async (req, res) => {
    const caller = await userOf(req);
    const id = idOf(req, 'alert');
    await require(caller, detectionsAlertReadPermission, id);
    await require(caller, detectionsEventReadPermission);
    const q = parse(alertEventsQuerySchema, req.query);
    res.json(await alerts.events(id, q.limit, q.cursor ? decodeCursor<number>(q.cursor, 'number') : undefined));
  });

  const triage = (path: string, toAction: (body: any) => TriageAction, schema: z.ZodType) =>
    router.post(`/alerts/:id/${path}`, async (req, res) => {
      const caller = await userOf(req);
      const id = idOf(req, 'alert');
      await require(caller, detectionsAlertTriagePermission);
      const body = parse(schema, req.body);
      res.json({ alert: await alerts.triage(caller, id, toAction(body)) });
    });
  triage('acknowledge', b => ({ action: 'acknowledge', comment: b.comment || undefined }), acknowledgeBodySchema);
  triage('assign', b => ({ action: 'assign', assignee: b.assignee }), assignBodySchema);
  triage('notes', b => ({ action: 'note', text: b.text }), noteBodySchema);
  triage('close', b => ({ action: 'close', reason: b.reason, comment: b.comment }), closeBodySchema);
  triage('reopen', b => ({ action: 'reopen', comment: b.comment }), reopenBodySchema);

  router.get('/alerts/:id/grants', async (req, res) => {
    const caller = await userOf(req);
    const id = idOf(req, 'alert');
    await require(caller, detectionsAlertRevokePermission);
    res.json({ items: await alerts.grantsFor(id) });
  });

  router.post('/alerts/:id/revoke-grants', async (req, res) => {
    const caller = await userOf(req);
    const id = idOf(req, 'alert');
    await require(caller, detectionsAlertRevokePermission);
    const body = parse(revokeGrantsBodySchema, req.body);
    res.json(await alerts.revokeGrants(caller, id, body.reason));
  });

  // ---- events, dashboard, rules ----
  router.get('/events', async (req, res) => {
    const caller = await userOf(req);
    await require(caller, detectionsEventReadPermission);
    const q = parse(listEventsQuerySchema, req.query);
    res.json(await queries.events(q));
  });

  router.get('/events/:id', async (req, res) => {
    const caller = await userOf(req);
    const id = idOf(req, 'event');
    await require(caller, detectionsEventReadPermission);
    res.json({ event: await queries.event(id) });
  });

  router.get('/dashboard', async (req, res) => {
    const caller = await userOf(req);
    await require(caller, detectionsEventReadPermission);
    await require(caller, detectionsAlertReadPermission);
    const q = parse(dashboardQuerySchema, req.query);
    res.json(await queries.dashboard(q));
  });

  router.get('/rules', async (req, res) => {
    const caller = await userOf(req);
    await require(caller, detectionsEventReadPermission);
    res.json({ items: queries.rules() });
  });

  router.use(endAbandonedRequests());
  router.use(auditRefusals(auditor));
  return router;
}
