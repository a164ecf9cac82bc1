/**
 * Catalog entity provider: each store becomes a `Resource` entity of type `weight-store`
 * (storage accounts) or `kubernetes-cluster`, owned per its `owner` tag/label. It reads the
 * stores from the weight-inventory API with the backend's own service credentials.
 */
import type { Entity } from '@backstage/catalog-model';
import type { EntityProvider, EntityProviderConnection } from '@backstage/plugin-catalog-node';
import type { AuthService, DiscoveryService, LoggerService, SchedulerServiceTaskRunner } from '@backstage/backend-plugin-api';
import {
  KUBERNETES_CLUSTER_ENTITY_TYPE,
  WEIGHT_STORE_ENTITY_TYPE,
  WeightInventoryClient,
  WeightStore,
} from '@internal/plugin-weight-inventory-common';

export const DEFAULT_OWNER = 'group:default/platform-admins';
const LOCATION = 'weight-inventory:stores';

/** Access policies (catalog/policies) the entities point at, per entity type; a store's `access-policy` tag wins. */
export interface AccessPolicyNames {
  weightStore?: string;
  kubernetesCluster?: string;
}

export function storeToEntity(s: WeightStore, policies: AccessPolicyNames = {}): Entity {
  const cluster = s.kind === 'kubernetes-cluster';
  const annotations: Record<string, string> = {
    'backstage.io/managed-by-location': `${LOCATION}`,
    'backstage.io/managed-by-origin-location': `${LOCATION}`,
    'frontier-guard.io/weight-inventory-store': s.id,
  };
  if (s.resourceId) annotations['frontier-guard.io/azure-scope'] = s.resourceId;
  if (cluster) annotations['backstage.io/kubernetes-cluster'] = s.name;
  const tagKey = Object.keys(s.tags).find(k => k.toLowerCase() === 'access-policy');
  const policy = (tagKey ? s.tags[tagKey] : undefined) ?? (cluster ? policies.kubernetesCluster : policies.weightStore);
  if (policy && /^[a-z0-9][a-z0-9-]{0,62}$/.test(policy)) annotations['frontier-guard.io/access-policy'] = policy;
  const tags = [cluster ? 'kubernetes' : 'azure', 'weights', ...(s.demo ? ['demo'] : [])];
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: s.id,
      title: cluster ? `${s.name} (Kubernetes cluster)` : `${s.name} (storage account)`,
      description: `${cluster ? 'Research cluster' : 'Storage account holding weights'} discovered by the weight inventory${s.demo ? ' (demo data)' : ''}. Posture: ${s.posture}.`,
      tags,
      annotations,
    },
    spec: {
      type: cluster ? KUBERNETES_CLUSTER_ENTITY_TYPE : WEIGHT_STORE_ENTITY_TYPE,
      owner: s.owner ?? DEFAULT_OWNER,
      lifecycle: 'production',
    },
  };
}

export class WeightInventoryEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private readonly client: WeightInventoryClient;

  constructor(private readonly deps: { discovery: DiscoveryService; auth: AuthService; logger: LoggerService; taskRunner: SchedulerServiceTaskRunner; accessPolicies?: AccessPolicyNames }) {
    this.client = new WeightInventoryClient({ discoveryApi: deps.discovery });
  }

  getProviderName(): string {
    return 'weight-inventory';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.deps.taskRunner.run({
      id: 'weight-inventory-entity-provider',
      fn: async () => {
        try {
          await this.refresh();
        } catch (e) {
          this.deps.logger.warn(`weight-inventory entity provider: ${(e as Error).message}`);
        }
      },
    });
  }

  async refresh(): Promise<void> {
    if (!this.connection) throw new Error('not connected');
    const { token } = await this.deps.auth.getPluginRequestToken({ onBehalfOf: await this.deps.auth.getOwnServiceCredentials(), targetPluginId: 'weight-inventory' });
    const { items } = await this.client.listStores({}, { token });
    await this.connection.applyMutation({
      type: 'full',
      entities: items.map(s => ({ entity: storeToEntity(s, this.deps.accessPolicies), locationKey: LOCATION })),
    });
  }
}
