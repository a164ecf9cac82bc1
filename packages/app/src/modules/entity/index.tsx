import { createFrontendModule } from '@backstage/frontend-plugin-api';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';

/**
 * The Kubernetes tab on entities with the Kubernetes annotations (clusters, namespaces; see
 * catalog/resources.yaml), saying plainly when the portal has no cluster to ask (./KubernetesTab).
 */
const kubernetesContent = kubernetesPlugin.getExtension('entity-content:kubernetes/kubernetes').override({
  factory: originalFactory =>
    originalFactory({
      params: {
        loader: () => import('./KubernetesTab').then(m => <m.KubernetesTab />),
      },
    }),
});

export const kubernetesEntityModule = createFrontendModule({
  pluginId: 'kubernetes',
  extensions: [kubernetesContent],
});
