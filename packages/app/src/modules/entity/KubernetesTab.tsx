import { EmptyState, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { kubernetesApiRef, Router as KubernetesContent } from '@backstage/plugin-kubernetes';
import { Button, Typography } from '@material-ui/core';
import { useCallback, useEffect, useState } from 'react';

/** The cluster an entity lives on (Backstage's `backstage.io/kubernetes-cluster` annotation). */
export const KUBERNETES_CLUSTER_ANNOTATION = 'backstage.io/kubernetes-cluster';

type Clusters = { state: 'loading' } | { state: 'error' } | { state: 'loaded'; names: string[] };

/**
 * What the Kubernetes tab says before it asks the clusters for workloads: no connected cluster,
 * or not the cluster this entity is on, is said plainly; only then the Kubernetes plugin's view.
 */
export function kubernetesTabState(clusters: Clusters, entityCluster: string | undefined) {
  if (clusters.state !== 'loaded') return clusters.state;
  if (clusters.names.length === 0) return 'no-cluster';
  if (entityCluster && !clusters.names.includes(entityCluster)) return 'other-cluster';
  return 'content';
}

/** entity-content:kubernetes/kubernetes, as the app renders it (see ./index.tsx). */
export function KubernetesTab() {
  const { entity } = useEntity();
  const api = useApi(kubernetesApiRef);
  const [clusters, setClusters] = useState<Clusters>({ state: 'loading' });
  const load = useCallback(() => {
    setClusters({ state: 'loading' });
    api.getClusters().then(
      list => setClusters({ state: 'loaded', names: list.map(c => c.name) }),
      () => setClusters({ state: 'error' }),
    );
  }, [api]);
  useEffect(load, [load]);

  const name = entity.metadata.title ?? entity.metadata.name;
  const entityCluster = entity.metadata.annotations?.[KUBERNETES_CLUSTER_ANNOTATION];
  const state = kubernetesTabState(clusters, entityCluster);
  if (state === 'loading') return <Progress />;
  if (state === 'error') {
    return (
      <div data-testid="kubernetes-tab-error">
        <EmptyState
          missing="info"
          title="The portal could not list its Kubernetes clusters just now"
          action={<Button variant="contained" color="primary" onClick={load}>Try again</Button>}
        />
      </div>
    );
  }
  if (state === 'no-cluster' || state === 'other-cluster') {
    return (
      <div data-testid="kubernetes-tab-no-cluster" data-state={state}>
        <EmptyState
          missing="info"
          title={
            state === 'no-cluster'
              ? 'This portal is not connected to any Kubernetes cluster'
              : `This portal is not connected to the cluster ${entityCluster}`
          }
          description={
            <Typography variant="body1" component="span">
              So it cannot show what runs in {name}. A platform admin connects clusters in the
              portal's configuration; access to {name} is still requested on the Access tab.
            </Typography>
          }
        />
      </div>
    );
  }
  return <KubernetesContent />;
}
