import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Severity } from './types';
import { SEVERITIES } from './types';
import { parseCidr, type Cidr } from './util/net';
import { isObject } from './util/json';

const GiB = 1024 ** 3;

export interface WeightStoreConfig {
  account: string;
  /** Containers holding weights; all containers of the account when absent. */
  containers?: string[];
  /** What the store's normal jobs read per principal per window (bytes). */
  normalBytesPerWindow?: number;
}

/** Every threshold and allowlist of the rules. Defaults in DEFAULT_CONFIG; see README. */
export interface DetectionConfig {
  /** Detections of the same rule, principal and resource closer than this join one alert. */
  alertGroupWindowMinutes: number;
  /** Rule ids switched off. */
  disabledRules: string[];
  /** Severity per rule id, overriding the rule's own. */
  severityOverrides: Record<string, Severity>;
  weightStores: WeightStoreConfig[];
  /** Accounts/containers whose name contains one of these words count as weight stores. */
  weightStoreNameHints: string[];
  /**
   * Blobs with these suffixes make a container a weight store. Formats that hold model weights and
   * little else; generic binary or data formats (.bin, .pkl, .npz, .h5, .msgpack) are left out by
   * default, as build caches and datasets use them too (add them for stores that keep e.g.
   * pytorch_model.bin shards, or name the store in weightStores).
   */
  weightBlobSuffixes: string[];
  /** Research namespaces: exact names or `*` globs. */
  researchNamespaces: string[];
  /** Source CIDRs of research workloads (for firewall records, which have no namespace). */
  researchCidrs: string[];
  travel: { maxSpeedKmh: number; minDistanceKm: number; ignoreCidrs: string[] };
  riskySignIn: { levels: string[] };
  /**
   * Distributed spray: failures against many accounts from many sources (addresses, IPv6 /64s) of
   * one autonomous system (or country when the ASN is not logged) with the same user agent; an
   * office NAT is one source and cannot raise it alone.
   */
  distributedSpray: { windowMinutes: number; minAccounts: number; minSources: number; minNeverSucceededRatio: number };
  passwordSpray: {
    windowMinutes: number;
    minAccounts: number;
    /**
     * Share (0–1) of the failing accounts that did not sign in successfully from the same source
     * after failing, at or above which it is a spray: people behind an office NAT who mistype sign
     * in right after; sprayed accounts do not. 0 judges by the count alone.
     */
    minNeverSucceededRatio: number;
    /**
     * Hours before a failure in which a successful sign-in from the same source makes the account
     * one of that source's regular users (an office's staff mistyping), not a sprayed account.
     * 0: only successes after the failure count.
     */
    knownSourceHours: number;
    errorCodes: number[];
    allowCidrs: string[];
  };
  bulkRead: {
    windowMinutes: number;
    /** Threshold for a person (user) principal. */
    minBytes: number;
    /** Floor for a workload identity; its threshold is max(this, multiplier × store normal). */
    workloadMinBytes: number;
    multiplier: number;
    allowPrincipals: string[];
  };
  noGrant: { operations: string[]; includeWorkloads: boolean };
  sharedKeyAccess: { methods: string[]; allowPrincipals: string[] };
  enumeration: {
    windowMinutes: number;
    minListOps: number;
    minContainers: number;
    operations: string[];
    knownPrincipals: string[];
    /**
     * Principals first seen within this long of the first storage event (a log file's start, a
     * restart) were already around, not arriving: they are not judged on stores without weights
     * (daily jobs show up within a day). On weight stores only the first window counts so.
     */
    baselineMinutes: number;
  };
  egress: { allowDestinations: string[] };
  podExec: { subresources: string[]; allowUsers: string[] };
  clusterAdmin: { roles: string[]; allowUsers: string[] };
  secretsList: { allowUsers: string[] };
  breakGlass: { accounts: string[] };
  sigma: { extraDirs: string[]; includeShipped: boolean };
}

export const DEFAULT_CONFIG: DetectionConfig = {
  alertGroupWindowMinutes: 60,
  disabledRules: [],
  severityOverrides: {},
  weightStores: [],
  weightStoreNameHints: ['weight', 'checkpoint', 'ckpt', 'model'],
  weightBlobSuffixes: ['.safetensors', '.pt', '.pth', '.ckpt', '.gguf', '.onnx', '.tflite', '.mlmodel', '.keras'],
  researchNamespaces: ['research', 'research-*', '*-research', 'training', 'training-*', 'train-*', 'ml-*', 'llm-*', 'inference-*', 'eval-*', 'frontier-*'],
  researchCidrs: [],
  travel: { maxSpeedKmh: 1000, minDistanceKm: 500, ignoreCidrs: [] },
  riskySignIn: { levels: ['medium', 'high'] },
  distributedSpray: { windowMinutes: 60, minAccounts: 20, minSources: 5, minNeverSucceededRatio: 0.8 },
  passwordSpray: {
    windowMinutes: 60,
    minAccounts: 10,
    minNeverSucceededRatio: 0.5,
    knownSourceHours: 24,
    errorCodes: [50126, 50053, 50034, 50055, 50056, 50064, 50057, 50144, 50133],
    allowCidrs: [],
  },
  bulkRead: { windowMinutes: 60, minBytes: 10 * GiB, workloadMinBytes: 100 * GiB, multiplier: 1.5, allowPrincipals: [] },
  // Blob API and Data Lake (dfs endpoint, hierarchical namespace) names of the same reads
  noGrant: { operations: ['GetBlob', 'GetBlobProperties', 'GetBlockList', 'CopyBlob', 'CopyBlobSource', 'GetBlobMetadata', 'ReadFile', 'GetFileProperties'], includeWorkloads: false },
  sharedKeyAccess: { methods: ['sas', 'accountkey', 'anonymous'], allowPrincipals: [] },
  enumeration: {
    windowMinutes: 60,
    minListOps: 15,
    minContainers: 4,
    operations: ['ListBlobs', 'ListContainers', 'GetContainerProperties', 'GetContainerACL', 'GetContainerMetadata', 'FindBlobsByTags', 'ListFilesystems', 'ListFilesystemDir', 'ListFilesystemFile', 'GetFilesystemProperties'],
    knownPrincipals: [],
    baselineMinutes: 24 * 60,
  },
  egress: { allowDestinations: [] },
  podExec: { subresources: ['exec', 'attach'], allowUsers: [] },
  clusterAdmin: { roles: ['cluster-admin'], allowUsers: ['system:apiserver', 'system:kube-controller-manager'] },
  secretsList: { allowUsers: [] },
  breakGlass: { accounts: ['*breakglass*', '*break-glass*', '*break.glass*', '*break_glass*', 'emergency*'] },
  sigma: { extraDirs: [], includeShipped: true },
};

export class ConfigError extends Error {}

function mergeInto(base: any, over: any, path: string): any {
  if (!isObject(over)) throw new ConfigError(`${path || 'config'}: must be a map`);
  const out: any = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in base)) throw new ConfigError(`${p}: unknown setting`);
    const b = base[k];
    if (Array.isArray(b)) {
      if (!Array.isArray(v)) throw new ConfigError(`${p}: must be a list`);
      out[k] = v;
    } else if (typeof b === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`${p}: must be a non-negative number`);
      out[k] = v;
    } else if (typeof b === 'boolean') {
      if (typeof v !== 'boolean') throw new ConfigError(`${p}: must be true or false`);
      out[k] = v;
    } else if (isObject(b)) {
      out[k] = k === 'severityOverrides' ? v : mergeInto(b, v, p);
    } else out[k] = v;
  }
  return out;
}

/** Merges a partial config over the defaults, checking every field (errors name the field). */
export function resolveConfig(partial: unknown = {}): DetectionConfig {
  let p = partial;
  if (isObject(p) && isObject(p.detections)) p = p.detections;
  const cfg = mergeInto(DEFAULT_CONFIG, p ?? {}, '') as DetectionConfig;
  for (const [rule, sev] of Object.entries(cfg.severityOverrides)) {
    if (!SEVERITIES.includes(sev)) throw new ConfigError(`severityOverrides.${rule}: must be one of ${SEVERITIES.join(', ')}`);
  }
  if (cfg.passwordSpray.minNeverSucceededRatio > 1) throw new ConfigError('passwordSpray.minNeverSucceededRatio: must be between 0 and 1');
  if (cfg.distributedSpray.minNeverSucceededRatio > 1) throw new ConfigError('distributedSpray.minNeverSucceededRatio: must be between 0 and 1');
  cfg.weightStores.forEach((s, i) => {
    if (!isObject(s) || typeof s.account !== 'string' || !s.account) throw new ConfigError(`weightStores[${i}].account: required`);
    if (s.containers !== undefined && (!Array.isArray(s.containers) || s.containers.some(c => typeof c !== 'string'))) {
      throw new ConfigError(`weightStores[${i}].containers: must be a list of names`);
    }
  });
  for (const [field, list] of [
    ['researchCidrs', cfg.researchCidrs],
    ['travel.ignoreCidrs', cfg.travel.ignoreCidrs],
    ['passwordSpray.allowCidrs', cfg.passwordSpray.allowCidrs],
  ] as const) {
    list.forEach((c, i) => {
      try {
        parseCidr(String(c));
      } catch {
        throw new ConfigError(`${field}[${i}]: not a CIDR: ${JSON.stringify(c)}`);
      }
    });
  }
  return cfg;
}

export function loadConfigFile(file: string): DetectionConfig {
  const text = fs.readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${file}: cannot parse: ${(e as Error).message}`);
  }
  return resolveConfig(parsed ?? {});
}

const cidrCache = new WeakMap<string[], Cidr[]>();

/** Parsed CIDR list (memoised per config array). */
export function cidrs(list: string[]): Cidr[] {
  let c = cidrCache.get(list);
  if (!c) {
    c = list.map(parseCidr);
    cidrCache.set(list, c);
  }
  return c;
}

/** Case-insensitive `*` glob over a whole string. */
export function globMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  const parts = p.split('*');
  if (parts.length === 1) return p === v;
  if (!v.startsWith(parts[0]) || !v.endsWith(parts[parts.length - 1])) return false;
  let at = parts[0].length;
  const end = v.length - parts[parts.length - 1].length;
  for (let i = 1; i < parts.length - 1; i++) {
    const idx = v.indexOf(parts[i], at);
    if (idx < 0 || idx + parts[i].length > end) return false;
    at = idx + parts[i].length;
  }
  return at <= end;
}

export function anyGlob(patterns: string[], value: string | undefined): boolean {
  return patterns.some(p => globMatch(p, value));
}
