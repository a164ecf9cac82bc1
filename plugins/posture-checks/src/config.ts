/**
 * Conventions of the checks, configurable. Defaults follow issue 8: every namespace is a research
 * namespace, `risk: high` marks high-risk namespaces, the sandbox is RuntimeClass `gvisor` with
 * handler `runsc`, every storage account holds weights.
 */

export interface SandboxRuntime {
  /** RuntimeClass name pods must use, e.g. `gvisor` or `kata-vm-isolation`. */
  runtimeClass: string;
  /** Handler the RuntimeClass must have, e.g. `runsc` or `kata`. */
  handler: string;
}

export interface PostureConfig {
  kubernetes: {
    /** Cluster the manifests deploy to (names the catalog entity `cluster-<name>` for exceptions). */
    cluster?: string;
    /** Research namespaces; empty = every namespace not excluded. Keys must all match (labels). */
    researchNamespaceSelector: Record<string, string>;
    /** Namespaces never treated as research namespaces (platform namespaces). */
    excludedNamespaces: string[];
    /** The namespace of a namespaced object that names none (manifests without `metadata.namespace`). */
    defaultNamespace: string;
    highRiskLabel: { key: string; value: string };
    sandboxes: SandboxRuntime[];
    /** CIDRs egress may reach besides in-cluster selectors; anything wider fails. */
    allowedEgressCidrs: string[];
    /** Subjects allowed to hold cluster-admin besides `system:` users/groups and kube-system service accounts. */
    allowedClusterAdminSubjects: string[];
  };
  storage: {
    /** Storage accounts that hold weights: every tag listed must match; empty = every account. */
    weightStoreTags: Record<string, string>;
    /** Accepted minimum TLS versions. */
    acceptedTlsVersions: string[];
    /** Log categories (or category groups) on the blob service that count as read logs. */
    readLogCategories: string[];
  };
  /** Check ids (or control ids) switched off. */
  disabledChecks: string[];
}

export const DEFAULT_CONFIG: PostureConfig = {
  kubernetes: {
    researchNamespaceSelector: {},
    excludedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
    defaultNamespace: 'default',
    highRiskLabel: { key: 'risk', value: 'high' },
    sandboxes: [{ runtimeClass: 'gvisor', handler: 'runsc' }],
    allowedEgressCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
    allowedClusterAdminSubjects: [],
  },
  storage: {
    weightStoreTags: {},
    acceptedTlsVersions: ['TLS1_2', 'TLS1_3'],
    readLogCategories: ['StorageRead', 'allLogs', 'audit'],
  },
  disabledChecks: [],
};

export class ConfigError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (!isRecord(v)) throw new ConfigError(`${field} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new ConfigError(`${field}.${k} must be a string`);
    out[k] = val;
  }
  return out;
}

function stringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) {
    throw new ConfigError(`${field} must be a list of strings`);
  }
  return v as string[];
}

/**
 * Merges a partial configuration (from a YAML/JSON file or app-config) over the defaults;
 * unknown keys and wrong types are refused with the field named.
 */
export function resolveConfig(input: unknown): PostureConfig {
  const cfg: PostureConfig = JSON.parse(JSON.stringify(DEFAULT_CONFIG));
  if (input === undefined || input === null) return cfg;
  if (!isRecord(input)) throw new ConfigError('configuration must be an object');
  for (const key of Object.keys(input)) {
    if (!['kubernetes', 'storage', 'disabledChecks'].includes(key)) {
      throw new ConfigError(`unknown configuration key "${key}"`);
    }
  }
  if (input.disabledChecks !== undefined) {
    cfg.disabledChecks = stringList(input.disabledChecks, 'disabledChecks');
  }
  if (input.kubernetes !== undefined) {
    const k = input.kubernetes;
    if (!isRecord(k)) throw new ConfigError('kubernetes must be an object');
    for (const [key, v] of Object.entries(k)) {
      const field = `kubernetes.${key}`;
      switch (key) {
        case 'researchNamespaceSelector':
          cfg.kubernetes.researchNamespaceSelector = stringMap(v, field);
          break;
        case 'excludedNamespaces':
          cfg.kubernetes.excludedNamespaces = stringList(v, field);
          break;
        case 'cluster':
          if (typeof v !== 'string' || !v) throw new ConfigError(`${field} must be a non-empty string`);
          cfg.kubernetes.cluster = v;
          break;
        case 'defaultNamespace':
          if (typeof v !== 'string' || !v) throw new ConfigError(`${field} must be a non-empty string`);
          cfg.kubernetes.defaultNamespace = v;
          break;
        case 'highRiskLabel': {
          if (!isRecord(v) || typeof v.key !== 'string' || typeof v.value !== 'string') {
            throw new ConfigError(`${field} must be {key, value} strings`);
          }
          cfg.kubernetes.highRiskLabel = { key: v.key, value: v.value };
          break;
        }
        case 'sandboxes': {
          if (!Array.isArray(v) || v.length === 0) throw new ConfigError(`${field} must be a non-empty list`);
          cfg.kubernetes.sandboxes = v.map((s, i) => {
            if (!isRecord(s) || typeof s.runtimeClass !== 'string' || typeof s.handler !== 'string') {
              throw new ConfigError(`${field}[${i}] must be {runtimeClass, handler} strings`);
            }
            return { runtimeClass: s.runtimeClass, handler: s.handler };
          });
          break;
        }
        case 'allowedEgressCidrs':
          cfg.kubernetes.allowedEgressCidrs = stringList(v, field);
          for (const c of cfg.kubernetes.allowedEgressCidrs) {
            if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(c)) throw new ConfigError(`${field}: "${c}" is not a CIDR`);
          }
          break;
        case 'allowedClusterAdminSubjects':
          cfg.kubernetes.allowedClusterAdminSubjects = stringList(v, field);
          break;
        default:
          throw new ConfigError(`unknown configuration key "${field}"`);
      }
    }
  }
  if (input.storage !== undefined) {
    const s = input.storage;
    if (!isRecord(s)) throw new ConfigError('storage must be an object');
    for (const [key, v] of Object.entries(s)) {
      const field = `storage.${key}`;
      switch (key) {
        case 'weightStoreTags':
          cfg.storage.weightStoreTags = stringMap(v, field);
          break;
        case 'acceptedTlsVersions':
          cfg.storage.acceptedTlsVersions = stringList(v, field);
          break;
        case 'readLogCategories':
          cfg.storage.readLogCategories = stringList(v, field);
          break;
        default:
          throw new ConfigError(`unknown configuration key "${field}"`);
      }
    }
  }
  return cfg;
}
