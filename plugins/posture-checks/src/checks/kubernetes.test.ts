import * as path from 'node:path';
import { loadProject } from '../adapters/load';
import { parseKubeYaml } from '../adapters/kubernetes';
import { kubeItemsFromTerraform, terraformResources } from '../adapters/terraform';
import { DEFAULT_CONFIG, resolveConfig } from '../config';
import { evaluateProject } from '../engine';
import type { Finding } from '../types';

const COMPLIANT = path.join(__dirname, '..', '..', 'fixtures', 'k8s', 'compliant');

function run(yaml: string, cfg = DEFAULT_CONFIG): Finding[] {
  return evaluateProject({ storageAccounts: [], kubernetes: parseKubeYaml(yaml, 'test.yaml').items }, cfg);
}

function of(findings: Finding[], controlId: string) {
  return findings.filter(f => f.controlId === controlId);
}

function failing(findings: Finding[], controlId: string) {
  return of(findings, controlId).filter(f => f.status === 'fail');
}

const NS = `apiVersion: v1
kind: Namespace
metadata: { name: research, labels: { risk: high } }
---
`;

const DENY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny, namespace: research }
spec: { podSelector: {}, policyTypes: [Egress] }
---
`;

const SAFE_POD_SPEC = `
      runtimeClassName: gvisor
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: main
          image: x
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }`;

function deployment(spec = SAFE_POD_SPEC, ns = 'research') {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: trainer, namespace: ${ns} }
spec:
  template:
    spec:${spec}
`;
}

describe('compliant research project (several files)', () => {
  it('passes every check', async () => {
    const { project, errors } = await loadProject([COMPLIANT]);
    expect(errors).toEqual([]);
    const findings = evaluateProject(project);
    expect(findings.filter(f => f.status === 'fail')).toEqual([]);
    const controls = new Set(findings.map(f => f.controlId));
    for (const id of ['FG-K8S-EGRESS-DENY', 'FG-K8S-EGRESS-ALLOWLIST', 'FG-K8S-SANDBOX', 'FG-K8S-PRIVILEGED', 'FG-K8S-HOST-PATH', 'FG-K8S-HOST-NAMESPACES',
      'FG-K8S-PRIVILEGE-ESCALATION', 'FG-K8S-RUN-AS-NON-ROOT', 'FG-K8S-CAPABILITIES', 'FG-K8S-SECCOMP', 'FG-K8S-RBAC-WILDCARD', 'FG-K8S-RBAC-SECRETS', 'FG-K8S-RBAC-CLUSTER-ADMIN']) {
      expect(controls).toContain(id);
    }
  });
});

describe('default-deny egress', () => {
  it('fails a namespace without any NetworkPolicy, located at the Namespace', () => {
    const f = failing(run(NS + deployment()), 'FG-K8S-EGRESS-DENY');
    expect(f).toHaveLength(1);
    expect(f[0].subject.key).toBe('k8s/Namespace/research');
    expect(f[0].location).toMatchObject({ file: 'test.yaml', line: 1 });
  });

  it('treats missing policyTypes as Ingress only', () => {
    const f = failing(run(`${NS}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny, namespace: research }
spec: { podSelector: {} }
`), 'FG-K8S-EGRESS-DENY');
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/Ingress only/);
  });

  it('fails when the all-pods policy has egress rules, or selects only some pods', () => {
    expect(failing(run(`${NS}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all, namespace: research }
spec: { podSelector: {}, policyTypes: [Egress], egress: [{}] }
`), 'FG-K8S-EGRESS-DENY')).toHaveLength(1);
    expect(failing(run(`${NS}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: some, namespace: research }
spec: { podSelector: { matchLabels: { app: x } }, policyTypes: [Egress] }
`), 'FG-K8S-EGRESS-DENY')).toHaveLength(1);
  });

  it('passes with empty selector, Egress and no rules (also egress: [])', () => {
    expect(failing(run(NS + DENY), 'FG-K8S-EGRESS-DENY')).toHaveLength(0);
    expect(failing(run(`${NS}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny, namespace: research }
spec: { podSelector: { matchLabels: {} }, policyTypes: [Ingress, Egress], egress: [] }
`), 'FG-K8S-EGRESS-DENY')).toHaveLength(0);
  });

  it('puts objects without a namespace in the default namespace, and skips kube-system', () => {
    const f = run(`apiVersion: v1
kind: ConfigMap
metadata: { name: c }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: d, namespace: kube-system }
`);
    expect(failing(f, 'FG-K8S-EGRESS-DENY').map(x => x.subject.name)).toEqual(['default']);
  });

  it('narrows research namespaces by label selector', () => {
    const cfg = resolveConfig({ kubernetes: { researchNamespaceSelector: { team: 'frontier' } } });
    const yaml = `apiVersion: v1
kind: Namespace
metadata: { name: a, labels: { team: frontier } }
---
apiVersion: v1
kind: Namespace
metadata: { name: b }
`;
    expect(failing(run(yaml, cfg), 'FG-K8S-EGRESS-DENY').map(x => x.subject.name)).toEqual(['a']);
  });
});

describe('egress allowlist', () => {
  const policy = (to: string) => `${NS}${DENY}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: out, namespace: research }
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - ${to}
`;
  it('fails a rule without "to" and a public CIDR; passes allowlisted CIDRs and selectors', () => {
    expect(failing(run(policy('ports: [{ port: 443 }]')), 'FG-K8S-EGRESS-ALLOWLIST')[0].path).toBe('spec.egress[0].to');
    expect(failing(run(policy('to: [{ ipBlock: { cidr: 0.0.0.0/0 } }]')), 'FG-K8S-EGRESS-ALLOWLIST')[0].path).toBe('spec.egress[0].to[0].ipBlock.cidr');
    expect(failing(run(policy('to: [{ ipBlock: { cidr: "::/0" } }]')), 'FG-K8S-EGRESS-ALLOWLIST')).toHaveLength(1);
    expect(failing(run(policy('to: [{ ipBlock: { cidr: 10.1.2.0/24 } }, { namespaceSelector: {} }]')), 'FG-K8S-EGRESS-ALLOWLIST')).toHaveLength(0);
    const cfg = resolveConfig({ kubernetes: { allowedEgressCidrs: ['20.60.0.0/16'] } });
    expect(failing(run(policy('to: [{ ipBlock: { cidr: 20.60.1.0/24 } }]'), cfg), 'FG-K8S-EGRESS-ALLOWLIST')).toHaveLength(0);
    expect(failing(run(policy('to: [{ ipBlock: { cidr: 10.1.2.0/24 } }]'), cfg), 'FG-K8S-EGRESS-ALLOWLIST')).toHaveLength(1);
  });
});

describe('sandbox', () => {
  it('fails a high-risk pod without runtimeClassName and passes gvisor', () => {
    const f = failing(run(NS + DENY + deployment(SAFE_POD_SPEC.replace('runtimeClassName: gvisor', 'runtimeClassName: runc'))), 'FG-K8S-SANDBOX');
    expect(f).toHaveLength(1);
    expect(f[0].path).toBe('spec.template.spec.runtimeClassName');
    expect(failing(run(NS + DENY + deployment()), 'FG-K8S-SANDBOX')).toHaveLength(0);
  });

  it('fails a gvisor RuntimeClass whose handler is not runsc', () => {
    const f = failing(run(`${NS}apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: { name: gvisor }
handler: runc
---
${deployment()}`), 'FG-K8S-SANDBOX');
    expect(f.map(x => x.subject.kind).sort()).toEqual(['Deployment', 'RuntimeClass']);
  });

  it('does not apply to namespaces that are not high-risk; accepts a configured Kata sandbox', () => {
    expect(of(run(deployment(SAFE_POD_SPEC.replace('runtimeClassName: gvisor', ''), 'other')), 'FG-K8S-SANDBOX')).toHaveLength(0);
    const cfg = resolveConfig({ kubernetes: { sandboxes: [{ runtimeClass: 'kata-vm-isolation', handler: 'kata' }], highRiskLabel: { key: 'tier', value: 'untrusted' } } });
    const yaml = `apiVersion: v1
kind: Namespace
metadata: { name: research, labels: { tier: untrusted } }
---
${deployment(SAFE_POD_SPEC.replace('gvisor', 'kata-vm-isolation'))}`;
    const r = of(run(yaml, cfg), 'FG-K8S-SANDBOX');
    expect(r.map(x => x.status)).toEqual(['pass']);
  });
});

describe('workload checks', () => {
  it('flags privileged init and ephemeral containers too', () => {
    const f = failing(run(`apiVersion: v1
kind: Pod
metadata: { name: p, namespace: research }
spec:
  initContainers: [{ name: init, image: x, securityContext: { privileged: true } }]
  containers: [{ name: c, image: x }]
  ephemeralContainers: [{ name: dbg, image: x, securityContext: { privileged: true } }]
`), 'FG-K8S-PRIVILEGED');
    expect(f.map(x => x.path)).toEqual(['spec.ephemeralContainers[0].securityContext.privileged', 'spec.initContainers[0].securityContext.privileged']);
  });

  it('flags hostPath and host namespaces', () => {
    const f = run(deployment(`
      hostNetwork: true
      hostPID: true
      containers: [{ name: c, image: x }]
      volumes: [{ name: h, hostPath: { path: /var/run/docker.sock } }]`));
    expect(failing(f, 'FG-K8S-HOST-PATH')[0].path).toBe('spec.template.spec.volumes[0].hostPath');
    expect(failing(f, 'FG-K8S-HOST-NAMESPACES').map(x => x.path)).toEqual(['spec.template.spec.hostNetwork', 'spec.template.spec.hostPID']);
  });

  it('applies insecure defaults: no securityContext fails escalation, non-root, capabilities and seccomp', () => {
    const f = run(deployment(`
      containers: [{ name: c, image: x }]`));
    for (const id of ['FG-K8S-PRIVILEGE-ESCALATION', 'FG-K8S-RUN-AS-NON-ROOT', 'FG-K8S-CAPABILITIES', 'FG-K8S-SECCOMP']) {
      expect(failing(f, id)).toHaveLength(1);
    }
    expect(failing(f, 'FG-K8S-SECCOMP')[0].message).toMatch(/Unconfined/);
    expect(failing(f, 'FG-K8S-PRIVILEGED')).toHaveLength(0);
  });

  it('lets a container override the pod (runAsUser 0, seccomp Unconfined) and fails added capabilities', () => {
    const f = run(deployment(`
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: c
          image: x
          securityContext: { runAsUser: 0, seccompProfile: { type: Unconfined }, capabilities: { drop: [ALL], add: [SYS_ADMIN] }, allowPrivilegeEscalation: false }`));
    expect(failing(f, 'FG-K8S-RUN-AS-NON-ROOT')[0].path).toBe('spec.template.spec.containers[0].securityContext.runAsUser');
    expect(failing(f, 'FG-K8S-SECCOMP')[0].path).toBe('spec.template.spec.containers[0].securityContext.seccompProfile.type');
    expect(failing(f, 'FG-K8S-CAPABILITIES')[0].path).toBe('spec.template.spec.containers[0].securityContext.capabilities.add[0]');
  });

  it('accepts the legacy seccomp annotation and a CronJob template', () => {
    const f = run(`apiVersion: batch/v1
kind: CronJob
metadata: { name: j, namespace: research }
spec:
  jobTemplate:
    spec:
      template:
        metadata:
          annotations: { seccomp.security.alpha.kubernetes.io/pod: runtime/default }
        spec:
          containers: [{ name: c, image: x }]
`);
    expect(of(f, 'FG-K8S-SECCOMP').map(x => x.status)).toEqual(['pass']);
    expect(failing(f, 'FG-K8S-RUN-AS-NON-ROOT')[0].path).toBe('spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot');
  });
});

describe('RBAC', () => {
  it('flags wildcard verbs, resources and API groups', () => {
    const f = failing(run(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ops }
rules:
  - { apiGroups: ["*"], resources: ["pods"], verbs: ["get"] }
  - { apiGroups: [""], resources: ["*"], verbs: ["*"] }
`), 'FG-K8S-RBAC-WILDCARD');
    expect(f.map(x => x.path)).toEqual(['rules[0].apiGroups[0]', 'rules[1].resources[0]', 'rules[1].verbs[0]']);
  });

  it('flags secret reads, also through wildcards; allows get on named secrets', () => {
    const f = run(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: a, namespace: research }
rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: b }
rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["watch"] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: c, namespace: research }
rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [mine], verbs: ["get"] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "system:controller:x" }
rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }]
`);
    expect(failing(f, 'FG-K8S-RBAC-SECRETS').map(x => x.subject.name)).toEqual(['b', 'a']);
  });

  it('flags cluster-admin bound to people and workload service accounts, not system subjects', () => {
    const f = run(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: admins }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects:
  - { kind: User, name: alice@example.com }
  - { kind: Group, name: "system:masters" }
  - { kind: ServiceAccount, name: trainer, namespace: research }
  - { kind: ServiceAccount, name: kube-proxy, namespace: kube-system }
`);
    expect(failing(f, 'FG-K8S-RBAC-CLUSTER-ADMIN').map(x => x.path)).toEqual(['subjects[0]', 'subjects[2]']);
  });
});

describe('kubernetes_* resources from a Terraform plan', () => {
  it('converts blocks and applies the same checks', () => {
    const plan = {
      format_version: '1.2',
      planned_values: {
        root_module: {
          resources: [
            { address: 'kubernetes_namespace_v1.r', mode: 'managed', type: 'kubernetes_namespace_v1', name: 'r', values: { metadata: [{ name: 'research', labels: { risk: 'high' } }] } },
            { address: 'kubernetes_network_policy_v1.deny', mode: 'managed', type: 'kubernetes_network_policy_v1', name: 'deny', values: { metadata: [{ name: 'deny', namespace: 'research' }], spec: [{ pod_selector: [{ match_labels: null, match_expressions: [] }], policy_types: ['Egress'], egress: [], ingress: [] }] } },
            {
              address: 'kubernetes_deployment_v1.t', mode: 'managed', type: 'kubernetes_deployment_v1', name: 't',
              values: { metadata: [{ name: 't', namespace: 'research' }], spec: [{ template: [{ metadata: [{ labels: { app: 't' } }], spec: [{ host_pid: true, runtime_class_name: 'gvisor', container: [{ name: 'c', image: 'x', security_context: [{ privileged: true, allow_privilege_escalation: false, run_as_non_root: true, capabilities: [{ drop: ['ALL'] }], seccomp_profile: [{ type: 'RuntimeDefault' }] }] }] }] }] }] },
            },
            { address: 'kubernetes_cluster_role_binding_v1.x', mode: 'managed', type: 'kubernetes_cluster_role_binding_v1', name: 'x', values: { metadata: [{ name: 'x' }], role_ref: [{ api_group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }], subject: [{ kind: 'User', name: 'bob' }] } },
          ],
        },
      },
    };
    const items = kubeItemsFromTerraform(terraformResources(plan, 'plan.json'));
    const f = evaluateProject({ storageAccounts: [], kubernetes: items });
    expect(failing(f, 'FG-K8S-EGRESS-DENY')).toHaveLength(0);
    expect(of(f, 'FG-K8S-EGRESS-DENY')).toHaveLength(1);
    expect(failing(f, 'FG-K8S-PRIVILEGED')[0].path).toBe('spec.template.spec.containers[0].securityContext.privileged');
    expect(failing(f, 'FG-K8S-HOST-NAMESPACES')[0].path).toBe('spec.template.spec.hostPID');
    expect(of(f, 'FG-K8S-SANDBOX').map(x => x.status)).toEqual(['pass']);
    expect(failing(f, 'FG-K8S-RBAC-CLUSTER-ADMIN')).toHaveLength(1);
    expect(failing(f, 'FG-K8S-SECCOMP')).toHaveLength(0);
  });
});
