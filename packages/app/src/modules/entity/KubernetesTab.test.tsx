import { kubernetesTabState } from './KubernetesTab';

describe('kubernetesTabState', () => {
  it('waits for the cluster list and says when it could not be read', () => {
    expect(kubernetesTabState({ state: 'loading' }, undefined)).toBe('loading');
    expect(kubernetesTabState({ state: 'error' }, 'training-cluster')).toBe('error');
  });

  it('says so when the portal has no cluster at all', () => {
    expect(kubernetesTabState({ state: 'loaded', names: [] }, 'training-cluster')).toBe('no-cluster');
    expect(kubernetesTabState({ state: 'loaded', names: [] }, undefined)).toBe('no-cluster');
  });

  it("says so when the entity's cluster is not one the portal is connected to", () => {
    expect(kubernetesTabState({ state: 'loaded', names: ['eval-cluster'] }, 'training-cluster')).toBe('other-cluster');
  });

  it("shows the workloads when the entity's cluster (or any, without the annotation) is connected", () => {
    expect(kubernetesTabState({ state: 'loaded', names: ['training-cluster'] }, 'training-cluster')).toBe('content');
    expect(kubernetesTabState({ state: 'loaded', names: ['eval-cluster'] }, undefined)).toBe('content');
  });
});
