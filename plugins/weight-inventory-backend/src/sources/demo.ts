/**
 * The demo source (`weightInventory.demo.enabled: true`, refused in production): a few storage
 * accounts and a research cluster in several postures, so `npm start` shows a realistic
 * inventory without Azure. Every store it returns is marked `demo: true` and tagged `demo`.
 */
import { parseKubeYaml, storageAccountFromLive } from '@internal/posture-checks';
import { clusterStoreId, storageStoreId } from '@internal/plugin-weight-inventory-common';
import { DiscoveredStore, InventorySource } from './types';

const SUB = '00000000-0000-0000-0000-000000000000';
const GB = 1024 ** 3;

function account(name: string, rg: string, props: Record<string, unknown>, extra: {
  softDelete: boolean; containers: [string, string][]; pe?: string; logs?: boolean; tags: Record<string, string>;
}) {
  return storageAccountFromLive({
    account: { id: `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${name}`, name, tags: extra.tags, ...props },
    blobService: { deleteRetentionPolicy: { enabled: extra.softDelete }, containerDeleteRetentionPolicy: { enabled: extra.softDelete } },
    containers: extra.containers.map(([n, a]) => ({ name: n, publicAccess: a })),
    privateEndpointConnections: extra.pe ? [{ name: `${name}-pe`, privateLinkServiceConnectionState: { status: extra.pe } }] : [],
    blobDiagnosticSettings: extra.logs ? [{ name: 'to-sentinel', logs: [{ categoryGroup: 'allLogs', enabled: true }] }] : [],
  });
}

const CLUSTER_YAML = `
apiVersion: v1
kind: Namespace
metadata: { name: research-sandbox, labels: { risk: high } }
---
apiVersion: v1
kind: Namespace
metadata: { name: training }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny-egress, namespace: training }
spec: { podSelector: {}, policyTypes: [Egress] }
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: { name: gvisor }
handler: runsc
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: trainer, namespace: training }
spec:
  template:
    spec:
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: trainer
          image: registry.internal/trainer:2.4
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: notebook, namespace: research-sandbox }
spec:
  template:
    spec:
      containers:
        - name: jupyter
          image: registry.internal/notebook:1.0
          securityContext: { privileged: true }
      volumes:
        - name: docker
          hostPath: { path: /var/run/docker.sock }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ml-admins }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects:
  - { kind: User, name: dave@frontier.example }
`;

export class DemoSource implements InventorySource {
  readonly name = 'demo';

  async discover(): Promise<DiscoveredStore[]> {
    const stores: DiscoveredStore[] = [];
    const add = (name: string, rg: string, model: ReturnType<typeof account>, tags: Record<string, string>, weights: DiscoveredStore['weights']) => {
      stores.push({
        id: storageStoreId(name), kind: 'storage-account', name, source: 'demo', demo: true, subscriptionId: SUB, resourceGroup: rg,
        resourceId: model.id, owner: tags.owner, tags, project: { storageAccounts: [model], kubernetes: [] }, weights,
      });
    };
    const secure = { publicNetworkAccess: 'Disabled', allowBlobPublicAccess: false, allowSharedKeyAccess: false, minimumTlsVersion: 'TLS1_2', networkRuleSet: { defaultAction: 'Deny' }, encryption: { keySource: 'Microsoft.Keyvault' } };
    const t1 = { workload: 'model-weights', owner: 'group:default/ml-platform', environment: 'demo' };
    add('frontierweights', 'rg-frontier-weights', account('frontierweights', 'rg-frontier-weights', secure, { softDelete: true, containers: [['frontier-7b', 'None'], ['frontier-70b', 'None']], pe: 'Approved', logs: true, tags: t1 }), t1, [
      { container: 'frontier-7b', path: 'v3/model-00001-of-00002.safetensors', bytes: 9.9 * GB, lastModified: '2026-11-30T10:00:00Z', format: 'safetensors', detectedBy: 'extension' },
      { container: 'frontier-7b', path: 'v3/model-00002-of-00002.safetensors', bytes: 4.5 * GB, lastModified: '2026-11-30T10:00:00Z', format: 'safetensors', detectedBy: 'extension' },
      { container: 'frontier-70b', path: 'rc1/consolidated.00.pth', bytes: 68 * GB, lastModified: '2026-12-02T08:00:00Z', format: 'pytorch', detectedBy: 'extension' },
    ]);
    const t2 = { workload: 'model-weights', owner: 'group:default/eval-team', environment: 'demo' };
    add('evalcheckpoints', 'rg-eval', account('evalcheckpoints', 'rg-eval', { ...secure, publicNetworkAccess: 'Enabled', allowSharedKeyAccess: true, networkRuleSet: { defaultAction: 'Allow' } }, { softDelete: true, containers: [['eval-checkpoints', 'None']], pe: 'Pending', logs: true, tags: t2 }), t2, [
      { container: 'eval-checkpoints', path: 'step-12000/checkpoint.ckpt', bytes: 14 * GB, lastModified: '2026-12-05T16:20:00Z', format: 'checkpoint', detectedBy: 'extension' },
      { container: 'eval-checkpoints', path: 'step-12000/optimizer', bytes: 28 * GB, lastModified: '2026-12-05T16:20:00Z', format: 'pickle', detectedBy: 'magic' },
    ]);
    const t3 = { workload: 'model-weights', owner: 'group:default/ml-platform', environment: 'demo' };
    add('legacyweights', 'rg-legacy', account('legacyweights', 'rg-legacy', { minimumTlsVersion: 'TLS1_0' }, { softDelete: false, containers: [['public-models', 'Container']], tags: t3 }), t3, [
      { container: 'public-models', path: 'bert-base/pytorch_model.bin', bytes: 440_000_000, lastModified: '2025-03-01T09:00:00Z', format: 'pytorch-bin', detectedBy: 'extension' },
    ]);
    const labels = { owner: 'group:default/ml-platform', environment: 'demo' };
    stores.push({
      id: clusterStoreId('training'), kind: 'kubernetes-cluster', name: 'training', source: 'demo', demo: true, owner: labels.owner, tags: labels,
      project: { storageAccounts: [], kubernetes: parseKubeYaml(CLUSTER_YAML, 'demo:training').items, cluster: 'training' },
      weights: [{ container: 'pvc/training', path: 'weights-cache', bytes: 500 * GB, lastModified: '2026-11-20T12:00:00Z', format: 'volume', detectedBy: 'extension' }],
    });
    return stores;
  }
}
