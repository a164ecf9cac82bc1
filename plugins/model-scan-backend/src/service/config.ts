import { resolve } from 'node:path';
import { Config } from '@backstage/config';
import { MODEL_SCAN_APP_MOUNT_PATH } from '@internal/plugin-model-scan-common';

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
  uploads: { retentionDays: number; storage: UploadStorageConfig };
  /** Who hears about suspicious and malicious scans, and where the scan page is. */
  notifications: { reviewerGroup: string; appMountPath: string };
}

/** `modelScan.uploads.storage` (see config.d.ts). */
export type UploadStorageConfig =
  | { type: 'local' }
  | {
      type: 'azure-blob';
      endpoint: string;
      container: string;
      prefix?: string;
      accountName?: string;
      accountKey?: string;
      tenantId?: string;
      clientId?: string;
      clientSecret?: string;
    };

function readUploadStorage(c: Config | undefined): UploadStorageConfig {
  const type = c?.getOptionalString('type') ?? 'local';
  if (type === 'local') return { type };
  if (type !== 'azure-blob') {
    throw new Error(
      `modelScan.uploads.storage.type must be local or azure-blob, got ${type}`,
    );
  }
  return {
    type,
    endpoint: c!.getString('endpoint'),
    container: c!.getString('container'),
    prefix: c!.getOptionalString('prefix'),
    accountName: c!.getOptionalString('accountName'),
    accountKey: c!.getOptionalString('accountKey'),
    tenantId: c!.getOptionalString('tenantId'),
    clientId: c!.getOptionalString('clientId'),
    clientSecret: c!.getOptionalString('clientSecret'),
  };
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
      storage: readUploadStorage(c?.getOptionalConfig('uploads.storage')),
    },
    notifications: {
      reviewerGroup: c?.getOptionalString('notifications.reviewerGroup') ?? 'group:default/security-reviewers',
      appMountPath: c?.getOptionalString('notifications.appMountPath') ?? MODEL_SCAN_APP_MOUNT_PATH,
    },
  };
}
