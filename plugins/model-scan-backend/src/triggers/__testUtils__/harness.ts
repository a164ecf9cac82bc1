import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import type { AuditorService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { mockServices } from '@backstage/backend-test-utils';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
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

export interface RecordedAuditEvent {
  eventId: string;
  severityLevel?: string;
  meta?: unknown;
  outcome?: 'success' | 'fail';
  resultMeta?: unknown;
  error?: string;
}

export function recordingAuditor(): AuditorService & {
  events: RecordedAuditEvent[];
} {
  const events: RecordedAuditEvent[] = [];
  return {
    events,
    async createEvent(options) {
      const ev: RecordedAuditEvent = {
        eventId: options.eventId,
        severityLevel: options.severityLevel,
        meta: options.meta,
      };
      events.push(ev);
      return {
        async success(o) {
          ev.outcome = 'success';
          ev.resultMeta = o?.meta;
        },
        async fail(o) {
          ev.outcome = 'fail';
          ev.resultMeta = o.meta;
          ev.error = String(o.error?.message ?? o.error);
        },
      };
    },
  };
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
