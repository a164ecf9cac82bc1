/**
 * Research-cluster checks (issue 8, detection-posture.md section 2). Kubernetes defaults count:
 * no `policyTypes` means Ingress only (plus Egress only when egress rules exist), no seccomp
 * profile means Unconfined, no `allowPrivilegeEscalation` means allowed, no `runAsNonRoot` means
 * the image's user (root by default).
 */
import type { PostureConfig } from '../config';
import type { CheckResult, KubeItem, Subject } from '../types';
import { cidrWithin, parseCidr } from './cidr';
import {
  isHighRisk,
  isResearchNamespace,
  KubeIndex,
  locationOfNamespace,
  namespaceOf,
  PodSpecRef,
} from './kubeIndex';

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The subject type of the kinds that are not workloads. */
const SUBJECT_TYPE_OF_KIND: Partial<Record<string, Subject['type']>> = {
  NetworkPolicy: 'network-policy',
  RuntimeClass: 'runtime-class',
  Role: 'role',
  ClusterRole: 'role',
  RoleBinding: 'role-binding',
  ClusterRoleBinding: 'role-binding',
  Namespace: 'namespace',
};

export function objectSubject(item: KubeItem, cfg: PostureConfig): Subject {
  const o = item.object;
  const ns = namespaceOf(item, cfg);
  const type: Subject['type'] = SUBJECT_TYPE_OF_KIND[o.kind] ?? 'workload';
  return {
    type,
    key: ns ? `k8s/${ns}/${o.kind}/${o.metadata.name}` : `k8s/${o.kind}/${o.metadata.name}`,
    name: o.metadata.name,
    namespace: ns,
    kind: o.kind,
  };
}

function namespaceSubject(name: string): Subject {
  return { type: 'namespace', key: `k8s/Namespace/${name}`, name, namespace: name, kind: 'Namespace' };
}

/** Pod specs in research namespaces. */
function researchPodSpecs(index: KubeIndex, cfg: PostureConfig): PodSpecRef[] {
  return index.podSpecs.filter(p => {
    const ns = namespaceOf(p.item, cfg);
    const info = ns ? index.namespaces.get(ns) : undefined;
    return info ? isResearchNamespace(info, cfg) : false;
  });
}

interface ContainerRef {
  c: Record<string, any>;
  path: string;
  name: string;
}

function containersOf(p: PodSpecRef): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = p.spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      if (isObj(c)) out.push({ c, path: `${p.specPath}.${field}[${i}]`, name: String(c.name ?? i) });
    });
  }
  return out;
}

/** One fail per violation, or one pass for the workload when there is none. */
function perWorkload(
  index: KubeIndex,
  cfg: PostureConfig,
  evaluate: (p: PodSpecRef) => { violations: { path: string; message: string }[]; passPath: string; passMessage: string },
): CheckResult[] {
  const out: CheckResult[] = [];
  for (const p of researchPodSpecs(index, cfg)) {
    const subject = objectSubject(p.item, cfg);
    const r = evaluate(p);
    if (r.violations.length === 0) {
      out.push({ status: 'pass', subject, path: r.passPath, message: r.passMessage, location: p.item.location });
    } else {
      for (const v of r.violations) out.push({ status: 'fail', subject, path: v.path, message: v.message, location: p.item.location });
    }
  }
  return out;
}

export function checkPrivileged(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  return perWorkload(index, cfg, p => {
    const violations = [];
    for (const { c, path, name } of containersOf(p)) {
      if (c.securityContext?.privileged === true) {
        violations.push({ path: `${path}.securityContext.privileged`, message: `Container ${name} is privileged` });
      }
      if (c.securityContext?.windowsOptions?.hostProcess === true) {
        violations.push({ path: `${path}.securityContext.windowsOptions.hostProcess`, message: `Container ${name} is a Windows host process` });
      }
    }
    if (p.spec.securityContext?.windowsOptions?.hostProcess === true) {
      violations.push({ path: `${p.specPath}.securityContext.windowsOptions.hostProcess`, message: 'Pod runs as a Windows host process' });
    }
    return { violations, passPath: `${p.specPath}.containers[*].securityContext.privileged`, passMessage: 'No privileged container (containers, init and ephemeral containers)' };
  });
}

export function checkHostPath(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  return perWorkload(index, cfg, p => {
    const violations: { path: string; message: string }[] = [];
    const vols = Array.isArray(p.spec.volumes) ? p.spec.volumes : [];
    vols.forEach((v: any, i: number) => {
      if (isObj(v) && v.hostPath !== undefined && v.hostPath !== null) {
        violations.push({ path: `${p.specPath}.volumes[${i}].hostPath`, message: `Volume ${v.name ?? i} mounts host path ${v.hostPath?.path ?? ''}`.trim() });
      }
    });
    return { violations, passPath: `${p.specPath}.volumes`, passMessage: 'No hostPath volume' };
  });
}

export function checkHostNamespaces(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  return perWorkload(index, cfg, p => {
    const violations = [];
    for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (p.spec[f] === true) violations.push({ path: `${p.specPath}.${f}`, message: `Pod shares the host's ${f.slice(4)} namespace (${f}: true)` });
    }
    return { violations, passPath: `${p.specPath}.hostNetwork`, passMessage: 'No host network, PID or IPC namespace' };
  });
}

export function checkPrivilegeEscalation(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  return perWorkload(index, cfg, p => {
    const violations = [];
    for (const { c, path, name } of containersOf(p)) {
      const v = c.securityContext?.allowPrivilegeEscalation;
      if (v !== false) {
        violations.push({
          path: `${path}.securityContext.allowPrivilegeEscalation`,
          message: v === undefined ? `Container ${name} does not set allowPrivilegeEscalation: false (default allows escalation)` : `Container ${name} sets allowPrivilegeEscalation: ${JSON.stringify(v)}`,
        });
      }
    }
    return { violations, passPath: `${p.specPath}.containers[*].securityContext.allowPrivilegeEscalation`, passMessage: 'Every container sets allowPrivilegeEscalation: false' };
  });
}

export function checkRunAsNonRoot(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  return perWorkload(index, cfg, p => {
    const violations = [];
    const pod = isObj(p.spec.securityContext) ? p.spec.securityContext : {};
    for (const { c, path, name } of containersOf(p)) {
      const sc = isObj(c.securityContext) ? c.securityContext : {};
      const user = sc.runAsUser ?? pod.runAsUser;
      const userPath = sc.runAsUser !== undefined ? `${path}.securityContext.runAsUser` : `${p.specPath}.securityContext.runAsUser`;
      const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
      const nonRootPath = sc.runAsNonRoot !== undefined ? `${path}.securityContext.runAsNonRoot` : `${p.specPath}.securityContext.runAsNonRoot`;
      if (user === 0 || user === '0') {
        violations.push({ path: userPath, message: `Container ${name} runs as user 0 (root)` });
      } else if (nonRoot === true) {
        // runs as non-root (enforced by the kubelet)
      } else if (typeof user === 'number' && user > 0) {
        // explicit non-root uid
      } else {
        violations.push({
          path: nonRootPath,
          message: nonRoot === false ? `Container ${name} sets runAsNonRoot: false` : `Container ${name} may run as root (no runAsNonRoot: true or non-zero runAsUser)`,
        });
      }
    }
    return { violations, passPath: `${p.specPath}.securityContext.runAsNonRoot`, passMessage: 'Every container runs as non-root' };
  });
}

export function checkCapabilities(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  return perWorkload(index, cfg, p => {
    const violations = [];
    for (const { c, path, name } of containersOf(p)) {
      const caps = c.securityContext?.capabilities;
      const drop: unknown[] = Array.isArray(caps?.drop) ? caps.drop : [];
      if (!drop.some(d => typeof d === 'string' && d.toUpperCase() === 'ALL')) {
        violations.push({ path: `${path}.securityContext.capabilities.drop`, message: `Container ${name} does not drop ALL capabilities` });
      }
      const add: unknown[] = Array.isArray(caps?.add) ? caps.add : [];
      add.forEach((a, i) => {
        const cap = String(a).toUpperCase().replace(/^CAP_/, '');
        if (cap !== 'NET_BIND_SERVICE') {
          violations.push({ path: `${path}.securityContext.capabilities.add[${i}]`, message: `Container ${name} adds capability ${String(a)}` });
        }
      });
    }
    return { violations, passPath: `${p.specPath}.containers[*].securityContext.capabilities.drop`, passMessage: 'Every container drops ALL capabilities' };
  });
}

function seccompFromAnnotation(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (v === 'runtime/default' || v === 'docker/default') return 'RuntimeDefault';
  if (v.startsWith('localhost/')) return 'Localhost';
  if (v === 'unconfined') return 'Unconfined';
  return undefined;
}

export function checkSeccomp(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  return perWorkload(index, cfg, p => {
    const violations = [];
    const ann = (p.podMetadata?.annotations ?? {}) as Record<string, unknown>;
    const podType = p.spec.securityContext?.seccompProfile?.type ?? seccompFromAnnotation(ann['seccomp.security.alpha.kubernetes.io/pod']);
    for (const { c, path, name } of containersOf(p)) {
      const own = c.securityContext?.seccompProfile?.type ?? seccompFromAnnotation(ann[`container.seccomp.security.alpha.kubernetes.io/${name}`]);
      const type = own ?? podType;
      if (type !== 'RuntimeDefault' && type !== 'Localhost') {
        // the pod's profile is to blame when the container sets none of its own
        const blamed = own === undefined && podType !== undefined ? p.specPath : path;
        const where = `${blamed}.securityContext.seccompProfile.type`;
        violations.push({ path: where, message: type === undefined ? `Container ${name} has no seccomp profile (Unconfined)` : `Container ${name} uses seccomp profile ${JSON.stringify(type)}` });
      }
    }
    return { violations, passPath: `${p.specPath}.securityContext.seccompProfile.type`, passMessage: 'Every container uses seccomp RuntimeDefault or Localhost' };
  });
}

export function checkSandbox(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  const out: CheckResult[] = [];
  const sandboxes = cfg.kubernetes.sandboxes;
  // A RuntimeClass named like a sandbox must use the sandbox's handler.
  for (const s of sandboxes) {
    const rc = index.runtimeClasses.get(s.runtimeClass);
    if (!rc) continue;
    const handler = (rc.object as any).handler;
    out.push({
      status: handler === s.handler ? 'pass' : 'fail',
      subject: objectSubject(rc, cfg),
      path: 'handler',
      message: handler === s.handler ? `RuntimeClass ${s.runtimeClass} uses handler ${s.handler}` : `RuntimeClass ${s.runtimeClass} uses handler ${JSON.stringify(handler)}, not the sandbox ${s.handler}`,
      location: rc.location,
    });
  }
  for (const p of researchPodSpecs(index, cfg)) {
    const ns = namespaceOf(p.item, cfg)!;
    if (!isHighRisk(index.namespaces.get(ns), cfg)) continue;
    const subject = objectSubject(p.item, cfg);
    const rcName = p.spec.runtimeClassName;
    const path = `${p.specPath}.runtimeClassName`;
    const sandbox = sandboxes.find(s => s.runtimeClass === rcName);
    if (!sandbox) {
      out.push({ status: 'fail', subject, path, message: rcName ? `Pod of high-risk namespace ${ns} uses RuntimeClass ${rcName}, not a sandbox (${sandboxes.map(s => s.runtimeClass).join(', ')})` : `Pod of high-risk namespace ${ns} runs without a sandboxed runtime (no runtimeClassName)`, location: p.item.location });
      continue;
    }
    const rc = index.runtimeClasses.get(rcName);
    const handler = rc ? (rc.object as any).handler : undefined;
    if (rc && handler !== sandbox.handler) {
      out.push({ status: 'fail', subject, path, message: `RuntimeClass ${rcName} has handler ${JSON.stringify(handler)}, not ${sandbox.handler}`, location: p.item.location });
    } else {
      out.push({ status: 'pass', subject, path, message: `Pod runs in sandbox RuntimeClass ${rcName}${rc ? ` (handler ${handler})` : ''}`, location: p.item.location });
    }
  }
  return out;
}

function isEmptySelector(sel: unknown): boolean {
  if (sel === undefined || sel === null) return true;
  if (!isObj(sel)) return false;
  const labels = sel.matchLabels;
  const exprs = sel.matchExpressions;
  return (!labels || (isObj(labels) && Object.keys(labels).length === 0)) && (!exprs || (Array.isArray(exprs) && exprs.length === 0));
}

/** Effective policy types: absent means Ingress, plus Egress when the policy has egress rules. */
export function policyTypesOf(spec: Record<string, any>): string[] {
  if (Array.isArray(spec.policyTypes)) return spec.policyTypes.map(String);
  const types = ['Ingress'];
  if (Array.isArray(spec.egress) && spec.egress.length > 0) types.push('Egress');
  return types;
}

export function checkEgressDefaultDeny(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  const out: CheckResult[] = [];
  for (const info of index.namespaces.values()) {
    if (!isResearchNamespace(info, cfg)) continue;
    const nps = index.networkPolicies.filter(np => namespaceOf(np, cfg) === info.name);
    const deny = nps.find(np => {
      const spec = (np.object as any).spec;
      if (!isObj(spec)) return false;
      return isEmptySelector(spec.podSelector) && policyTypesOf(spec).includes('Egress') && (spec.egress === undefined || spec.egress === null || (Array.isArray(spec.egress) && spec.egress.length === 0));
    });
    if (deny) {
      out.push({ status: 'pass', subject: namespaceSubject(info.name), path: 'spec.policyTypes', message: `NetworkPolicy ${deny.object.metadata.name} denies all egress by default`, location: deny.location });
      continue;
    }
    // Explain the closest miss.
    const nearest = nps.find(np => isEmptySelector((np.object as any).spec?.podSelector));
    let message = `Namespace ${info.name} has no default-deny egress NetworkPolicy (empty podSelector, Egress in policyTypes, no egress rules)`;
    let path = 'spec.policyTypes';
    let location = locationOfNamespace(info);
    if (nearest) {
      const spec = (nearest.object as any).spec ?? {};
      location = nearest.location;
      if (!policyTypesOf(spec).includes('Egress')) {
        message = `NetworkPolicy ${nearest.object.metadata.name} selects every pod but does not cover Egress (policyTypes ${Array.isArray(spec.policyTypes) ? JSON.stringify(spec.policyTypes) : 'absent: Ingress only'})`;
      } else {
        path = 'spec.egress';
        message = `NetworkPolicy ${nearest.object.metadata.name} selects every pod but allows egress (spec.egress has ${spec.egress.length} rule(s))`;
      }
    }
    out.push({ status: 'fail', subject: namespaceSubject(info.name), path, message, location });
  }
  return out;
}

export function checkEgressAllowlist(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  const out: CheckResult[] = [];
  const allowed = cfg.kubernetes.allowedEgressCidrs.map(parseCidr).filter(c => c !== undefined);
  for (const np of index.networkPolicies) {
    const ns = namespaceOf(np, cfg)!;
    const info = index.namespaces.get(ns);
    if (!info || !isResearchNamespace(info, cfg)) continue;
    const spec = (np.object as any).spec;
    if (!isObj(spec) || !policyTypesOf(spec).includes('Egress')) continue;
    const rules = Array.isArray(spec.egress) ? spec.egress : [];
    const subject = objectSubject(np, cfg);
    const violations: { path: string; message: string }[] = [];
    rules.forEach((rule: any, i: number) => {
      const to = isObj(rule) ? rule.to : undefined;
      if (!Array.isArray(to) || to.length === 0) {
        violations.push({ path: `spec.egress[${i}].to`, message: `Egress rule ${i} allows every destination (no "to")` });
        return;
      }
      to.forEach((peer: any, j: number) => {
        const cidrText = isObj(peer) && isObj(peer.ipBlock) ? peer.ipBlock.cidr : undefined;
        if (cidrText === undefined) return; // pod/namespace selectors stay inside the cluster
        const cidr = typeof cidrText === 'string' ? parseCidr(cidrText) : undefined;
        if (!cidr || !allowed.some(a => cidrWithin(cidr, a!))) {
          violations.push({ path: `spec.egress[${i}].to[${j}].ipBlock.cidr`, message: `Egress rule ${i} allows ${String(cidrText)}, outside the allowlist (${cfg.kubernetes.allowedEgressCidrs.join(', ') || 'empty'})` });
        }
      });
    });
    if (violations.length === 0) {
      out.push({ status: 'pass', subject, path: 'spec.egress', message: `NetworkPolicy ${np.object.metadata.name} allows egress only to in-cluster peers and allowlisted CIDRs`, location: np.location });
    } else {
      for (const v of violations) out.push({ status: 'fail', subject, ...v, location: np.location });
    }
  }
  return out;
}

function isDefaultRbac(item: KubeItem): boolean {
  const o = item.object;
  return o.metadata.name.startsWith('system:') || o.metadata.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults';
}

function rulesOf(item: KubeItem): any[] {
  const r = (item.object as any).rules;
  return Array.isArray(r) ? r : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

export function checkRbacWildcards(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  const out: CheckResult[] = [];
  for (const role of index.roles) {
    if (isDefaultRbac(role)) continue;
    const subject = objectSubject(role, cfg);
    const violations: { path: string; message: string }[] = [];
    rulesOf(role).forEach((rule, i) => {
      for (const field of ['verbs', 'resources', 'apiGroups', 'nonResourceURLs']) {
        const list = strings(rule?.[field]);
        const k = list.findIndex(x => x === '*' || (field === 'resources' && x.endsWith('/*')));
        if (k >= 0) violations.push({ path: `rules[${i}].${field}[${k}]`, message: `Rule ${i} grants wildcard ${field} (${list[k]})` });
      }
    });
    if (violations.length === 0) out.push({ status: 'pass', subject, path: 'rules', message: 'No wildcard verbs, resources or API groups', location: role.location });
    for (const v of violations) out.push({ status: 'fail', subject, ...v, location: role.location });
  }
  return out;
}

export function checkRbacSecrets(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  const out: CheckResult[] = [];
  const readVerbs = new Set(['get', 'list', 'watch', '*']);
  for (const role of index.roles) {
    if (isDefaultRbac(role)) continue;
    const subject = objectSubject(role, cfg);
    const violations: { path: string; message: string }[] = [];
    rulesOf(role).forEach((rule, i) => {
      const groups = strings(rule?.apiGroups);
      const resources = strings(rule?.resources);
      const verbs = strings(rule?.verbs).map(v => v.toLowerCase());
      if (!groups.some(g => g === '' || g === '*')) return;
      if (!resources.some(r => r === 'secrets' || r === '*')) return;
      const reads = verbs.filter(v => readVerbs.has(v));
      if (reads.length === 0) return;
      const named = strings(rule?.resourceNames).length > 0;
      // get on named secrets only is the narrow form; list/watch/* still expose every secret.
      if (named && reads.every(v => v === 'get')) return;
      violations.push({ path: `rules[${i}].verbs`, message: `Rule ${i} grants ${reads.join('/')} on ${resources.includes('secrets') ? 'secrets' : 'every resource (*), including secrets'}` });
    });
    if (violations.length === 0) out.push({ status: 'pass', subject, path: 'rules', message: 'No read access to secrets', location: role.location });
    for (const v of violations) out.push({ status: 'fail', subject, ...v, location: role.location });
  }
  return out;
}

export function checkClusterAdminBindings(index: KubeIndex, cfg: PostureConfig): CheckResult[] {
  const out: CheckResult[] = [];
  for (const b of index.bindings) {
    const o = b.object as any;
    const ref = o.roleRef ?? {};
    if (ref.kind !== 'ClusterRole' || ref.name !== 'cluster-admin') continue;
    const subject = objectSubject(b, cfg);
    const violations: { path: string; message: string }[] = [];
    const subjects = Array.isArray(o.subjects) ? o.subjects : [];
    subjects.forEach((s: any, i: number) => {
      const name = String(s?.name ?? '');
      const kind = String(s?.kind ?? '');
      if (cfg.kubernetes.allowedClusterAdminSubjects.includes(name)) return;
      if ((kind === 'User' || kind === 'Group') && name.startsWith('system:')) return;
      if (kind === 'ServiceAccount' && (s?.namespace === 'kube-system' || name.startsWith('system:'))) return;
      violations.push({ path: `subjects[${i}]`, message: `cluster-admin is bound to ${kind} ${kind === 'ServiceAccount' ? `${s?.namespace ?? ''}/` : ''}${name}` });
    });
    if (violations.length === 0) out.push({ status: 'pass', subject, path: 'subjects', message: 'cluster-admin bound only to system subjects', location: b.location });
    for (const v of violations) out.push({ status: 'fail', subject, ...v, location: b.location });
  }
  return out;
}
