import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { FileScanResult } from '@internal/plugin-model-scan-common';

/**
 * Which scanner produced a result: the backend caches results per
 * (sha256, scannerVersion, rulesetVersion).
 *
 * @public
 */
export interface ScanRunnerIdentity {
  scannerName: string;
  scannerVersion: string;
  rulesetVersion: string;
}

/** @public */
export interface ScanRunnerOptions {
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Sibling model files that name this file as their raw tensor data (engine `referencedBy`). */
  referencedBy?: string[];
  /** Where the file came from: an `upload`, a `remote` download, a `local` path. */
  origin?: 'upload' | 'remote' | 'local';
  signal?: AbortSignal;
}

/**
 * Runs the model scanner on one file somewhere: in this process's worker threads (the backend's
 * default), or isolated, e.g. as a Kubernetes Job (`KubernetesJobScanRunner`). Never throws for a
 * bad file (that is a verdict), only when the runner itself fails.
 *
 * @public
 */
export interface ScanRunner {
  identity(): Promise<ScanRunnerIdentity>;
  scanFile(
    path: string,
    options?: ScanRunnerOptions,
  ): Promise<FileScanResult & { references?: string[] }>;
}

/**
 * Lets a backend module replace where the model-scan backend runs its scans.
 *
 * @public
 */
export interface ModelScanRunnerExtensionPoint {
  /** Use this runner for every file scan (only one module may set it). */
  setRunner(runner: ScanRunner): void;
}

/** @public */
export const modelScanRunnerExtensionPoint =
  createExtensionPoint<ModelScanRunnerExtensionPoint>({
    id: 'model-scan.runner',
  });
