/**
 * Live Kubernetes discovery through `@kubernetes/client-node`: namespaces, network policies,
 * runtime classes, workloads (controllers and standalone pods), RBAC and the persistent volume
 * claims that hold weights. One cluster is one store.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubeItem } from '@internal/posture-checks';
import { toKubeObject } from '@internal/posture-checks';
import { clusterStoreId } from '@internal/plugin-weight-inventory-common';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { DiscoveredStore, InventorySource, ownerFrom } from './types';

export interface KubernetesClusterOptions {
  name: string;
  /** API server URL; with `token` (and `caData` or `skipTLSVerify`). Omit to use the default kubeconfig / in-cluster config. */
  url?: string;
  token?: string;
  caData?: string;
  skipTLSVerify?: boolean;
  /** Labels of the cluster entity, e.g. `{ owner: 'group:default/ml-platform' }`. */
  labels?: Record<string, string>;
  /** Label on PersistentVolumeClaims that marks them as holding weights. */
  weightVolumeLabel?: string;
}

const RESERVED = new Set(['from', 'continue', 'default', 'enum', 'package']);

/** Typed client objects back to Kubernetes JSON (`_from` → `from`, Dates → strings). */
function plain(v: unknown): any {
  const json = JSON.parse(JSON.stringify(v));
  const fix = (x: any): any => {
    if (Array.isArray(x)) return x.map(fix);
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) out[k.startsWith('_') && RESERVED.has(k.slice(1)) ? k.slice(1) : k] = fix(val);
      return out;
    }
    return x;
  };
  return fix(json);
}

export class KubernetesClusterSource implements InventorySource {
  readonly name: string;
  private readonly kc: k8s.KubeConfig;

  constructor(private readonly options: KubernetesClusterOptions, private readonly logger: LoggerService) {
    this.name = `kubernetes:${options.name}`;
    this.kc = new k8s.KubeConfig();
    if (options.url) {
      this.kc.loadFromOptions({
        clusters: [{ name: options.name, server: options.url, caData: options.caData, skipTLSVerify: options.skipTLSVerify ?? false }],
        users: [{ name: 'weight-inventory', token: options.token }],
        contexts: [{ name: options.name, cluster: options.name, user: 'weight-inventory' }],
        currentContext: options.name,
      });
    } else {
      this.kc.loadFromDefault();
    }
  }

  async discover(): Promise<DiscoveredStore[]> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const apps = this.kc.makeApiClient(k8s.AppsV1Api);
    const batch = this.kc.makeApiClient(k8s.BatchV1Api);
    const net = this.kc.makeApiClient(k8s.NetworkingV1Api);
    const node = this.kc.makeApiClient(k8s.NodeV1Api);
    const rbac = this.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    const errors: string[] = [];
    const items: KubeItem[] = [];
    const weights: DiscoveredStore['weights'] = [];
    const add = async (kind: string, apiVersion: string, fn: () => Promise<{ items: unknown[] }>, keep: (o: any) => boolean = () => true) => {
      try {
        const list = await fn();
        for (const raw of list.items) {
          const o = plain(raw);
          if (!keep(o)) continue;
          items.push({ object: toKubeObject({ ...o, kind, apiVersion }), location: { file: `${this.options.name}:${kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}` } });
        }
      } catch (e) {
        errors.push(`${kind}: ${(e as Error).message?.split('\n')[0]}`);
      }
    };
    const unowned = (o: any) => !(o.metadata?.ownerReferences ?? []).some((r: any) => r.controller);
    await Promise.all([
      add('Namespace', 'v1', () => core.listNamespace()),
      add('NetworkPolicy', 'networking.k8s.io/v1', () => net.listNetworkPolicyForAllNamespaces()),
      add('RuntimeClass', 'node.k8s.io/v1', () => node.listRuntimeClass()),
      add('Pod', 'v1', () => core.listPodForAllNamespaces(), unowned),
      add('Deployment', 'apps/v1', () => apps.listDeploymentForAllNamespaces()),
      add('StatefulSet', 'apps/v1', () => apps.listStatefulSetForAllNamespaces()),
      add('DaemonSet', 'apps/v1', () => apps.listDaemonSetForAllNamespaces()),
      add('ReplicaSet', 'apps/v1', () => apps.listReplicaSetForAllNamespaces(), unowned),
      add('Job', 'batch/v1', () => batch.listJobForAllNamespaces(), unowned),
      add('CronJob', 'batch/v1', () => batch.listCronJobForAllNamespaces()),
      add('Role', 'rbac.authorization.k8s.io/v1', () => rbac.listRoleForAllNamespaces()),
      add('ClusterRole', 'rbac.authorization.k8s.io/v1', () => rbac.listClusterRole()),
      add('RoleBinding', 'rbac.authorization.k8s.io/v1', () => rbac.listRoleBindingForAllNamespaces()),
      add('ClusterRoleBinding', 'rbac.authorization.k8s.io/v1', () => rbac.listClusterRoleBinding()),
      (async () => {
        try {
          const label = this.options.weightVolumeLabel ?? 'frontier-guard.io/holds-weights';
          const pvcs = await core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: `${label}=true` });
          for (const raw of pvcs.items) {
            const p = plain(raw);
            const size = String(p.status?.capacity?.storage ?? p.spec?.resources?.requests?.storage ?? '0');
            weights.push({ container: `pvc/${p.metadata?.namespace}`, path: p.metadata?.name ?? '', bytes: quantityBytes(size), lastModified: p.metadata?.creationTimestamp, format: 'volume', detectedBy: 'extension' });
          }
        } catch (e) {
          errors.push(`PersistentVolumeClaim: ${(e as Error).message?.split('\n')[0]}`);
        }
      })(),
    ]);
    if (errors.length) this.logger.warn(`weight-inventory: cluster ${this.options.name}: ${errors.join('; ')}`);
    const labels = { ...(this.options.labels ?? {}) };
    return [{
      id: clusterStoreId(this.options.name),
      kind: 'kubernetes-cluster',
      name: this.options.name,
      source: 'kubernetes',
      demo: false,
      owner: ownerFrom(labels),
      tags: labels,
      project: { storageAccounts: [], kubernetes: items, cluster: this.options.name },
      weights,
      error: errors.length ? errors.join('; ') : undefined,
    }];
  }
}

/** Kubernetes quantity (`100Gi`, `1T`, `5e9`) in bytes. */
export function quantityBytes(q: string): number {
  const m = /^([0-9.]+(?:e[0-9]+)?)([KMGTPE]i?)?$/.exec(q.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const pow = 'KMGTPE'.indexOf(unit[0] ?? '') + 1;
  const base = unit.endsWith('i') ? 1024 : 1000;
  return Math.round(n * (pow > 0 ? base ** pow : 1));
}
