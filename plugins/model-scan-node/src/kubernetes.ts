import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  V1Job,
  V1NetworkPolicy,
  V1Secret,
} from '@kubernetes/client-node';
import type { FileScanResult } from '@internal/plugin-model-scan-common';
import type {
  ScanRunner,
  ScanRunnerIdentity,
  ScanRunnerOptions,
} from './runner';
import type { JobStaging } from './staging';

/** @public */
export interface KubernetesJobRunnerOptions {
  cluster: {
    /** API server URL. */
    url: string;
    /** Bearer token of the service account that creates Jobs (or read from `tokenFile` on every call). */
    token?: string;
    tokenFile?: string;
    /** Cluster CA (PEM, or base64 PEM as in a kubeconfig). */
    caData?: string;
    skipTLSVerify?: boolean;
  };
  namespace: string;
  /** The scanner image (deploy/model-scanner/Dockerfile). */
  image: string;
  /** Container command. Default `/nodejs/bin/node /scanner/entry.cjs job` (that image's entry point). */
  command?: string[];
  /** e.g. `gvisor` where the cluster has it (RuntimeClass name). */
  runtimeClassName?: string;
  resources?: { cpu?: string; memory?: string; ephemeralStorage?: string };
  /** Hard time limit of one Job (activeDeadlineSeconds). Default 900. */
  timeoutSeconds?: number;
  /**
   * CIDRs the scan pod may reach on TCP 443 (the blob storage endpoint); everything else is
   * denied by a NetworkPolicy created with the Job (DNS to kube-dns stays allowed).
   */
  egressCidrs: string[];
  /** Where the Job reads its input and writes its result. */
  staging: JobStaging;
  /** Identity of the scanner in the image (results are cached per scanner and ruleset version). */
  identity: ScanRunnerIdentity;
  /** How often the Job status is polled. Default 2000 ms. */
  pollMs?: number;
}

const LABEL = 'frontier-guard.io/model-scan-run';
/** The model-scanner image's entry point (deploy/model-scanner) with the `job` command. */
const DEFAULT_COMMAND = ['/nodejs/bin/node', '/scanner/entry.cjs', 'job'];

/**
 * The scanner's own time limit inside a Job of `deadline` seconds (activeDeadlineSeconds): 10% of
 * it (10 s to 60 s) is kept for uploading the result, so a scan that runs out of time still reports.
 */
export function scanTimeLimitSeconds(deadline: number): number {
  const margin = Math.min(60, Math.max(10, Math.round(deadline / 10)));
  return Math.max(1, deadline - margin);
}

function decodeCa(ca: string): string {
  return ca.includes('-----BEGIN')
    ? ca
    : Buffer.from(ca, 'base64').toString('utf8');
}

/** Builds the Job, its Secret and its NetworkPolicy (pure: tested without a cluster). */
export function jobManifests(
  o: Omit<KubernetesJobRunnerOptions, 'staging' | 'identity' | 'cluster'>,
  run: {
    id: string;
    inputUrl: string;
    resultUrl: string;
    fileName: string;
    referencedBy?: string[];
  },
): { secret: V1Secret; job: V1Job; networkPolicy: V1NetworkPolicy } {
  const name = `model-scan-${run.id}`;
  const labels = {
    [LABEL]: run.id,
    'app.kubernetes.io/managed-by': 'frontier-guard',
    'app.kubernetes.io/component': 'model-scan-job',
  };
  const timeout = o.timeoutSeconds ?? 900;
  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: o.namespace, labels },
    type: 'Opaque',
    stringData: {
      MODEL_SCAN_INPUT_URL: run.inputUrl,
      MODEL_SCAN_RESULT_URL: run.resultUrl,
    },
  };
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: timeout,
      ttlSecondsAfterFinished: 300,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          ...(o.runtimeClassName
            ? { runtimeClassName: o.runtimeClassName }
            : {}),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'scan',
              image: o.image,
              command: o.command ?? DEFAULT_COMMAND,
              env: [
                { name: 'MODEL_SCAN_FILE_NAME', value: run.fileName },
                { name: 'TMPDIR', value: '/scratch' },
                // the scan stops with a result (SCAN_TIME_LIMIT) before the deadline kills the pod
                {
                  name: 'MODEL_SCAN_TIME_LIMIT_SECONDS',
                  value: String(scanTimeLimitSeconds(timeout)),
                },
                ...(run.referencedBy?.length
                  ? [
                      {
                        name: 'MODEL_SCAN_REFERENCED_BY',
                        value: JSON.stringify(run.referencedBy),
                      },
                    ]
                  : []),
              ],
              envFrom: [{ secretRef: { name } }],
              securityContext: {
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ['ALL'] },
              },
              resources: {
                limits: {
                  cpu: o.resources?.cpu ?? '2',
                  memory: o.resources?.memory ?? '1Gi',
                  'ephemeral-storage': o.resources?.ephemeralStorage ?? '20Gi',
                },
                requests: {
                  cpu: o.resources?.cpu ?? '2',
                  memory: o.resources?.memory ?? '1Gi',
                },
              },
              volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
            },
          ],
          volumes: [
            {
              name: 'scratch',
              emptyDir: {
                sizeLimit: o.resources?.ephemeralStorage ?? '20Gi',
              },
            },
          ],
        },
      },
    },
  };
  const networkPolicy: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      podSelector: { matchLabels: { [LABEL]: run.id } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        {
          to: o.egressCidrs.map(cidr => ({ ipBlock: { cidr } })),
          ports: [{ protocol: 'TCP', port: 443 }],
        },
        {
          to: [
            {
              namespaceSelector: {},
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  };
  return { secret, job, networkPolicy };
}

function errorResult(
  path: string,
  size: number,
  message: string,
): FileScanResult {
  return {
    path,
    sha256: '',
    size,
    format: 'unknown',
    verdict: 'error',
    severity: 'none',
    findings: [],
    errors: [message],
  };
}

/**
 * Runs each file scan as a Kubernetes Job: the file is staged (blob storage), a Secret holds the
 * run's two URLs, a NetworkPolicy leaves the pod only the blob endpoint, and the Job runs the
 * scanner image's `model-scan job` with no service account token, a read-only root file system,
 * dropped capabilities, CPU/memory/time limits and the configured RuntimeClass (gVisor). The
 * result comes back through the run's write-only result URL. Everything is deleted afterwards.
 *
 * @public
 */
export class KubernetesJobScanRunner implements ScanRunner {
  constructor(private readonly options: KubernetesJobRunnerOptions) {}

  async identity(): Promise<ScanRunnerIdentity> {
    return this.options.identity;
  }

  private clients() {
    const c = this.options.cluster;
    const token =
      c.token ??
      (c.tokenFile ? readFileSync(c.tokenFile, 'utf8').trim() : undefined);
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      {
        name: 'model-scan',
        server: c.url,
        caData: c.caData
          ? Buffer.from(decodeCa(c.caData)).toString('base64')
          : undefined,
        skipTLSVerify: c.skipTLSVerify ?? false,
      },
      { name: 'model-scan', token },
    );
    return {
      batch: kc.makeApiClient(BatchV1Api),
      core: kc.makeApiClient(CoreV1Api),
      net: kc.makeApiClient(NetworkingV1Api),
    };
  }

  async scanFile(
    path: string,
    options: ScanRunnerOptions = {},
  ): Promise<FileScanResult & { references?: string[] }> {
    const o = this.options;
    const size = statSync(path).size;
    const id = randomUUID();
    const timeoutMs = (o.timeoutSeconds ?? 900) * 1000;
    const deadline = Date.now() + timeoutMs + 60_000;
    const staged = await o.staging.stage(
      path,
      id,
      new Date(deadline + 300_000),
    );
    const { batch, core, net } = this.clients();
    const { secret, job, networkPolicy } = jobManifests(o, {
      id,
      inputUrl: staged.inputUrl,
      resultUrl: staged.resultUrl,
      fileName: basename(path),
      referencedBy: options.referencedBy,
    });
    const name = job.metadata!.name!;
    const namespace = o.namespace;
    const created: Array<() => Promise<unknown>> = [];
    try {
      await core.createNamespacedSecret({ namespace, body: secret });
      created.push(() => core.deleteNamespacedSecret({ name, namespace }));
      await net.createNamespacedNetworkPolicy({
        namespace,
        body: networkPolicy,
      });
      created.push(() =>
        net.deleteNamespacedNetworkPolicy({ name, namespace }),
      );
      await batch.createNamespacedJob({ namespace, body: job });
      created.push(() =>
        batch.deleteNamespacedJob({
          name,
          namespace,
          propagationPolicy: 'Background',
        }),
      );
      options.onProgress?.(0, size);
      for (;;) {
        if (options.signal?.aborted) throw new Error('scan aborted');
        const current = await batch.readNamespacedJob({ name, namespace });
        const st = current.status ?? {};
        if ((st.succeeded ?? 0) > 0) break;
        const failed = (st.conditions ?? []).find(
          c => c.type === 'Failed' && c.status === 'True',
        );
        if ((st.failed ?? 0) > 0 || failed) {
          return errorResult(
            path,
            size,
            `scan job ${name} failed${
              failed?.reason
                ? ` (${failed.reason}${
                    failed.message ? `: ${failed.message}` : ''
                  })`
                : ''
            }`,
          );
        }
        if (Date.now() > deadline)
          return errorResult(
            path,
            size,
            `scan job ${name} did not finish within ${
              o.timeoutSeconds ?? 900
            } s`,
          );
        await new Promise(r => setTimeout(r, o.pollMs ?? 2000));
      }
      const text = await staged.readResult();
      if (!text)
        return errorResult(path, size, `scan job ${name} wrote no result`);
      const doc = JSON.parse(text) as { result?: FileScanResult };
      const r = doc.result;
      if (
        !r ||
        typeof r.verdict !== 'string' ||
        !Array.isArray(r.findings) ||
        !Array.isArray(r.errors)
      )
        return errorResult(
          path,
          size,
          `scan job ${name} wrote a malformed result`,
        );
      options.onProgress?.(size, size);
      return { ...r, path };
    } finally {
      for (const undo of created.reverse()) await undo().catch(() => {});
      await staged.cleanup().catch(() => {});
    }
  }
}
