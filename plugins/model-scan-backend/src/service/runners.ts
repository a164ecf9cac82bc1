/**
 * Which runner scans a file: the in-process worker threads (default), a runner set through the
 * `modelScanRunnerExtensionPoint` (plugins/model-scan-node), or Kubernetes Jobs from config
 * (`modelScan.runner`), optionally only for files of at least `minBytes` (large files; smaller
 * ones stay in-process).
 */
import { stat } from 'node:fs/promises';
import { Config } from '@backstage/config';
import {
  AzureBlobJobStaging,
  KubernetesJobScanRunner,
  ScanRunner,
} from '@internal/plugin-model-scan-node';
import type {
  KubernetesJobRunnerOptions,
  ScanRunnerOptions,
} from '@internal/plugin-model-scan-node';
import type { Config as DeclaredConfig } from '../../config';
import { credentialFor } from '../sources/azure';
import type { EngineScanOptions, ScanEngine } from './ScanEngine';
import type { UploadStorageConfig } from './config';

type JobOptions = KubernetesJobRunnerOptions;

/**
 * `modelScan.runner.kubernetes` as read from config: the node package's Job runner options
 * (one definition, plugins/model-scan-node/src/kubernetes.ts) flattened as config.d.ts declares
 * them (cluster and resources fields at the top level), plus when a file runs as a Job.
 */
export type KubernetesRunnerConfig = JobOptions['cluster'] &
  NonNullable<JobOptions['resources']> &
  Pick<
    JobOptions,
    | 'namespace'
    | 'image'
    | 'command'
    | 'runtimeClassName'
    | 'timeoutSeconds'
    | 'egressCidrs'
  > & {
    /** Files smaller than this stay in-process. Default 0 (every file runs as a Job). */
    minBytes: number;
    /** Origins whose files always run as Jobs, whatever their size (e.g. `remote`, `upload`). */
    alwaysFor: Array<NonNullable<ScanRunnerOptions['origin']>>;
  };

/**
 * config.d.ts is a plain declaration file (read by the config loader) and cannot import the
 * type above; this alias fails to compile when the two drift apart.
 */
type DeclaredKubernetesConfig = NonNullable<
  NonNullable<NonNullable<DeclaredConfig['modelScan']>['runner']>['kubernetes']
>;
type Assignable<T extends U, U> = T;
export type DeclaredRunnerConfigMatches = Assignable<
  DeclaredKubernetesConfig,
  Omit<KubernetesRunnerConfig, 'minBytes' | 'alwaysFor'> &
    Partial<Pick<KubernetesRunnerConfig, 'minBytes' | 'alwaysFor'>>
>;

/** `modelScan.runner` (see config.d.ts); undefined for the in-process default. */
export function readRunnerConfig(
  root: Config,
): KubernetesRunnerConfig | undefined {
  const c = root.getOptionalConfig('modelScan.runner');
  const type = c?.getOptionalString('type') ?? 'in-process';
  if (type === 'in-process') return undefined;
  if (type !== 'kubernetes')
    throw new Error(
      `modelScan.runner.type must be in-process or kubernetes, got ${type}`,
    );
  const k = c!.getConfig('kubernetes');
  const egressCidrs = k.getStringArray('egressCidrs');
  if (!egressCidrs.length)
    throw new Error(
      'modelScan.runner.kubernetes.egressCidrs must name the blob storage endpoint range(s)',
    );
  return {
    url: k.getString('url'),
    token: k.getOptionalString('token'),
    tokenFile: k.getOptionalString('tokenFile'),
    caData: k.getOptionalString('caData'),
    skipTLSVerify: k.getOptionalBoolean('skipTLSVerify'),
    namespace: k.getString('namespace'),
    image: k.getString('image'),
    command: k.getOptionalStringArray('command'),
    runtimeClassName: k.getOptionalString('runtimeClassName'),
    cpu: k.getOptionalString('cpu'),
    memory: k.getOptionalString('memory'),
    ephemeralStorage: k.getOptionalString('ephemeralStorage'),
    timeoutSeconds: k.getOptionalNumber('timeoutSeconds'),
    egressCidrs,
    minBytes: k.getOptionalNumber('minBytes') ?? 0,
    alwaysFor: (k.getOptionalStringArray('alwaysFor') ?? []).map(o => {
      if (o !== 'upload' && o !== 'remote' && o !== 'local')
        throw new Error(
          `modelScan.runner.kubernetes.alwaysFor entries must be upload, remote or local, got ${o}`,
        );
      return o;
    }),
  };
}

/** The Kubernetes Job runner, staging through the shared upload container. */
export async function kubernetesRunner(
  k: KubernetesRunnerConfig,
  storage: UploadStorageConfig,
  inProcess: ScanEngine,
): Promise<KubernetesJobScanRunner> {
  if (storage.type !== 'azure-blob')
    throw new Error(
      'modelScan.runner.type kubernetes needs modelScan.uploads.storage.type azure-blob (the Job reads its input from there)',
    );
  return new KubernetesJobScanRunner({
    cluster: {
      url: k.url,
      token: k.token,
      tokenFile: k.tokenFile,
      caData: k.caData,
      skipTLSVerify: k.skipTLSVerify,
    },
    namespace: k.namespace,
    image: k.image,
    command: k.command,
    runtimeClassName: k.runtimeClassName,
    resources: {
      cpu: k.cpu,
      memory: k.memory,
      ephemeralStorage: k.ephemeralStorage,
    },
    timeoutSeconds: k.timeoutSeconds,
    egressCidrs: k.egressCidrs,
    staging: new AzureBlobJobStaging({
      endpoint: storage.endpoint,
      container: storage.container,
      credential: credentialFor(storage),
    }),
    // the image is built from this repository: same scanner and ruleset as the in-process engine
    identity: await inProcess.identity(),
  });
}

/**
 * Files of at least `minBytes`, and every file of an `isolatedOrigins` origin (untrusted sources),
 * go to the isolated runner; the rest stay in-process.
 */
export class SizeRoutedEngine implements ScanEngine {
  constructor(
    private readonly small: ScanEngine,
    private readonly large: ScanRunner,
    private readonly minBytes: number,
    private readonly isolatedOrigins: ReadonlyArray<string> = [],
  ) {}

  identity() {
    return this.small.identity();
  }

  async scanFile(path: string, options?: EngineScanOptions) {
    const { size } = await stat(path);
    const isolate =
      size >= this.minBytes ||
      (options?.origin !== undefined &&
        this.isolatedOrigins.includes(options.origin));
    return isolate
      ? this.large.scanFile(path, options)
      : this.small.scanFile(path, options);
  }
}
