import { resolve } from 'node:path';
import { Config } from '@backstage/config';

/** The `modelScan` config with defaults applied (see config.d.ts). */
export interface ModelScanConfig {
  workDir: string;
  maxUploadBytes: number;
  allowLocalPaths: boolean;
  worker: {
    concurrency: number;
    timeoutSeconds: number;
    maxOldGenerationSizeMb: number;
    pollSeconds: number;
    leaseSeconds: number;
  };
  clamd?: { socket?: string; host?: string; port?: number };
  acceptance: { maxDays: number };
  uploads: { retentionDays: number };
}

export function readModelScanConfig(root: Config): ModelScanConfig {
  const c = root.getOptionalConfig('modelScan');
  const clamd = c?.getOptionalConfig('clamd');
  const retentionDays = c?.getOptionalNumber('uploads.retentionDays') ?? 30;
  if (!(retentionDays > 0)) {
    throw new Error(
      `modelScan.uploads.retentionDays must be a positive number of days, got ${retentionDays}`,
    );
  }
  return {
    workDir: resolve(c?.getOptionalString('workDir') ?? './data/model-scan'),
    maxUploadBytes: c?.getOptionalNumber('maxUploadBytes') ?? 5 * 1024 ** 3,
    allowLocalPaths: c?.getOptionalBoolean('allowLocalPaths') ?? false,
    worker: {
      concurrency: c?.getOptionalNumber('worker.concurrency') ?? 2,
      timeoutSeconds: c?.getOptionalNumber('worker.timeoutSeconds') ?? 600,
      maxOldGenerationSizeMb:
        c?.getOptionalNumber('worker.maxOldGenerationSizeMb') ?? 512,
      pollSeconds: c?.getOptionalNumber('worker.pollSeconds') ?? 3,
      leaseSeconds: c?.getOptionalNumber('worker.leaseSeconds') ?? 120,
    },
    clamd: clamd
      ? {
          socket: clamd.getOptionalString('socket'),
          host: clamd.getOptionalString('host'),
          port: clamd.getOptionalNumber('port'),
        }
      : undefined,
    acceptance: {
      maxDays: c?.getOptionalNumber('acceptance.maxDays') ?? 30,
    },
    uploads: {
      retentionDays,
    },
  };
}
