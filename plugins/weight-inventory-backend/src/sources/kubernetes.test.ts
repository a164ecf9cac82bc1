import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { evaluateProject } from '@internal/posture-checks';
import { KubernetesClusterSource, quantityBytes } from './kubernetes';
import { selfSignedCertificateFiles } from '@internal/test-stand-ins';

const tlsFiles = selfSignedCertificateFiles();
const caData = Buffer.from(tlsFiles.cert).toString('base64');
afterAll(() => fs.rmSync(tlsFiles.dir, { recursive: true, force: true }));

/** A local server answering like the Kubernetes API server for the list calls the inventory makes. */
async function startFakeApiServer(token: string) {
  const lists: Record<string, { kind: string; apiVersion: string; items: any[] }> = {
    '/api/v1/namespaces': { kind: 'NamespaceList', apiVersion: 'v1', items: [
      { metadata: { name: 'research', labels: { risk: 'high' } } },
      { metadata: { name: 'kube-system' } },
    ] },
    '/apis/networking.k8s.io/v1/networkpolicies': { kind: 'NetworkPolicyList', apiVersion: 'networking.k8s.io/v1', items: [
      { metadata: { name: 'allow-web', namespace: 'research' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] } },
    ] },
    '/apis/node.k8s.io/v1/runtimeclasses': { kind: 'RuntimeClassList', apiVersion: 'node.k8s.io/v1', items: [{ metadata: { name: 'gvisor' }, handler: 'runsc' }] },
    '/api/v1/pods': { kind: 'PodList', apiVersion: 'v1', items: [
      { metadata: { name: 'trainer-abc', namespace: 'research', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'trainer-1', uid: 'u', controller: true }] }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } },
      { metadata: { name: 'debug', namespace: 'research', creationTimestamp: '2026-12-01T00:00:00Z' }, spec: { runtimeClassName: 'gvisor', hostNetwork: true, containers: [{ name: 'c', image: 'x' }] } },
    ] },
    '/apis/apps/v1/deployments': { kind: 'DeploymentList', apiVersion: 'apps/v1', items: [
      { metadata: { name: 'trainer', namespace: 'research' }, spec: { selector: { matchLabels: { app: 't' } }, template: { metadata: { labels: { app: 't' } }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } } } },
    ] },
    '/apis/apps/v1/statefulsets': { kind: 'StatefulSetList', apiVersion: 'apps/v1', items: [] },
    '/apis/apps/v1/daemonsets': { kind: 'DaemonSetList', apiVersion: 'apps/v1', items: [] },
    '/apis/apps/v1/replicasets': { kind: 'ReplicaSetList', apiVersion: 'apps/v1', items: [
      { metadata: { name: 'trainer-1', namespace: 'research', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'trainer', uid: 'd', controller: true }] }, spec: { selector: { matchLabels: {} }, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } },
    ] },
    '/apis/batch/v1/jobs': { kind: 'JobList', apiVersion: 'batch/v1', items: [] },
    '/apis/batch/v1/cronjobs': { kind: 'CronJobList', apiVersion: 'batch/v1', items: [] },
    '/apis/rbac.authorization.k8s.io/v1/roles': { kind: 'RoleList', apiVersion: 'rbac.authorization.k8s.io/v1', items: [
      { metadata: { name: 'reader', namespace: 'research' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }] },
    ] },
    '/apis/rbac.authorization.k8s.io/v1/clusterroles': { kind: 'ClusterRoleList', apiVersion: 'rbac.authorization.k8s.io/v1', items: [
      { metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    ] },
    '/apis/rbac.authorization.k8s.io/v1/rolebindings': { kind: 'RoleBindingList', apiVersion: 'rbac.authorization.k8s.io/v1', items: [] },
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings': { kind: 'ClusterRoleBindingList', apiVersion: 'rbac.authorization.k8s.io/v1', items: [
      { metadata: { name: 'oops' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'mallory' }] },
    ] },
    '/api/v1/persistentvolumeclaims': { kind: 'PersistentVolumeClaimList', apiVersion: 'v1', items: [
      { metadata: { name: 'weights', namespace: 'research', labels: { 'frontier-guard.io/holds-weights': 'true' } }, spec: {}, status: { capacity: { storage: '2Ti' } } },
    ] },
  };
  const seen: string[] = [];
  const server = https.createServer({ cert: tlsFiles.cert, key: tlsFiles.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 }));
      return;
    }
    const list = lists[url.pathname];
    if (!list) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...list, metadata: { resourceVersion: '1' } }));
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>(r => server.close(() => r())) };
}

describe('KubernetesClusterSource (real @kubernetes/client-node)', () => {
  it('lists the cluster, skips controller-owned pods, reads weight volumes and evaluates the checks', async () => {
    const api = await startFakeApiServer('sa-token');
    try {
      const source = new KubernetesClusterSource({ name: 'training', url: api.url, token: 'sa-token', caData, labels: { owner: 'group:default/ml-platform' } }, mockServices.logger.mock());
      const [store] = await source.discover();
      expect(store).toMatchObject({ id: 'cluster-training', kind: 'kubernetes-cluster', owner: 'group:default/ml-platform', source: 'kubernetes' });
      expect(store.error).toBeUndefined();
      const kinds = store.project.kubernetes.map(i => `${i.object.kind}/${i.object.metadata.name}`).sort();
      expect(kinds).not.toContain('Pod/trainer-abc');
      expect(kinds).not.toContain('ReplicaSet/trainer-1');
      expect(kinds).toContain('Pod/debug');
      expect(store.weights).toEqual([expect.objectContaining({ container: 'pvc/research', path: 'weights', bytes: 2 * 1024 ** 4, format: 'volume' })]);
      expect(api.seen).toContain('/api/v1/persistentvolumeclaims?labelSelector=frontier-guard.io%2Fholds-weights%3Dtrue');

      const f = evaluateProject(store.project);
      const fails = (id: string) => f.filter(x => x.controlId === id && x.status === 'fail').map(x => x.subject.key);
      expect(fails('FG-K8S-PRIVILEGED')).toEqual(['k8s/research/Deployment/trainer']);
      expect(fails('FG-K8S-HOST-NAMESPACES')).toEqual(['k8s/research/Pod/debug']);
      expect(fails('FG-K8S-EGRESS-DENY')).toEqual(['k8s/Namespace/research']);
      expect(fails('FG-K8S-EGRESS-ALLOWLIST')).toEqual(['k8s/research/NetworkPolicy/allow-web']);
      expect(fails('FG-K8S-SANDBOX')).toEqual(['k8s/research/Deployment/trainer']);
      expect(fails('FG-K8S-RBAC-SECRETS')).toEqual(['k8s/research/Role/reader']);
      expect(fails('FG-K8S-RBAC-CLUSTER-ADMIN')).toEqual(['k8s/ClusterRoleBinding/oops']);
      expect(fails('FG-K8S-RBAC-WILDCARD')).toEqual([]); // bootstrap cluster-admin role is skipped
      // the ingress rule's `from` survived the client's `_from` model field
      const np = store.project.kubernetes.find(i => i.object.kind === 'NetworkPolicy')!.object as any;
      expect(np.spec.ingress[0].from).toEqual([{ podSelector: {} }]);
    } finally {
      await api.close();
    }
  });

  it('reports a refused token as an error of the store instead of an empty, passing cluster', async () => {
    const api = await startFakeApiServer('right');
    try {
      const [store] = await new KubernetesClusterSource({ name: 'c', url: api.url, token: 'wrong', caData }, mockServices.logger.mock()).discover();
      expect(store.error).toMatch(/Namespace/);
    } finally {
      await api.close();
    }
  });

  it('parses quantities', () => {
    expect(quantityBytes('100Gi')).toBe(100 * 1024 ** 3);
    expect(quantityBytes('5G')).toBe(5e9);
    expect(quantityBytes('bogus')).toBe(0);
  });
});
