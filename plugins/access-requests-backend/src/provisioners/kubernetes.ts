import { readFileSync } from 'node:fs';
import {
  ApiException,
  KubeConfig,
  RbacAuthorizationV1Api,
  V1RoleBinding,
} from '@kubernetes/client-node';
import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  AccessProvisioner,
  ProvisioningTarget,
  ProvisionResult,
} from '@internal/plugin-access-requests-node';
import { grantIdLabelValue, roleBindingNameFor } from './names';

export const KUBERNETES_NAMESPACE_ANNOTATION =
  'frontier-guard.io/kubernetes-namespace';
export const KUBERNETES_CLUSTER_ANNOTATION = 'backstage.io/kubernetes-cluster';
export const GRANT_ID_LABEL = 'frontier-guard.io/grant-id';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'frontier-guard';
export const EXPIRES_AT_ANNOTATION = 'frontier-guard.io/expires-at';
export const USER_REF_ANNOTATION = 'frontier-guard.io/user-ref';
export const GRANT_ID_ANNOTATION = 'frontier-guard.io/grant-id';

/** One cluster the provisioner may write RoleBindings to. */
export interface KubernetesClusterConfig {
  name: string;
  url: string;
  /** Bearer token of a service account allowed to manage RoleBindings. */
  serviceAccountToken?: string;
  /** File holding the token (re-read on every client creation). */
  tokenFile?: string;
  /** Cluster CA, base64-encoded PEM as in a kubeconfig (plain PEM accepted). */
  caData?: string;
  skipTLSVerify?: boolean;
  /** Overrides the provisioner-wide `userSubjectTemplate` for this cluster. */
  userSubjectTemplate?: string;
}

export interface KubernetesProvisionerOptions {
  clusters: KubernetesClusterConfig[];
  /** How a user entity ref maps to a Kubernetes user name; `{{name}}` and `{{namespace}}` are replaced. */
  userSubjectTemplate?: string;
  logger: LoggerService;
}

interface RoleBindingSettings {
  roleRef: { kind: 'ClusterRole' | 'Role'; name: string };
  /** Empty for a cluster-wide grant (ClusterRoleBinding). */
  namespace: string;
  cluster: KubernetesClusterConfig;
  name: string;
  subject: string;
}

const DEFAULT_SUBJECT_TEMPLATE = '{{name}}';

/** Renders the user subject template for an entity ref such as `user:default/alice`. */
export function renderUserSubject(template: string, userRef: string): string {
  const ref = parseEntityRef(userRef);
  if (ref.kind.toLocaleLowerCase('en-US') !== 'user') {
    throw new Error(`Expected a user entity ref, got '${userRef}'`);
  }
  return template
    .replace(/\{\{\s*name\s*\}\}/g, ref.name)
    .replace(/\{\{\s*namespace\s*\}\}/g, ref.namespace);
}

function decodeCaData(caData: string): string {
  if (caData.includes('-----BEGIN')) {
    return Buffer.from(caData, 'utf8').toString('base64');
  }
  return caData;
}

function isApiError(e: unknown, code: number): boolean {
  return (
    (e instanceof ApiException && e.code === code) ||
    (typeof e === 'object' && e !== null && (e as any).code === code)
  );
}

function describeError(e: unknown): string {
  if (e instanceof ApiException) {
    let message = '';
    try {
      const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
      message = body?.message ?? '';
    } catch {
      message = String(e.body ?? '');
    }
    return `HTTP ${e.code}${message ? `: ${message}` : ''}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Grants a Kubernetes ClusterRole/Role in one namespace by creating a
 * RoleBinding named after the grant, and removes it on deprovision.
 *
 * Policy role settings: `{ type: 'kubernetes-rolebinding', clusterRole: 'view' }`
 * or `{ type: 'kubernetes-rolebinding', role: 'my-role' }`; with `clusterWide: true`
 * (ClusterRole only) a ClusterRoleBinding is created instead. Optional
 * `namespace` and `cluster` overriding the resource annotations
 * `frontier-guard.io/kubernetes-namespace` and `backstage.io/kubernetes-cluster`.
 */
export class KubernetesRoleBindingProvisioner implements AccessProvisioner {
  readonly type = 'kubernetes-rolebinding';
  private readonly clusters: Map<string, KubernetesClusterConfig>;
  private readonly userSubjectTemplate: string;
  private readonly logger: LoggerService;

  static fromConfig(
    config: Config,
    options: { logger: LoggerService },
  ): KubernetesRoleBindingProvisioner {
    const clusters = config.getConfigArray('clusters').map(c => ({
      name: c.getString('name'),
      url: c.getString('url'),
      serviceAccountToken: c.getOptionalString('serviceAccountToken'),
      tokenFile: c.getOptionalString('tokenFile'),
      caData: c.getOptionalString('caData'),
      skipTLSVerify: c.getOptionalBoolean('skipTLSVerify'),
      userSubjectTemplate: c.getOptionalString('userSubjectTemplate'),
    }));
    return new KubernetesRoleBindingProvisioner({
      clusters,
      userSubjectTemplate: config.getOptionalString('userSubjectTemplate'),
      logger: options.logger,
    });
  }

  constructor(options: KubernetesProvisionerOptions) {
    this.clusters = new Map();
    for (const cluster of options.clusters) {
      if (!cluster.serviceAccountToken && !cluster.tokenFile) {
        throw new Error(
          `Kubernetes cluster '${cluster.name}' needs serviceAccountToken or tokenFile`,
        );
      }
      if (this.clusters.has(cluster.name)) {
        throw new Error(
          `Kubernetes cluster '${cluster.name}' is configured twice`,
        );
      }
      this.clusters.set(cluster.name, cluster);
    }
    this.userSubjectTemplate =
      options.userSubjectTemplate ?? DEFAULT_SUBJECT_TEMPLATE;
    this.logger = options.logger;
  }

  private client(cluster: KubernetesClusterConfig): RbacAuthorizationV1Api {
    const token =
      cluster.serviceAccountToken ??
      readFileSync(cluster.tokenFile!, 'utf8').trim();
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      {
        name: cluster.name,
        server: cluster.url,
        caData: cluster.caData ? decodeCaData(cluster.caData) : undefined,
        skipTLSVerify: cluster.skipTLSVerify ?? false,
      },
      { name: 'frontier-guard', token },
    );
    return kc.makeApiClient(RbacAuthorizationV1Api);
  }

  private settings(target: ProvisioningTarget): RoleBindingSettings {
    const p = target.role.provisioner ?? { type: this.type };
    const where = `role '${target.role.id}' on ${target.resource.entityRef}`;
    let roleRef: RoleBindingSettings['roleRef'];
    if (typeof p.clusterRole === 'string' && p.clusterRole) {
      roleRef = { kind: 'ClusterRole', name: p.clusterRole };
    } else if (typeof p.role === 'string' && p.role) {
      roleRef = { kind: 'Role', name: p.role };
    } else {
      throw new Error(
        `kubernetes-rolebinding provisioner for ${where} needs 'clusterRole' or 'role'`,
      );
    }
    const clusterWide = p.clusterWide === true;
    if (clusterWide && roleRef.kind !== 'ClusterRole') {
      throw new Error(
        `kubernetes-rolebinding provisioner for ${where}: clusterWide needs 'clusterRole'`,
      );
    }
    const namespace = clusterWide
      ? ''
      : (typeof p.namespace === 'string' && p.namespace) ||
        target.resource.annotations[KUBERNETES_NAMESPACE_ANNOTATION];
    if (!clusterWide && !namespace) {
      throw new Error(
        `${target.resource.entityRef} has no '${KUBERNETES_NAMESPACE_ANNOTATION}' annotation (needed for ${where})`,
      );
    }
    const clusterName =
      (typeof p.cluster === 'string' && p.cluster) ||
      target.resource.annotations[KUBERNETES_CLUSTER_ANNOTATION];
    if (!clusterName) {
      throw new Error(
        `${target.resource.entityRef} has no '${KUBERNETES_CLUSTER_ANNOTATION}' annotation (needed for ${where})`,
      );
    }
    const cluster = this.clusters.get(clusterName);
    if (!cluster) {
      throw new Error(
        `Kubernetes cluster '${clusterName}' is not configured under accessRequests.provisioners.kubernetes.clusters`,
      );
    }
    const subject = renderUserSubject(
      cluster.userSubjectTemplate ?? this.userSubjectTemplate,
      target.userRef,
    );
    return {
      roleRef,
      namespace,
      cluster,
      name: roleBindingNameFor(
        target.userRef,
        target.resource.entityRef,
        target.role.id,
      ),
      subject,
    };
  }

  private desired(
    target: ProvisioningTarget,
    s: RoleBindingSettings,
  ): V1RoleBinding {
    return {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: s.namespace ? 'RoleBinding' : 'ClusterRoleBinding',
      metadata: {
        name: s.name,
        ...(s.namespace ? { namespace: s.namespace } : {}),
        labels: {
          [GRANT_ID_LABEL]: grantIdLabelValue(target.grantId),
          [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
        },
        annotations: {
          [GRANT_ID_ANNOTATION]: target.grantId,
          [EXPIRES_AT_ANNOTATION]: target.expiresAt,
          [USER_REF_ANNOTATION]: target.userRef,
        },
      },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: s.roleRef.kind,
        name: s.roleRef.name,
      },
      subjects: [
        {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'User',
          name: s.subject,
        },
      ],
    };
  }

  /** Namespaced RoleBinding, or ClusterRoleBinding when `namespace` is empty. */
  private static bindings(api: RbacAuthorizationV1Api, namespace: string) {
    return namespace
      ? {
          create: (body: V1RoleBinding) =>
            api.createNamespacedRoleBinding({ namespace, body }),
          read: (name: string) =>
            api.readNamespacedRoleBinding({ name, namespace }),
          delete: (name: string) =>
            api.deleteNamespacedRoleBinding({ name, namespace }),
          replace: (name: string, body: V1RoleBinding) =>
            api.replaceNamespacedRoleBinding({ name, namespace, body }),
        }
      : {
          create: (body: V1RoleBinding) =>
            api.createClusterRoleBinding({ body }) as Promise<V1RoleBinding>,
          read: (name: string) =>
            api.readClusterRoleBinding({ name }) as Promise<V1RoleBinding>,
          delete: (name: string) => api.deleteClusterRoleBinding({ name }),
          replace: (name: string, body: V1RoleBinding) =>
            api.replaceClusterRoleBinding({
              name,
              body,
            }) as Promise<V1RoleBinding>,
        };
  }

  private static describeBinding(
    name: string,
    cluster: string,
    namespace: string,
  ) {
    return namespace
      ? `RoleBinding ${name} in ${cluster}/${namespace}`
      : `ClusterRoleBinding ${name} in ${cluster}`;
  }

  async provision(target: ProvisioningTarget): Promise<ProvisionResult> {
    const s = this.settings(target);
    const api = KubernetesRoleBindingProvisioner.bindings(
      this.client(s.cluster),
      s.namespace,
    );
    const body = this.desired(target, s);
    const externalId = `${s.cluster.name}/${s.namespace}/${s.name}`;
    const where = KubernetesRoleBindingProvisioner.describeBinding(
      s.name,
      s.cluster.name,
      s.namespace,
    );
    const details = {
      cluster: s.cluster.name,
      namespace: s.namespace || undefined,
      clusterWide: !s.namespace,
      roleBinding: s.name,
      roleRef: `${s.roleRef.kind}/${s.roleRef.name}`,
      subject: s.subject,
    };
    try {
      await api.create(body);
      this.logger.info(`Created ${where} for ${target.userRef}`);
      return { externalId, details };
    } catch (e) {
      if (!isApiError(e, 409)) {
        throw new Error(`Creating ${where} failed: ${describeError(e)}`);
      }
    }

    // AlreadyExists: an earlier attempt of this grant, an overlapping grant of
    // the same user/resource/role (shared binding), or a foreign object.
    let existing: V1RoleBinding;
    try {
      existing = await api.read(s.name);
    } catch (e) {
      throw new Error(`Reading existing ${where} failed: ${describeError(e)}`);
    }
    const ours =
      existing.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE &&
      existing.metadata?.annotations?.[USER_REF_ANNOTATION] === target.userRef;
    if (!ours) {
      throw new Error(
        `${where} exists but was not created by Frontier Guard for ${target.userRef}; refusing to take it over`,
      );
    }
    const sameRole =
      existing.roleRef?.kind === body.roleRef.kind &&
      existing.roleRef?.name === body.roleRef.name;
    const sameSubject =
      existing.subjects?.length === 1 &&
      existing.subjects[0].kind === 'User' &&
      existing.subjects[0].name === s.subject;
    if (sameRole && sameSubject) {
      const previousGrant =
        existing.metadata?.annotations?.[GRANT_ID_ANNOTATION];
      if (previousGrant === target.grantId) {
        return { externalId, details: { ...details, alreadyExisted: true } };
      }
      // Overlapping grant: the binding now records this grant and the later expiry.
      const previousExpiry =
        existing.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] ?? '';
      const expiresAt =
        Date.parse(previousExpiry) > Date.parse(target.expiresAt)
          ? previousExpiry
          : target.expiresAt;
      try {
        await api.replace(s.name, {
          ...body,
          metadata: {
            ...body.metadata,
            resourceVersion: existing.metadata?.resourceVersion,
            annotations: {
              ...body.metadata!.annotations,
              [EXPIRES_AT_ANNOTATION]: expiresAt,
            },
          },
        });
      } catch (e) {
        throw new Error(`Updating shared ${where} failed: ${describeError(e)}`);
      }
      return {
        externalId,
        details: {
          ...details,
          alreadyExisted: true,
          sharedWithGrant: previousGrant,
        },
      };
    }
    // roleRef is immutable in Kubernetes: recreate instead of replacing.
    try {
      await api.delete(s.name);
      await api.create(body);
    } catch (e) {
      throw new Error(`Recreating ${where} failed: ${describeError(e)}`);
    }
    this.logger.info(`Recreated ${where} for ${target.userRef}`);
    return { externalId, details: { ...details, recreated: true } };
  }

  async deprovision(
    target: ProvisioningTarget & { externalId?: string },
  ): Promise<void> {
    let clusterName: string;
    let namespace: string;
    let name: string;
    const parts = target.externalId?.split('/');
    if (parts && parts.length === 3) {
      [clusterName, namespace, name] = parts;
    } else {
      const s = this.settings(target);
      clusterName = s.cluster.name;
      namespace = s.namespace;
      name = s.name;
    }
    const cluster = this.clusters.get(clusterName);
    if (!cluster) {
      throw new Error(
        `Kubernetes cluster '${clusterName}' is not configured; cannot delete RoleBinding ${name}`,
      );
    }
    const where = KubernetesRoleBindingProvisioner.describeBinding(
      name,
      clusterName,
      namespace,
    );
    try {
      await KubernetesRoleBindingProvisioner.bindings(
        this.client(cluster),
        namespace,
      ).delete(name);
      this.logger.info(`Deleted ${where} (grant ${target.grantId})`);
    } catch (e) {
      if (isApiError(e, 404)) {
        return;
      }
      throw new Error(`Deleting ${where} failed: ${describeError(e)}`);
    }
  }
}
