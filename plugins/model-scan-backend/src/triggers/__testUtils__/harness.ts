import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { mockServices } from '@backstage/backend-test-utils';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { recordingAuditor } from '@internal/test-stand-ins';
import { createTriggersRouter, TriggersRouterOptions } from '../router';
import type { Scan, ScanServiceLike } from '../types';

type Verdict = 'safe' | 'suspicious' | 'malicious' | 'error';

/**
 * Stand-in for the ScanService (a unit-test double: the real one lives in ../../service).
 * Judges a file by its bytes: containing "MALICIOUS" → malicious, "SUSPICIOUS" → suspicious.
 */
export class FakeScanService implements ScanServiceLike {
  readonly enqueued: Array<Parameters<ScanServiceLike['enqueue']>[0]> = [];
  readonly scannedFiles: Array<
    Parameters<ScanServiceLike['scanLocalFile']>[0] & { content: Buffer }
  > = [];
  readonly listeners: Array<(scan: Scan) => Promise<void> | void> = [];
  acceptedUntil?: string;
  failEnqueue = false;
  private n = 0;

  async enqueue(req: Parameters<ScanServiceLike['enqueue']>[0]): Promise<Scan> {
    if (this.failEnqueue) throw new Error('database down');
    this.enqueued.push(req);
    return this.scan(req.target, req.trigger, req.requestedBy, 'queued');
  }

  async scanLocalFile(input: Parameters<ScanServiceLike['scanLocalFile']>[0]) {
    const content = await fs.promises.readFile(input.path);
    this.scannedFiles.push({ ...input, content });
    const text = content.toString('latin1');
    let verdict: Verdict = 'safe';
    if (text.includes('MALICIOUS')) verdict = 'malicious';
    else if (text.includes('SUSPICIOUS')) verdict = 'suspicious';
    const scan = {
      ...this.scan(input.target, 'download', input.requestedBy, 'completed'),
      verdict,
    };
    return {
      scan,
      file: {
        verdict,
        sha256: crypto.createHash('sha256').update(content).digest('hex'),
        findings: [],
        acceptedUntil:
          verdict === 'suspicious' ? this.acceptedUntil : undefined,
      },
    };
  }

  onScanCompleted(listener: (scan: Scan) => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  async complete(scan: Scan) {
    for (const l of this.listeners) await l(scan);
  }

  scan(
    target: string,
    trigger: Scan['trigger'],
    requestedBy: string,
    status: Scan['status'],
  ): Scan {
    this.n++;
    return {
      id: `scan-${this.n}`,
      target,
      trigger,
      status,
      requestedBy,
      createdAt: new Date(0).toISOString(),
    };
  }
}

/** Serves the triggers router over real HTTP, with Backstage's error middleware behind it. */
export async function startTriggersApp(
  modelScan: Record<string, unknown>,
  extra: Partial<TriggersRouterOptions> = {},
) {
  const scanService = new FakeScanService();
  const auditor = recordingAuditor();
  const config = new ConfigReader({ modelScan: modelScan as JsonObject });
  const logger = mockServices.logger.mock();
  const router = await createTriggersRouter({
    scanService,
    config,
    logger,
    auditor,
    sourceResolver: {
      resolve: async () => ({ files: [], cleanup: async () => {} }),
    },
    ...extra,
  });
  const app = express();
  app.use('/api/model-scan', router);
  app.use(MiddlewareFactory.create({ config, logger }).error());
  const server = http.createServer(app);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${
    (server.address() as AddressInfo).port
  }/api/model-scan`;
  return {
    url,
    scanService,
    auditor,
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The webhook secret the MLflow deliveries below are signed with. */
export const MLFLOW_SECRET = 'mlflow-webhook-secret';

/** Headers of an MLflow webhook delivery of `body`, signed as MLflow does (HMAC-SHA256 of id.timestamp.body). */
export function mlflowDelivery(
  body: string,
  opts: { secret?: string; ts?: number; id?: string } = {},
) {
  const id = opts.id ?? crypto.randomUUID();
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const sig = crypto
    .createHmac('sha256', opts.secret ?? MLFLOW_SECRET)
    .update(`${id}.${ts}.${body}`)
    .digest('base64');
  return {
    'Content-Type': 'application/json',
    'X-MLflow-Delivery-Id': id,
    'X-MLflow-Timestamp': ts,
    'X-MLflow-Signature': `v1,${sig}`,
  };
}
