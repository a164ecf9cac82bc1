import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ProvisioningTarget } from '@internal/plugin-access-requests-node';
import {
  KubernetesRoleBindingProvisioner,
  renderUserSubject,
} from './kubernetes';
import { roleBindingNameFor } from './names';

const NAME = roleBindingNameFor(
  'user:default/alice',
  'resource:default/ns-frontier-train',
  'viewer',
);
import {
  kubernetesStatus as status,
  kubernetesUnauthorized,
  RecordedRequest,
  selfSignedCertificate,
  startHttpsServer,
} from '@internal/test-stand-ins';

const TOKEN = 'sa-token-for-tests';
const BASE = '/apis/rbac.authorization.k8s.io/v1/namespaces';

/** Answers like the Kubernetes API server for namespaced RoleBindings. */
function fakeKubernetesApi() {
  const bindings = new Map<string, any>();
  const forbiddenNamespaces = new Set<string>();
  const handler = (req: RecordedRequest) => {
    const refused = kubernetesUnauthorized(req, TOKEN);
    if (refused) return refused;
    const m =
      req.path.match(
        /^\/apis\/rbac\.authorization\.k8s\.io\/v1\/namespaces\/([^/]+)\/rolebindings(?:\/([^/]+))?$/,
      ) ??
      req.path.match(
        /^\/apis\/rbac\.authorization\.k8s\.io\/v1\/()clusterrolebindings(?:\/([^/]+))?$/,
      );
    if (!m)
      return status(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    const [, ns, name] = m; // ns '' = cluster-scoped
    if (forbiddenNamespaces.has(ns)) {
      return status(
        403,
        'Forbidden',
        `rolebindings.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:fg:provisioner" cannot ${req.method.toLowerCase()} resource "rolebindings" in namespace "${ns}"`,
      );
    }
    if (req.method === 'POST' && !name) {
      const key = `${ns}/${req.body.metadata.name}`;
      if (bindings.has(key)) {
        return status(
          409,
          'AlreadyExists',
          `rolebindings.rbac.authorization.k8s.io "${req.body.metadata.name}" already exists`,
        );
      }
      const stored = {
        ...req.body,
        metadata: {
          ...req.body.metadata,
          ...(ns ? { namespace: ns } : {}),
          uid: `uid-${bindings.size + 1}`,
          resourceVersion: '1',
        },
      };
      bindings.set(key, stored);
      return { status: 201, body: stored };
    }
    if (req.method === 'PUT' && name) {
      const key = `${ns}/${name}`;
      const current = bindings.get(key);
      if (!current)
        return status(
          404,
          'NotFound',
          `rolebindings.rbac.authorization.k8s.io "${name}" not found`,
        );
      if (
        req.body.metadata.resourceVersion !== current.metadata.resourceVersion
      ) {
        return status(
          409,
          'Conflict',
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      const stored = {
        ...req.body,
        metadata: {
          ...req.body.metadata,
          uid: current.metadata.uid,
          resourceVersion: String(Number(current.metadata.resourceVersion) + 1),
        },
      };
      bindings.set(key, stored);
      return { status: 200, body: stored };
    }
    if (req.method === 'GET' && name) {
      const b = bindings.get(`${ns}/${name}`);
      return b
        ? { status: 200, body: b }
        : status(
            404,
            'NotFound',
            `rolebindings.rbac.authorization.k8s.io "${name}" not found`,
          );
    }
    if (req.method === 'DELETE' && name) {
      if (!bindings.delete(`${ns}/${name}`)) {
        return status(
          404,
          'NotFound',
          `rolebindings.rbac.authorization.k8s.io "${name}" not found`,
        );
      }
      return {
        status: 200,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: {
            name,
            group: 'rbac.authorization.k8s.io',
            kind: 'rolebindings',
          },
        },
      };
    }
    return status(405, 'MethodNotAllowed', 'method not allowed');
  };
  return { bindings, forbiddenNamespaces, handler };
}

function target(
  overrides: Partial<ProvisioningTarget> = {},
): ProvisioningTarget {
  return {
    grantId: 'g-0001',
    requestId: 'r-0001',
    userRef: 'user:default/alice',
    resource: {
      entityRef: 'resource:default/ns-frontier-train',
      kind: 'Resource',
      type: 'namespace',
      annotations: {
        'frontier-guard.io/kubernetes-namespace': 'frontier-train',
        'backstage.io/kubernetes-cluster': 'gpu-east',
      },
    },
    role: {
      id: 'viewer',
      title: 'Namespace viewer',
      allows: ['pods:read'],
      privilege: 1,
      provisioner: { type: 'kubernetes-rolebinding', clusterRole: 'view' },
    },
    startsAt: '2026-01-01T10:00:00.000Z',
    expiresAt: '2026-01-01T18:00:00.000Z',
    ...overrides,
  };
}

describe('KubernetesRoleBindingProvisioner (real @kubernetes/client-node against a local HTTPS API server)', () => {
  const tls = selfSignedCertificate();
  const api = fakeKubernetesApi();
  let server: Awaited<ReturnType<typeof startHttpsServer>>;
  let provisioner: KubernetesRoleBindingProvisioner;

  beforeAll(async () => {
    server = await startHttpsServer(tls, api.handler);
    provisioner = KubernetesRoleBindingProvisioner.fromConfig(
      new ConfigReader({
        userSubjectTemplate: '{{name}}@example.com',
        clusters: [
          {
            name: 'gpu-east',
            url: server.url,
            serviceAccountToken: TOKEN,
            caData: Buffer.from(tls.cert).toString('base64'),
          },
          {
            name: 'untrusted-ca',
            url: server.url,
            serviceAccountToken: TOKEN,
          },
        ],
      }),
      { logger: mockServices.logger.mock() },
    );
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    api.bindings.clear();
    api.forbiddenNamespaces.clear();
  });

  it('creates a RoleBinding named for the user role on the resource, for the mapped user, with grant label and expiry annotation', async () => {
    const result = await provisioner.provision(target());
    const name = NAME;
    expect(name).toMatch(/^frontier-guard-alice-viewer-[0-9a-f]{10}$/);
    expect(result.externalId).toBe(`gpu-east/frontier-train/${name}`);

    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`${BASE}/frontier-train/rolebindings`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.body).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: {
        name,
        namespace: 'frontier-train',
        labels: {
          'frontier-guard.io/grant-id': 'g-0001',
          'app.kubernetes.io/managed-by': 'frontier-guard',
        },
        annotations: {
          'frontier-guard.io/grant-id': 'g-0001',
          'frontier-guard.io/expires-at': '2026-01-01T18:00:00.000Z',
          'frontier-guard.io/user-ref': 'user:default/alice',
        },
      },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'view',
      },
      subjects: [
        {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'User',
          name: 'alice@example.com',
        },
      ],
    });
  });

  it('is idempotent: a second provision of the same grant sees 409 AlreadyExists and succeeds without a duplicate', async () => {
    await provisioner.provision(target());
    const again = await provisioner.provision(target());
    expect(again.details).toMatchObject({ alreadyExisted: true });
    expect(server.requests.map(r => `${r.method} ${r.path}`)).toEqual([
      `POST ${BASE}/frontier-train/rolebindings`,
      `POST ${BASE}/frontier-train/rolebindings`,
      `GET ${BASE}/frontier-train/rolebindings/${NAME}`,
    ]);
    expect(api.bindings.size).toBe(1);
  });

  it('recreates its own binding when the role changed (roleRef is immutable)', async () => {
    await provisioner.provision(target());
    const t = target();
    t.role.provisioner = {
      type: 'kubernetes-rolebinding',
      clusterRole: 'edit',
    };
    const res = await provisioner.provision(t);
    expect(res.details).toMatchObject({ recreated: true });
    expect(api.bindings.get(`frontier-train/${NAME}`).roleRef.name).toBe(
      'edit',
    );
  });

  it('refuses to take over a same-named binding that Frontier Guard did not create', async () => {
    api.bindings.set(`frontier-train/${NAME}`, {
      metadata: {
        name: NAME,
        annotations: { 'frontier-guard.io/user-ref': 'user:default/alice' },
      },
      roleRef: { kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'User', name: 'mallory' }],
    });
    await expect(provisioner.provision(target())).rejects.toThrow(
      /refusing to take it over/,
    );
    expect(api.bindings.get(`frontier-train/${NAME}`).subjects[0].name).toBe(
      'mallory',
    );
  });

  it('deprovision deletes the binding, and a second deprovision (404) is fine', async () => {
    const { externalId } = await provisioner.provision(target());
    await provisioner.deprovision({ ...target(), externalId });
    expect(api.bindings.size).toBe(0);
    await expect(
      provisioner.deprovision({ ...target(), externalId }),
    ).resolves.toBeUndefined();
    expect(
      server.requests.filter(r => r.method === 'DELETE').map(r => r.path),
    ).toEqual([
      `${BASE}/frontier-train/rolebindings/${NAME}`,
      `${BASE}/frontier-train/rolebindings/${NAME}`,
    ]);
  });

  it('deprovision without externalId derives the binding from the target', async () => {
    await provisioner.provision(target());
    await provisioner.deprovision(target());
    expect(api.bindings.size).toBe(0);
  });

  it('a 403 from the API server makes provision throw a clear error', async () => {
    api.forbiddenNamespaces.add('frontier-train');
    await expect(provisioner.provision(target())).rejects.toThrow(
      new RegExp(
        `Creating RoleBinding ${NAME} in gpu-east/frontier-train failed: HTTP 403: .*forbidden`,
      ),
    );
    expect(api.bindings.size).toBe(0);
  });

  it('does not trust the server without the configured CA', async () => {
    const t = target();
    t.resource.annotations['backstage.io/kubernetes-cluster'] = 'untrusted-ca';
    await expect(provisioner.provision(t)).rejects.toThrow(/certificate/i);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects targets without namespace, without cluster, with an unknown cluster, or without a role', async () => {
    const noNs = target();
    delete noNs.resource.annotations['frontier-guard.io/kubernetes-namespace'];
    await expect(provisioner.provision(noNs)).rejects.toThrow(
      /kubernetes-namespace/,
    );

    const noCluster = target();
    delete noCluster.resource.annotations['backstage.io/kubernetes-cluster'];
    await expect(provisioner.provision(noCluster)).rejects.toThrow(
      /kubernetes-cluster/,
    );

    const unknown = target();
    unknown.resource.annotations['backstage.io/kubernetes-cluster'] = 'nope';
    await expect(provisioner.provision(unknown)).rejects.toThrow(
      /'nope' is not configured/,
    );

    const noRole = target();
    noRole.role.provisioner = { type: 'kubernetes-rolebinding' };
    await expect(provisioner.provision(noRole)).rejects.toThrow(
      /clusterRole' or 'role'/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('creates and deletes a ClusterRoleBinding for clusterWide roles', async () => {
    const t = target();
    t.resource.annotations = { 'backstage.io/kubernetes-cluster': 'gpu-east' };
    t.role.provisioner = {
      type: 'kubernetes-rolebinding',
      clusterRole: 'view',
      clusterWide: true,
    };
    const { externalId } = await provisioner.provision(t);
    const clusterName = roleBindingNameFor(
      'user:default/alice',
      'resource:default/ns-frontier-train',
      'viewer',
    );
    expect(externalId).toBe(`gpu-east//${clusterName}`);
    const [req] = server.requests;
    expect(`${req.method} ${req.path}`).toBe(
      'POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    );
    expect(req.body.kind).toBe('ClusterRoleBinding');
    expect(req.body.metadata.namespace).toBeUndefined();
    expect(req.body.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'view',
    });
    await expect(provisioner.provision(t)).resolves.toMatchObject({
      details: { alreadyExisted: true },
    });
    await provisioner.deprovision({ ...t, externalId });
    expect(server.requests.map(r => `${r.method} ${r.path}`).pop()).toBe(
      `DELETE /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${clusterName}`,
    );
    expect(api.bindings.size).toBe(0);

    t.role.provisioner = {
      type: 'kubernetes-rolebinding',
      role: 'ns-role',
      clusterWide: true,
    };
    await expect(provisioner.provision(t)).rejects.toThrow(
      /clusterWide needs 'clusterRole'/,
    );
  });

  it('maps user refs through the template and refuses non-user refs', () => {
    expect(
      renderUserSubject('{{name}}@example.com', 'user:default/alice'),
    ).toBe('alice@example.com');
    expect(
      renderUserSubject('oidc:{{namespace}}:{{name}}', 'user:corp/bob'),
    ).toBe('oidc:corp:bob');
    expect(() => renderUserSubject('{{name}}', 'group:default/admins')).toThrow(
      /user entity ref/,
    );
  });

  it('names bindings per user, resource and role, valid for Kubernetes', () => {
    const n = roleBindingNameFor(
      'user:corp/Zoë.O_Brien',
      'resource:default/x',
      'Blob Reader!',
    );
    expect(n).toMatch(/^frontier-guard-zo-o-brien-blob-reader-[0-9a-f]{10}$/);
    expect(
      roleBindingNameFor('user:default/alice', 'resource:default/a', 'viewer'),
    ).not.toBe(
      roleBindingNameFor('user:default/alice', 'resource:default/b', 'viewer'),
    );
  });

  it('an overlapping grant of the same user/resource/role shares the binding, which records the later expiry', async () => {
    await provisioner.provision(target());
    const second = await provisioner.provision(
      target({ grantId: 'g-0002', expiresAt: '2026-01-01T20:00:00.000Z' }),
    );
    expect(second.details).toMatchObject({
      alreadyExisted: true,
      sharedWithGrant: 'g-0001',
    });
    expect(api.bindings.size).toBe(1);
    const put = server.requests.find(r => r.method === 'PUT')!;
    expect(put.path).toBe(`${BASE}/frontier-train/rolebindings/${NAME}`);
    expect(put.body.metadata.resourceVersion).toBe('1');
    const stored = api.bindings.get(`frontier-train/${NAME}`);
    expect(stored.metadata.annotations).toMatchObject({
      'frontier-guard.io/grant-id': 'g-0002',
      'frontier-guard.io/expires-at': '2026-01-01T20:00:00.000Z',
    });
    expect(stored.metadata.labels['frontier-guard.io/grant-id']).toBe('g-0002');
    // the backend deprovisions only when the last overlapping grant ends
    await provisioner.deprovision({
      ...target({ grantId: 'g-0002' }),
      externalId: second.externalId,
    });
    expect(api.bindings.size).toBe(0);
  });
});
