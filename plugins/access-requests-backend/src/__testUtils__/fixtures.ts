import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { Entity } from '@backstage/catalog-model';
import type { AccessProvisioner, ProvisioningTarget } from '@internal/plugin-access-requests-node';
import { AccessPolicy } from '@internal/plugin-access-requests-common';
import { LoadedPolicy, loadPolicyDirectory, parsePolicy } from '../domain/policies';
import { PolicySource } from '../service/AccessRequestsService';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const POLICY_DIR = path.join(REPO_ROOT, 'catalog/policies');
export const T0 = new Date('2026-03-01T10:00:00.000Z');

export const ALICE = 'user:default/alice';
export const ERIN = 'user:default/erin';
export const BOB = 'user:default/bob';
export const CAROL = 'user:default/carol';
export const DAVE = 'user:default/dave';
export const MALLORY = 'user:default/mallory';
export const SEC = 'group:default/security-reviewers';
export const OWNERS = 'group:default/frontier-research';
export const ADMINS = 'group:default/platform-admins';

export const W7B = 'resource:default/weights-frontier-7b';
export const W70B = 'resource:default/weights-frontier-70b';
export const NS = 'resource:default/research-sandbox-namespace';
export const FLAKY = 'resource:default/flaky-store';

function user(name: string, groups: string[]): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name, namespace: 'default' },
    spec: { memberOf: groups.map(g => g.replace(/^group:default\//, '')) },
    relations: groups.map(g => ({ type: 'memberOf', targetRef: g })),
  };
}
function group(name: string, members: string[]): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default' },
    spec: { type: 'team', children: [] },
    relations: members.map(m => ({ type: 'hasMember', targetRef: m })),
  };
}

/** The demo org (mallory is in both frontier-research and security-reviewers). */
export function orgEntities(overrides: Record<string, string[]> = {}): Entity[] {
  const memberships: Record<string, string[]> = {
    alice: [OWNERS, 'group:default/researchers'],
    erin: [OWNERS, 'group:default/researchers'],
    bob: [SEC],
    carol: [SEC],
    dave: [ADMINS],
    mallory: [OWNERS, SEC],
    ...overrides,
  };
  const users = Object.entries(memberships).map(([n, g]) => user(n, g));
  const groups = [SEC, OWNERS, ADMINS, 'group:default/researchers'].map(g =>
    group(
      g.split('/')[1],
      Object.entries(memberships)
        .filter(([, gs]) => gs.includes(g))
        .map(([n]) => `user:default/${n}`),
    ),
  );
  return [...users, ...groups];
}

/** The real catalog/resources.yaml plus one test resource whose provisioner fails. */
export function resourceEntities(): Entity[] {
  const docs = yaml.loadAll(fs.readFileSync(path.join(REPO_ROOT, 'catalog/resources.yaml'), 'utf8')) as Entity[];
  const withNs = docs.map(d => ({ ...d, metadata: { namespace: 'default', ...d.metadata } }));
  return [
    ...withNs,
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'flaky-store',
        namespace: 'default',
        title: 'Flaky store',
        annotations: { 'frontier-guard.io/access-policy': 'flaky' },
      },
      spec: { type: 'weight-store', owner: 'group:default/frontier-research' },
    },
  ];
}

export const flakyPolicy: AccessPolicy = parsePolicy(
  `
name: flaky
kind: flexible
maxDurationMinutes: 120
requireJustification: false
roles:
  - { id: reader, title: Reader, allows: [read], privilege: 1, selfService: true, provisioner: { type: flaky } }
`,
  'flaky',
);

export async function testPolicies(): Promise<PolicySource & { map: Map<string, LoadedPolicy> }> {
  const { policies, errors } = await loadPolicyDirectory(POLICY_DIR);
  if (errors.length) throw new Error(JSON.stringify(errors));
  policies.set('flaky', { policy: flakyPolicy, digest: 'x', file: 'flaky' });
  return { map: policies, get: (n: string) => policies.get(n) };
}

/** Test double for a provisioner: records calls; can be told to fail. */
export class RecordingProvisioner implements AccessProvisioner {
  provisioned: ProvisioningTarget[] = [];
  deprovisioned: Array<ProvisioningTarget & { externalId?: string }> = [];
  failWith?: string;
  constructor(readonly type: string) {}
  async provision(target: ProvisioningTarget) {
    if (this.failWith) throw new Error(this.failWith);
    this.provisioned.push(target);
    return { externalId: `${this.type}:${target.grantId}` };
  }
  async deprovision(target: ProvisioningTarget & { externalId?: string }) {
    this.deprovisioned.push(target);
  }
}

// the recording auditor is shared by every backend's tests
export { recordingAuditor } from '@internal/test-stand-ins';
export type { RecordedAuditEvent } from '@internal/test-stand-ins';
