import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { EntityLookup, checkEntityRef } from '@internal/input-validation';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { hasBom, scanBom } from './domain/bom';
import { BasicPermission } from '@backstage/plugin-permission-common';
import {
  createAcceptanceRequestSchema,
  createScanRequestSchema,
  describeZodError,
  entityRefSchema,
  gateQuerySchema,
  isModelEntity,
  listScansQuerySchema,
  modelScanCreatePermission,
  modelScanGateReadPermission,
  modelScanReadPermission,
  modelScanRescanPermission,
  modelScanVerdictAcceptPermission,
  ModelEntityLike,
  reviewRequestSchema,
  statsQuerySchema,
} from '@internal/plugin-model-scan-common';
import { Clock, ScanService } from './service/ScanService';
import { UploadReceiver } from './service/UploadReceiver';
import { uploadTarget } from './domain/targets';
import { authorizeRequest, principalRef } from './authorization';
import { auditRefusals, endAbandonedRequests, markAudited, refuseUnsafeInput, rememberActor } from '@internal/backend-input-guard';

const uploadFieldsSchema = z.object({
  entityRef: z.preprocess(
    v => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    entityRefSchema.optional(),
  ),
});

export interface RouterOptions {
  scanService: ScanService;
  uploads: UploadReceiver;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  clock: Clock;
  /** Routers mounted at the root before this plugin's own routes (the triggers: they read raw bodies). */
  extraRouters?: express.Router[];
  /**
   * The catalog: an `entityRef` a client sends must name an entity that exists and that the
   * caller may see (looked up with the caller's credentials). Without it refs are only parsed.
   */
  catalog?: EntityLookup<BackstageCredentials>;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InputError(describeZodError(result.error));
  }
  return result.data;
}

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { scanService, uploads, httpAuth, permissions, auditor, clock } =
    options;
  const router = Router();
  for (const extra of options.extraRouters ?? []) {
    router.use(extra);
  }

  /** Authenticates and authorizes, then refuses unsafe characters anywhere in the request. */
  const authorize = async (req: express.Request, permission: BasicPermission) => {
    const credentials = await authorizeRequest({ httpAuth, permissions }, req, permission).catch(error => {
      // a refused caller is still named in the refusal's audit event
      if ((error as Error)?.name === 'NotAllowedError') {
        return httpAuth.credentials(req).then(c => {
          rememberActor(req.res!, principalRef(c));
          throw error;
        });
      }
      throw error;
    });
    rememberActor(req.res!, principalRef(credentials));
    refuseUnsafeInput(req);
    return credentials;
  };

  /**
   * Parses a client's entity ref and checks it names a model entity (`isModelEntity`) the caller
   * may see: 400 when malformed or not a model, 404 when missing or hidden from the caller.
   */
  const visibleEntityRef = async (raw: string | undefined, credentials: BackstageCredentials) => {
    if (raw === undefined || !options.catalog) return raw;
    const checked = await checkEntityRef<BackstageCredentials, ModelEntityLike>(options.catalog, raw, credentials, { field: 'entityRef' });
    if (!checked.ok) {
      throw checked.status === 404 ? new NotFoundError(checked.message) : new InputError(checked.message);
    }
    if (!isModelEntity(checked.entity)) {
      throw new InputError(
        `entityRef: ${checked.ref} is not a model (a Component of type model, a Resource of type weight-store, or an entity with a model source)`,
      );
    }
    return checked.ref;
  };

  router.post('/scans', express.json({ limit: '64kb' }), async (req, res) => {
    const event = await auditor.createEvent({
      eventId: 'scan-create',
      severityLevel: 'medium',
      request: req,
      meta: { actionType: 'create' },
    });
    try {
      const credentials = await authorize(req, modelScanCreatePermission);
      const body = parse(createScanRequestSchema, req.body);
      const entityRef = await visibleEntityRef(body.entityRef, credentials);
      const scan = await scanService.enqueue({
        target: body.target,
        entityRef,
        trigger: 'manual',
        requestedBy: principalRef(credentials),
      });
      await event.success({ meta: { scanId: scan.id, target: scan.target } });
      res.status(202).json({ scan });
    } catch (error) {
      await event.fail({ error: error as Error });
      throw markAudited(error);
    }
  });

  router.post('/scans/upload', async (req, res) => {
    const event = await auditor.createEvent({
      eventId: 'scan-create',
      severityLevel: 'medium',
      request: req,
      meta: { actionType: 'upload' },
    });
    try {
      const credentials = await authorize(req, modelScanCreatePermission);
      const upload = await uploads.receive(req);
      const fields = uploadFieldsSchema.safeParse(upload.fields);
      if (!fields.success) {
        await upload.discard();
        throw new InputError(describeZodError(fields.error));
      }
      let entityRef: string | undefined;
      try {
        entityRef = await visibleEntityRef(fields.data.entityRef, credentials);
      } catch (error) {
        await upload.discard();
        throw error;
      }
      const scan = await scanService.enqueue({
        target: uploadTarget(upload.sha256, upload.name),
        entityRef,
        trigger: 'upload',
        requestedBy: principalRef(credentials),
        uploadedFile: { name: upload.name, path: upload.path },
      });
      await event.success({
        meta: { scanId: scan.id, target: scan.target, size: upload.size },
      });
      res.status(202).json({ scan });
    } catch (error) {
      await event.fail({ error: error as Error });
      throw markAudited(error);
    }
  });

  router.get('/scans', async (req, res) => {
    await authorize(req, modelScanReadPermission);
    const query = parse(listScansQuerySchema, req.query);
    res.json(await scanService.listScans(query));
  });

  router.get('/scans/:id', async (req, res) => {
    await authorize(req, modelScanReadPermission);
    const scan = await scanService.getScan(req.params.id);
    if (!scan) throw new NotFoundError(`No scan with id ${req.params.id}`);
    res.json({ scan });
  });

  // CycloneDX 1.6 ML-BOM of a finished scan: same read rule as the scan itself
  router.get('/scans/:id/bom', async (req, res) => {
    await authorize(req, modelScanReadPermission);
    const scan = await scanService.getScan(req.params.id);
    if (!scan) throw new NotFoundError(`No scan with id ${req.params.id}`);
    if (!hasBom(scan))
      throw new ConflictError(
        `Scan ${req.params.id} is ${scan.status}; its bill of materials exists once it has completed`,
      );
    // attachment() sets a type from the file name: the CycloneDX media type comes after it
    res
      .attachment(`model-scan-${scan.id}.cdx.json`)
      .type('application/vnd.cyclonedx+json; version=1.6')
      .send(JSON.stringify(scanBom(scan), null, 2));
  });

  // "Ask for review": the scan's requester asks the security reviewers to look at a flagged scan
  router.post('/scans/:id/review-request', express.json({ limit: '64kb' }), async (req, res) => {
    const event = await auditor.createEvent({
      eventId: 'scan-review-request',
      severityLevel: 'medium',
      request: req,
      meta: { actionType: 'create', scanId: req.params.id },
    });
    try {
      const credentials = await authorize(req, modelScanReadPermission);
      const body = parse(reviewRequestSchema, req.body);
      const scan = await scanService.requestReview(req.params.id, principalRef(credentials), body.note);
      await event.success({ meta: { scanId: scan.id, target: scan.target, verdict: scan.verdict ?? null } });
      res.json({ scan });
    } catch (error) {
      await event.fail({ error: error as Error });
      throw markAudited(error);
    }
  });

  router.post('/scans/:id/rescan', async (req, res) => {
    const event = await auditor.createEvent({
      eventId: 'scan-rescan',
      severityLevel: 'medium',
      request: req,
      meta: { actionType: 'rescan', previousScanId: req.params.id },
    });
    try {
      const credentials = await authorize(req, modelScanRescanPermission);
      const scan = await scanService.rescan(
        req.params.id,
        principalRef(credentials),
      );
      await event.success({ meta: { scanId: scan.id, target: scan.target } });
      res.status(202).json({ scan });
    } catch (error) {
      await event.fail({ error: error as Error });
      throw markAudited(error);
    }
  });

  router.get('/stats', async (req, res) => {
    await authorize(req, modelScanReadPermission);
    const query = parse(statsQuerySchema, req.query);
    res.json(await scanService.getStats(query.days));
  });

  router.post(
    '/acceptances',
    express.json({ limit: '64kb' }),
    async (req, res) => {
      const event = await auditor.createEvent({
        eventId: 'verdict-accept',
        severityLevel: 'high',
        request: req,
        meta: {
          actionType: 'create',
          sha256: typeof req.body?.sha256 === 'string' ? req.body.sha256 : null,
        },
      });
      try {
        const credentials = await authorize(
          req,
          modelScanVerdictAcceptPermission,
        );
        const body = parse(createAcceptanceRequestSchema, req.body);
        // an acceptance is an exception request to FG-MODEL-SCAN for this hash (policy-exceptions);
        // another security reviewer approves it there
        const result = await scanService.acceptVerdict({
          ...body,
          acceptedBy: principalRef(credentials),
          credentials,
        });
        await event.success({
          meta: {
            acceptanceId: result.acceptance?.id ?? null,
            exceptionId: result.exception?.id ?? null,
            sha256: body.sha256,
            expiresAt: body.expiresAt,
          },
        });
        res.status(201).json(result);
      } catch (error) {
        await event.fail({ error: error as Error });
        throw markAudited(error);
      }
    },
  );

  router.get('/acceptances', async (req, res) => {
    await authorize(req, modelScanReadPermission);
    res.json({ items: await scanService.listAcceptances() });
  });

  // The current scanner's verdict of one exact file: policy-exceptions checks it before a
  // model-file exception is requested or approved (suspicious only, never malicious).
  router.get('/verdicts/:sha256', async (req, res) => {
    await authorize(req, modelScanReadPermission);
    const sha256 = String(req.params.sha256).toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new InputError('sha256: must be 64 hexadecimal characters');
    res.json({ sha256, verdict: (await scanService.currentVerdictOf(sha256)) ?? null });
  });

  router.get('/gate', async (req, res) => {
    const event = await auditor.createEvent({
      eventId: 'gate-decision',
      severityLevel: 'medium',
      request: req,
      meta: {
        queryType: 'gate',
        target: typeof req.query.target === 'string' ? req.query.target : null,
      },
    });
    try {
      await authorize(req, modelScanGateReadPermission);
      const query = parse(gateQuerySchema, req.query);
      const decision = await scanService.evaluateGate(
        query.target,
        clock.now(),
      );
      await event.success({
        meta: {
          allowed: decision.allowed,
          scanId: decision.scanId ?? null,
          reasons: decision.reasons.slice(0, 20),
        },
      });
      res.json(decision);
    } catch (error) {
      await event.fail({ error: error as Error });
      throw markAudited(error);
    }
  });

  // every refusal not audited by its route's own event (403 on reads; see refusals.ts)
  router.use(endAbandonedRequests());
  router.use(auditRefusals(auditor));

  return router;
}
