import path from 'node:path';
import express, { Request, Response } from 'express';
import Router from 'express-promise-router';
import type {
  AuditorService,
  CacheService,
  HttpAuthService,
  HttpRouterService,
  LoggerService,
  PermissionsService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  createRegistryClients,
  HuggingFaceHubClient,
  readSourcesConfig,
  SourceResolver,
} from '../sources';
import { readTriggerSettings } from './config';
import { createHfProxyRouter } from './hfProxy';
import {
  CacheReplayStore,
  InMemoryReplayStore,
  WebhookReplayStore,
} from './replayStore';
import {
  databricksIntent,
  huggingFaceIntent,
  mlflowIntent,
  verifyDatabricksDelivery,
  verifyHuggingFaceDelivery,
  verifyMlflowDelivery,
  Verification,
  WebhookIntent,
} from './webhooks';
import { createVerdictWriteBack } from './writeBack';
import type { Clock, ScanServiceLike } from './types';

export interface TriggersRouterOptions {
  scanService: ScanServiceLike;
  config: Config;
  logger: LoggerService;
  auditor: AuditorService;
  catalog?: CatalogService;
  scheduler?: SchedulerService;
  sourceResolver: SourceResolver;
  /** Used to record who downloaded through the Hugging Face proxy. */
  httpAuth?: HttpAuthService;
  /** With httpAuth: the hub proxy requires model-scan.scan.create (a download starts a scan). */
  permissions?: PermissionsService;
  /** Shared cache for webhook replay protection across replicas (coreServices.cache). */
  cache?: CacheService;
  /**
   * The replay store. The plugin passes a {@link DatabaseReplayStore} (shared by every
   * replica); without one, `cache` or an in-process store is used (tests, single replica).
   */
  replayStore?: WebhookReplayStore;
  clock?: Clock;
}

type WebhookSource = 'mlflow' | 'databricks' | 'huggingface';

/** Webhook routes are unauthenticated (they verify signatures); the hub proxy is not. */
export function registerTriggerAuthPolicies(
  httpRouter: HttpRouterService,
): void {
  httpRouter.addAuthPolicy({ path: '/webhooks', allow: 'unauthenticated' });
}

/**
 * Routes of the scan triggers, to mount at the root of the model-scan router BEFORE any
 * body parser (webhook signatures are checked over the raw bytes):
 * - `POST /webhooks/mlflow | /webhooks/databricks | /webhooks/huggingface`
 * - `GET /hf/api/models/...`, `HEAD|GET /hf/<repo>/resolve/<rev>/<file>` (scan on download)
 * It also registers the verdict write-back on `scanService.onScanCompleted`.
 */
export async function createTriggersRouter(
  opts: TriggersRouterOptions,
): Promise<express.Router> {
  const { scanService, auditor } = opts;
  const logger = opts.logger.child({ component: 'model-scan-triggers' });
  const clock = opts.clock ?? { now: () => new Date() };
  const sources = readSourcesConfig(opts.config);
  const settings = readTriggerSettings(opts.config);
  const replayStore =
    opts.replayStore ??
    (opts.cache ? new CacheReplayStore(opts.cache) : new InMemoryReplayStore());
  const registries = createRegistryClients(sources);

  scanService.onScanCompleted(
    createVerdictWriteBack({
      clients: registries,
      enabled: settings.writeBack,
      logger,
      clock,
    }),
  );

  const router = Router();
  const wh = settings.webhooks;

  const verify = (
    source: WebhookSource,
    req: Request,
    rawBody: Buffer,
  ): Verification | undefined => {
    const nowMs = clock.now().getTime();
    switch (source) {
      case 'mlflow':
        return wh.mlflowSecret
          ? verifyMlflowDelivery({
              secret: wh.mlflowSecret,
              headers: req.headers,
              rawBody,
              nowMs,
              maxAgeSeconds: wh.maxAgeSeconds,
            })
          : undefined;
      case 'databricks':
        return wh.databricksSecret
          ? verifyDatabricksDelivery({
              secret: wh.databricksSecret,
              headers: req.headers,
              rawBody,
              nowMs,
              maxAgeSeconds: wh.maxAgeSeconds,
            })
          : undefined;
      case 'huggingface':
        return wh.huggingFaceSecret
          ? verifyHuggingFaceDelivery({
              secret: wh.huggingFaceSecret,
              headers: req.headers,
              rawBody,
            })
          : undefined;
      default:
        return undefined;
    }
  };

  const intentOf = (source: WebhookSource, payload: unknown): WebhookIntent => {
    if (source === 'mlflow') return mlflowIntent(payload);
    if (source === 'databricks') return databricksIntent(payload);
    return huggingFaceIntent(payload, wh.huggingFaceRefs);
  };

  const refuse = (
    res: Response,
    status: number,
    name: string,
    message: string,
  ) => res.status(status).json({ error: { name, message } });

  router.post(
    '/webhooks/:source',
    express.raw({ type: () => true, limit: wh.maxBodyBytes }),
    async (req, res) => {
      const source = req.params.source as WebhookSource;
      // Audited without `request`: the caller has no Backstage credentials to resolve.
      const event = await auditor.createEvent({
        eventId: 'webhook-delivery',
        severityLevel: 'medium',
        meta: {
          source: source.slice(0, 64),
          ip: req.ip ?? null,
          userAgent: req.get('user-agent') ?? null,
        },
      });
      const fail = async (status: number, name: string, message: string) => {
        await event.fail({
          error: Object.assign(new Error(message), { name }),
          meta: { status },
        });
        logger.warn(`Refused ${source} webhook delivery: ${message}`);
        return refuse(res, status, name, message);
      };
      if (!['mlflow', 'databricks', 'huggingface'].includes(source)) {
        return fail(404, 'NotFoundError', `Unknown webhook source ${source}`);
      }
      if (!Buffer.isBuffer(req.body)) {
        // a JSON parser ran before this router: signatures cannot be checked
        return fail(
          500,
          'Error',
          'Raw request body unavailable; mount the triggers router before any body parser',
        );
      }
      const rawBody = req.body;
      const verification = verify(source, req, rawBody);
      if (!verification) {
        return fail(
          404,
          'NotFoundError',
          `No secret configured for ${source} webhooks (modelScan.webhooks.${source}.secret)`,
        );
      }
      if (!verification.ok) {
        return fail(
          verification.status,
          verification.status === 401 ? 'AuthenticationError' : 'InputError',
          verification.reason,
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return fail(400, 'InputError', 'Webhook body is not JSON');
      }
      if (
        !(await replayStore.remember(
          verification.replayKey,
          wh.replayTtlSeconds * 1000,
        ))
      ) {
        return fail(
          409,
          'ConflictError',
          'Delivery already received (replay refused)',
        );
      }
      const intent = intentOf(source, payload);
      if (intent.targets.length === 0) {
        await event.success({
          meta: { event: intent.event, ignored: intent.ignoredReason ?? null },
        });
        return res.status(200).json({
          accepted: true,
          event: intent.event,
          ignored: intent.ignoredReason,
        });
      }
      const scans: Array<{ id: string; target: string }> = [];
      try {
        for (const target of intent.targets) {
          const scan = await scanService.enqueue({
            target,
            trigger: 'webhook',
            requestedBy: `webhook:${source}`,
          });
          scans.push({ id: scan.id, target });
        }
      } catch (e) {
        // let the sender's retry through
        await replayStore.forget(verification.replayKey);
        await event.fail({
          error: e as Error,
          meta: { event: intent.event, targets: intent.targets },
        });
        throw e;
      }
      await event.success({ meta: { event: intent.event, scans } });
      logger.info(
        `${source} webhook ${intent.event} queued ${scans
          .map(s => s.target)
          .join(', ')}`,
      );
      return res
        .status(202)
        .json({ accepted: true, event: intent.event, scans });
    },
  );

  if (settings.hfProxy.enabled) {
    router.use(
      createHfProxyRouter({
        hub: new HuggingFaceHubClient(
          sources.huggingFace,
          sources.requestTimeoutMs,
        ),
        scanService,
        auditor,
        logger,
        httpAuth: opts.httpAuth,
        permissions: opts.permissions,
        cacheDir: path.join(sources.workDir, 'hf-cache'),
        cacheMaxBytes: settings.hfProxy.cacheMaxBytes,
        maxDownloadBytes: sources.maxDownloadBytes,
        timeoutMs: sources.requestTimeoutMs,
        allowUpstreamAuthorizationHeader:
          settings.hfProxy.allowUpstreamAuthorizationHeader,
        clock,
      }),
    );
  }
  return router;
}
