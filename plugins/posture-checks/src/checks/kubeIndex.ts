/**
 * The Kubernetes side of a project, indexed: namespaces (declared or implied by the objects in
 * them), the pod specs of every workload kind, network policies, runtime classes and RBAC.
 */
import type { PostureConfig } from '../config';
import type { KubeItem, KubeObject, SourceLocation } from '../types';

/** Kinds that live outside namespaces; every other kind is namespaced. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'RuntimeClass',
  'StorageClass', 'CustomResourceDefinition', 'PriorityClass', 'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration', 'APIService', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'IngressClass', 'PodSecurityPolicy', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'ClusterIssuer', 'CertificateSigningRequest', 'FlowSchema', 'PriorityLevelConfiguration',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind) || /^Cluster[A-Z]/.test(kind);
}

export interface PodSpecRef {
  item: KubeItem;
  spec: Record<string, any>;
  /** Path of the pod spec inside the object, e.g. `spec.template.spec`. */
  specPath: string;
  /** Metadata that carries pod annotations (legacy seccomp). */
  podMetadata?: Record<string, any>;
}

export interface NamespaceInfo {
  name: string;
  object?: KubeItem;
  labels: Record<string, string>;
  /** First object seen in the namespace, to locate findings when there is no Namespace object. */
  firstObject?: KubeItem;
}

export interface KubeIndex {
  items: KubeItem[];
  namespaces: Map<string, NamespaceInfo>;
  podSpecs: PodSpecRef[];
  networkPolicies: KubeItem[];
  runtimeClasses: Map<string, KubeItem>;
  roles: KubeItem[];
  bindings: KubeItem[];
}

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pod spec of any workload kind (Pod, templates, CronJob job templates, custom kinds with a template). */
export function podSpecOf(obj: KubeObject): { spec: Record<string, any>; path: string; meta?: Record<string, any> } | undefined {
  const o = obj as Record<string, any>;
  if (obj.kind === 'Pod' && isObj(o.spec)) return { spec: o.spec, path: 'spec', meta: o.metadata };
  if (obj.kind === 'PodTemplate' && isObj(o.template?.spec)) return { spec: o.template.spec, path: 'template.spec', meta: o.template.metadata };
  if (isObj(o.spec?.jobTemplate?.spec?.template?.spec)) {
    return { spec: o.spec.jobTemplate.spec.template.spec, path: 'spec.jobTemplate.spec.template.spec', meta: o.spec.jobTemplate.spec.template.metadata };
  }
  if (isObj(o.spec?.template?.spec) && (Array.isArray(o.spec.template.spec.containers) || obj.kind !== 'Unknown')) {
    const s = o.spec.template.spec;
    if (Array.isArray(s.containers) || Array.isArray(s.initContainers)) {
      return { spec: s, path: 'spec.template.spec', meta: o.spec.template.metadata };
    }
  }
  return undefined;
}

export function namespaceOf(item: KubeItem, cfg: PostureConfig): string | undefined {
  if (isClusterScoped(item.object.kind)) return undefined;
  return item.object.metadata.namespace || cfg.kubernetes.defaultNamespace;
}

export function buildKubeIndex(items: KubeItem[], cfg: PostureConfig): KubeIndex {
  const index: KubeIndex = {
    items,
    namespaces: new Map(),
    podSpecs: [],
    networkPolicies: [],
    runtimeClasses: new Map(),
    roles: [],
    bindings: [],
  };
  const ns = (name: string): NamespaceInfo => {
    let info = index.namespaces.get(name);
    if (!info) {
      info = { name, labels: {} };
      index.namespaces.set(name, info);
    }
    return info;
  };
  for (const item of items) {
    const obj = item.object;
    if (obj.kind === 'Namespace') {
      const info = ns(obj.metadata.name);
      info.object = item;
      info.labels = { ...(obj.metadata.labels ?? {}) };
      continue;
    }
    const namespace = namespaceOf(item, cfg);
    if (namespace) {
      const info = ns(namespace);
      if (!info.firstObject) info.firstObject = item;
    }
    switch (obj.kind) {
      case 'NetworkPolicy':
        index.networkPolicies.push(item);
        break;
      case 'RuntimeClass':
        index.runtimeClasses.set(obj.metadata.name, item);
        break;
      case 'Role':
      case 'ClusterRole':
        index.roles.push(item);
        break;
      case 'RoleBinding':
      case 'ClusterRoleBinding':
        index.bindings.push(item);
        break;
      default: {
        const ps = podSpecOf(obj);
        if (ps) index.podSpecs.push({ item, spec: ps.spec, specPath: ps.path, podMetadata: ps.meta });
      }
    }
  }
  return index;
}

/** Research namespaces: not excluded, and matching the label selector when one is configured. */
export function isResearchNamespace(info: NamespaceInfo, cfg: PostureConfig): boolean {
  if (cfg.kubernetes.excludedNamespaces.includes(info.name)) return false;
  const selector = Object.entries(cfg.kubernetes.researchNamespaceSelector);
  if (selector.length === 0) return true;
  return selector.every(([k, v]) => info.labels[k] === v);
}

export function isHighRisk(info: NamespaceInfo | undefined, cfg: PostureConfig): boolean {
  if (!info) return false;
  const { key, value } = cfg.kubernetes.highRiskLabel;
  return info.labels[key] === value;
}

export function locationOfNamespace(info: NamespaceInfo): SourceLocation | undefined {
  return info.object?.location ?? info.firstObject?.location;
}
