/**
 * The controls catalog: every control named in the product brief (MISSION.md) with its
 * mappings. Plugins report findings against these ids; the home page shows them.
 */

/** Research-infrastructure areas, as the brief groups them. */
export type ControlArea =
  | 'identity'
  | 'kubernetes'
  | 'secrets'
  | 'access-management'
  | 'ci-cd'
  | 'flexibility'
  | 'weight-protection'
  | 'auditing'
  | 'third-party-models';

/** Plugin families of the portal that implement (part of) a control. */
export type ControlPlugin =
  | 'foundation'
  | 'access-requests'
  | 'weight-inventory'
  | 'model-scan'
  | 'policy-exceptions'
  | 'detections';

export interface SecurityControl {
  /** Stable id, e.g. "FG-MODEL-SCAN". Findings and exceptions refer to it. */
  id: string;
  title: string;
  description: string;
  area: ControlArea;
  /** Databricks AI Security Framework control numbers, e.g. [42, 23]. */
  dasf: number[];
  /** MITRE ATLAS technique ids the control counters. */
  atlas: string[];
  /** NIST SP 800-218 / 800-218A (SSDF and its generative-AI profile) practices. */
  nist: string[];
  /** Plugins that implement the control (the plan, whether built yet or not). */
  plugins: ControlPlugin[];
}

export const securityControls: readonly SecurityControl[] = [
  {
    id: 'FG-IDENTITY-SSO-MFA',
    title: 'Single sign-on with MFA',
    description: 'Everyone signs in through Entra ID single sign-on with multi-factor authentication; the portal resolves each session to a catalog user.',
    area: 'identity',
    dasf: [1],
    atlas: ['AML.T0012'],
    nist: ['PO.5.1', 'PS.1.1'],
    plugins: ['foundation'],
  },
  {
    id: 'FG-IDENTITY-RISK',
    title: 'Risk-based verification at sign-in',
    description: 'When a session is created the user\'s Identity Protection risk is checked and risky sessions are refused; atypical sign-ins are detected.',
    area: 'identity',
    dasf: [1],
    atlas: ['AML.T0012'],
    nist: ['PO.5.1'],
    plugins: ['foundation', 'detections'],
  },
  {
    id: 'FG-IDENTITY-IP-ALLOWLIST',
    title: 'IP access lists',
    description: 'Only allowed client networks reach the portal and the workspaces it controls.',
    area: 'identity',
    dasf: [1],
    atlas: ['AML.T0012'],
    nist: ['PO.5.1'],
    plugins: ['foundation'],
  },
  {
    id: 'FG-K8S-RBAC',
    title: 'Least-privilege Kubernetes RBAC',
    description: 'Cluster access is granted through time-bound RoleBindings of the narrowest role, never standing cluster-admin.',
    area: 'kubernetes',
    dasf: [5, 43],
    atlas: ['AML.T0012'],
    nist: ['PO.5.1', 'PS.1.1'],
    plugins: ['access-requests', 'weight-inventory'],
  },
  {
    id: 'FG-K8S-ADMISSION-BASELINE',
    title: 'Admission policies for a workload baseline',
    description: 'Admission control refuses privileged containers, host access and uncontrolled network access.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1', 'PW.9.1'],
    plugins: ['weight-inventory', 'policy-exceptions'],
  },
  {
    id: 'FG-K8S-EGRESS-DENY',
    title: 'Deny-by-default egress with an allowlist',
    description: 'Workloads reach only explicitly allowed outside destinations; everything else is denied.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0025'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory', 'detections', 'policy-exceptions'],
  },
  {
    id: 'FG-K8S-PRIVATE-LINK',
    title: 'Private links instead of internet routes',
    description: 'Storage and services are reached through private endpoints, not public routes.',
    area: 'kubernetes',
    dasf: [5],
    atlas: ['AML.T0025'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-SANDBOX',
    title: 'gVisor sandbox for higher-risk workloads',
    description: 'Untrusted models and long scans run in a sandboxed runtime (gVisor) where the cluster has it.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1', 'PW.9.1'],
    plugins: ['model-scan', 'weight-inventory'],
  },
  {
    id: 'FG-SECRETS-KMS',
    title: 'Secrets in a key-management service',
    description: 'Secrets live in a KMS and are readable only by the workloads and people that need them.',
    area: 'secrets',
    dasf: [5],
    atlas: ['AML.T0055'],
    nist: ['PS.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-ACCESS-TIME-BOUND',
    title: 'Time-bound, least-privilege access',
    description: 'Access is requested for the narrowest role, granted for a limited time and falls back to no access unless renewed.',
    area: 'access-management',
    dasf: [5, 43],
    atlas: ['AML.T0012'],
    nist: ['PO.5.1', 'PS.1.1'],
    plugins: ['access-requests'],
  },
  {
    id: 'FG-ACCESS-MULTI-PARTY',
    title: 'Multi-party approval for sensitive resources',
    description: 'Access to storage holding model weights needs approvals from several distinct, eligible approvers named by policy.',
    area: 'access-management',
    dasf: [43],
    atlas: ['AML.T0035', 'AML.T0012'],
    nist: ['PS.1.1'],
    plugins: ['access-requests'],
  },
  {
    id: 'FG-ACCESS-ROLE-SUGGESTION',
    title: 'Suggested narrowest role',
    description: 'An LLM, checked by deterministic rules, suggests the narrowest role that grants what a researcher asked for; humans stay in the loop.',
    area: 'access-management',
    dasf: [43],
    atlas: [],
    nist: ['PO.5.1'],
    plugins: ['access-requests'],
  },
  {
    id: 'FG-CICD-PIPELINE-ACCESS',
    title: 'Few may create or trigger infrastructure pipelines',
    description: 'Infrastructure pipelines are created and triggered by a small set of people; merges to the deploying branch need multi-party approval.',
    area: 'ci-cd',
    dasf: [43],
    atlas: ['AML.T0010'],
    nist: ['PO.3.2', 'PS.1.1'],
    plugins: ['weight-inventory', 'policy-exceptions'],
  },
  {
    id: 'FG-CICD-CONFIG-ENFORCED',
    title: 'Expected configuration enforced by CI',
    description: 'Infrastructure as code is checked against the expected configuration on every change.',
    area: 'ci-cd',
    dasf: [43],
    atlas: ['AML.T0010'],
    nist: ['PW.7.2', 'PW.9.2'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-EXCEPTIONS-COMPENSATING',
    title: 'Exceptions only with compensating controls',
    description: 'Research exceptions to any control are granted with compensating controls, named reviewers and an expiry that reopens the finding.',
    area: 'flexibility',
    dasf: [],
    atlas: [],
    nist: ['PO.4.1', 'RV.2.2'],
    plugins: ['policy-exceptions'],
  },
  {
    id: 'FG-WEIGHTS-PROTECTION',
    title: 'Weight storage private, authenticated and multi-party',
    description: 'Weight storage is private-linked, reachable only with Azure authentication and guarded by multi-party authorization.',
    area: 'weight-protection',
    dasf: [5, 43],
    atlas: ['AML.T0035', 'AML.T0025'],
    nist: ['PS.1.1', 'PS.1.3'],
    plugins: ['weight-inventory', 'access-requests'],
  },
  {
    id: 'FG-WEIGHTS-DETECTIVE',
    title: 'Detective controls on weight access',
    description: 'Bulk downloads, access without an active grant and other misuse of weight storage raise detections.',
    area: 'weight-protection',
    dasf: [34],
    atlas: ['AML.T0035', 'AML.T0025'],
    nist: ['RV.1.1'],
    plugins: ['detections'],
  },
  {
    id: 'FG-AUDIT-TRAIL',
    title: 'Tamper-evident audit trail',
    description: 'Every security-relevant action is recorded append-only in a hash chain; any changed or deleted record is detected.',
    area: 'auditing',
    dasf: [],
    atlas: [],
    nist: ['PO.3.3', 'PS.3.1'],
    plugins: ['foundation'],
  },
  {
    id: 'FG-AUDIT-COMPLIANCE',
    title: 'Red teams, penetration tests and compliance mappings',
    description: 'Evidence for auditors: each control maps to NIST SP 800-218/218A and the CSA AI Safety Initiative.',
    area: 'auditing',
    dasf: [],
    atlas: [],
    nist: ['PO.1.1', 'RV.1.2'],
    plugins: ['foundation', 'detections'],
  },
  {
    id: 'FG-MODEL-ACL',
    title: 'ACLs on who may bring, deploy or run models',
    description: 'Only permitted people may upload, rescan, accept or promote models.',
    area: 'third-party-models',
    dasf: [43],
    atlas: ['AML.T0010.003'],
    nist: ['PO.5.1', 'PW.4.1'],
    plugins: ['model-scan', 'access-requests'],
  },
  {
    id: 'FG-MODEL-SCAN',
    title: 'Model scanning with safe/unsafe verdicts',
    description: 'Every model file is scanned (pickle imports, archive tricks, templates, ClamAV) and gets a verdict with severity, hash and MITRE ATLAS mapping; unsafe models are rejected.',
    area: 'third-party-models',
    dasf: [42],
    atlas: ['AML.T0010.003', 'AML.T0011.000', 'AML.T0018.002', 'AML.T0076'],
    nist: ['PW.4.1', 'PW.4.4', 'RV.1.1'],
    plugins: ['model-scan'],
  },
  {
    id: 'FG-MODEL-SCAN-TRIGGERS',
    title: 'Scan on download, on registry events and before promotion',
    description: 'Registry webhooks on model and version creation, downloads through the portal, periodic rescans and a promotion gate all run the scanner.',
    area: 'third-party-models',
    dasf: [23, 42],
    atlas: ['AML.T0010.003', 'AML.T0058'],
    nist: ['PW.4.4', 'PS.2.1'],
    plugins: ['model-scan'],
  },
  {
    id: 'FG-MODEL-SERVING-ISOLATION',
    title: 'Isolated serving with input and output monitoring',
    description: 'Models are served in isolation and their inputs and outputs are monitored.',
    area: 'third-party-models',
    dasf: [34],
    atlas: ['AML.T0051', 'AML.T0024'],
    nist: ['PW.9.1', 'RV.1.1'],
    plugins: ['detections', 'weight-inventory'],
  },
  {
    id: 'FG-DATA-ACCESS',
    title: 'Access control on the data models can reach',
    description: 'What a model or serving endpoint can read is limited by access control.',
    area: 'third-party-models',
    dasf: [5],
    atlas: ['AML.T0025'],
    nist: ['PS.1.1'],
    plugins: ['access-requests', 'weight-inventory'],
  },
  // Fine-grained posture checks of the weight-inventory family (issue 8).
  {
    id: 'FG-STORAGE-PUBLIC-NETWORK',
    title: 'Weight storage without public network access',
    description: 'Storage accounts holding weights have public network access disabled.',
    area: 'weight-protection',
    dasf: [5],
    atlas: ['AML.T0025'],
    nist: ['PS.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-STORAGE-SHARED-KEY',
    title: 'Weight storage without shared-key access',
    description: 'Account keys and key-signed SAS are disabled; only Entra ID authentication reaches weight storage.',
    area: 'weight-protection',
    dasf: [5],
    atlas: ['AML.T0012', 'AML.T0025'],
    nist: ['PS.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-STORAGE-ANONYMOUS-ACCESS',
    title: 'No anonymous access to weight storage',
    description: 'Anonymous blob access is off on the account and on every container.',
    area: 'weight-protection',
    dasf: [5],
    atlas: ['AML.T0025'],
    nist: ['PS.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-STORAGE-MIN-TLS',
    title: 'TLS 1.2 or later to weight storage',
    description: 'Weight storage refuses clients below TLS 1.2.',
    area: 'weight-protection',
    dasf: [5],
    atlas: [],
    nist: ['PS.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-STORAGE-NETWORK-DEFAULT-DENY',
    title: 'Weight storage network rules deny by default',
    description: 'Network rules of weight storage deny every network not explicitly allowed.',
    area: 'weight-protection',
    dasf: [5],
    atlas: ['AML.T0025'],
    nist: ['PS.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-STORAGE-CMK',
    title: 'Weight storage encrypted with customer-managed keys',
    description: 'Weights at rest are encrypted with a key the lab holds in Key Vault.',
    area: 'weight-protection',
    dasf: [5],
    atlas: ['AML.T0035'],
    nist: ['PS.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-STORAGE-BLOB-SOFT-DELETE',
    title: 'Blob soft delete on weight storage',
    description: 'Deleted or overwritten weight blobs stay recoverable for the retention period.',
    area: 'weight-protection',
    dasf: [5],
    atlas: [],
    nist: ['PS.3.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-STORAGE-CONTAINER-SOFT-DELETE',
    title: 'Container soft delete on weight storage',
    description: 'Deleted weight containers stay recoverable for the retention period.',
    area: 'weight-protection',
    dasf: [5],
    atlas: [],
    nist: ['PS.3.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-STORAGE-READ-LOGS',
    title: 'Read logs of weight storage shipped',
    description: 'A diagnostic setting on the blob service ships StorageRead (or allLogs) logs for detections.',
    area: 'weight-protection',
    dasf: [34],
    atlas: ['AML.T0025'],
    nist: ['RV.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-EGRESS-ALLOWLIST',
    title: 'Egress only to allowlisted destinations',
    description: 'Network policies of research namespaces allow egress only to in-cluster peers and allowlisted CIDRs.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0025'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-PRIVILEGED',
    title: 'No privileged containers',
    description: 'No container, init or ephemeral container of a research workload is privileged.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-HOST-PATH',
    title: 'No hostPath volumes',
    description: 'Research workloads mount no host paths.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-HOST-NAMESPACES',
    title: 'No host namespaces',
    description: 'Research pods share no host network, PID or IPC namespace.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-PRIVILEGE-ESCALATION',
    title: 'No privilege escalation',
    description: 'Every container sets allowPrivilegeEscalation: false.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-RUN-AS-NON-ROOT',
    title: 'Containers run as non-root',
    description: 'Every container runs as a non-root user.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-CAPABILITIES',
    title: 'Capabilities dropped',
    description: 'Every container drops ALL Linux capabilities.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-SECCOMP',
    title: 'Seccomp profile enforced',
    description: 'Every container runs with seccomp RuntimeDefault or a Localhost profile.',
    area: 'kubernetes',
    dasf: [34],
    atlas: ['AML.T0011.000'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-RBAC-WILDCARD',
    title: 'No wildcard RBAC rules',
    description: 'Roles list exact verbs, resources and API groups.',
    area: 'kubernetes',
    dasf: [5, 43],
    atlas: ['AML.T0012'],
    nist: ['PO.5.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-RBAC-CLUSTER-ADMIN',
    title: 'No standing cluster-admin',
    description: 'cluster-admin is bound only to system subjects, never to people or workload service accounts.',
    area: 'kubernetes',
    dasf: [43],
    atlas: ['AML.T0012'],
    nist: ['PO.5.1', 'PS.1.1'],
    plugins: ['weight-inventory'],
  },
  {
    id: 'FG-K8S-RBAC-SECRETS',
    title: 'No broad read access to secrets',
    description: 'No role grants get, list or watch on secrets, also not through wildcards.',
    area: 'kubernetes',
    dasf: [5],
    atlas: ['AML.T0055'],
    nist: ['PS.1.1'],
    plugins: ['weight-inventory'],
  },
];

const byId = new Map(securityControls.map(c => [c.id, c]));

/** The control with this id; throws on an unknown id so a typo cannot report against nothing. */
export function getSecurityControl(id: string): SecurityControl {
  const control = byId.get(id);
  if (!control) throw new Error(`Unknown security control "${id}"`);
  return control;
}

export function isSecurityControlId(id: string): boolean {
  return byId.has(id);
}

/** The ATLAS page of a technique id, e.g. AML.T0010.003. */
export function atlasTechniqueUrl(id: string): string {
  return `https://atlas.mitre.org/techniques/${id}`;
}
