import { AuthorizeResult, createPermission } from '@backstage/plugin-permission-common';
import { mockCredentials } from '@backstage/backend-test-utils';
import { modelScanPermissions } from '@internal/plugin-model-scan-common';
import { accessRequestsPermissions } from '@internal/plugin-access-requests-common';
import { auditPermissions } from '@internal/plugin-audit-common';
import { weightInventoryPermissions } from '@internal/plugin-weight-inventory-common';
import { policyExceptionsPermissions } from '@internal/plugin-policy-exceptions-common';
import { detectionsPermissions } from '@internal/plugin-detections-common';
import fs from 'node:fs';
import path from 'node:path';
import { FrontierGuardPermissionPolicy, PERMISSION_RULES } from './FrontierGuardPermissionPolicy';

const policy = new FrontierGuardPermissionPolicy();

function userWith(...groups: string[]) {
  const userEntityRef = 'user:default/someone';
  return {
    credentials: mockCredentials.user(userEntityRef),
    info: { userEntityRef, ownershipEntityRefs: [userEntityRef, ...groups] },
  };
}

const researcher = userWith('group:default/researchers', 'group:default/frontier-research');
const reviewer = userWith('group:default/security-reviewers');
const admin = userWith('group:default/platform-admins');
const nobody = userWith();

async function decision(name: string, user: ReturnType<typeof userWith> | undefined, action?: 'create' | 'read' | 'update' | 'delete') {
  const permission = createPermission({ name, attributes: action ? { action } : {} });
  const { result } = await policy.handle({ permission }, user as any);
  return result;
}

const ALLOW = AuthorizeResult.ALLOW;
const DENY = AuthorizeResult.DENY;

describe('FrontierGuardPermissionPolicy', () => {
  it.each([
    ['researcher', researcher],
    ['security reviewer', reviewer],
    ['platform admin', admin],
    ['user with no role', nobody],
  ])('lets a %s read the catalog and request access', async (_, user) => {
    expect(await decision('catalog.entity.read', user, 'read')).toBe(ALLOW);
    expect(await decision('access-requests.request.create', user, 'create')).toBe(ALLOW);
    expect(await decision('model-scan.scan.create', user, 'create')).toBe(ALLOW);
  });

  it('refuses researchers everything reserved to reviewers and admins', async () => {
    for (const name of [
      'audit.events.read',
      'model-scan.verdict.accept',
      'model-scan.scan.rescan',
      'access-requests.read-all',
      'access-requests.grant.revoke',
      'access-requests.break-glass',
      'access-requests.grant.post-hoc-review',
      'catalog.entity.delete',
      'kubernetes.proxy',
    ]) {
      expect([name, await decision(name, researcher)]).toEqual([name, DENY]);
    }
  });

  it('gives security reviewers review powers but not break-glass or catalog writes', async () => {
    expect(await decision('audit.events.read', reviewer)).toBe(ALLOW);
    expect(await decision('model-scan.verdict.accept', reviewer)).toBe(ALLOW);
    expect(await decision('access-requests.grant.post-hoc-review', reviewer)).toBe(ALLOW);
    expect(await decision('access-requests.grant.revoke', reviewer)).toBe(ALLOW);
    expect(await decision('access-requests.break-glass', reviewer)).toBe(DENY);
    expect(await decision('catalog.entity.create', reviewer, 'create')).toBe(DENY);
  });

  it('gives platform admins break-glass and catalog writes but never verdict acceptance', async () => {
    expect(await decision('access-requests.break-glass', admin)).toBe(ALLOW);
    expect(await decision('catalog.entity.delete', admin, 'delete')).toBe(ALLOW);
    expect(await decision('audit.events.read', admin)).toBe(ALLOW);
    // Only security reviewers may accept a suspicious model verdict.
    expect(await decision('model-scan.verdict.accept', admin)).toBe(DENY);
    expect(await decision('access-requests.grant.post-hoc-review', admin)).toBe(DENY);
  });

  it('closes unknown write permissions to everyone but platform admins, and opens unknown reads', async () => {
    expect(await decision('some-plugin.thing.delete', researcher, 'delete')).toBe(DENY);
    expect(await decision('some-plugin.thing.delete', reviewer, 'delete')).toBe(DENY);
    expect(await decision('some-plugin.thing.delete', admin, 'delete')).toBe(ALLOW);
    expect(await decision('some-plugin.thing.read', nobody, 'read')).toBe(ALLOW);
  });

  it('keeps detections to reviewers and admins, and ingest to service principals', async () => {
    const reads = ['detections.alert.read', 'detections.event.read'];
    const writes = ['detections.alert.triage', 'detections.alert.revoke'];
    for (const name of [...reads, ...writes]) {
      for (const user of [researcher, nobody]) expect([name, await decision(name, user)]).toEqual([name, DENY]);
      for (const user of [reviewer, admin]) expect([name, await decision(name, user)]).toEqual([name, ALLOW]);
    }
    // a read the policy lists is not opened by the "unknown reads are open" default
    expect(await decision('detections.alert.read', researcher, 'read')).toBe(DENY);
    for (const user of [researcher, reviewer, admin, nobody]) {
      expect(await decision('detections.events.ingest', user, 'create')).toBe(DENY);
    }
  });

  it('denies a request that carries no user', async () => {
    expect(await decision('catalog.entity.read', undefined, 'read')).toBe(DENY);
  });

  it('matches group refs case-insensitively, like catalog refs', async () => {
    const shouting = userWith('group:default/Security-Reviewers');
    expect(await decision('audit.events.read', shouting)).toBe(ALLOW);
  });

  it('names only real audiences', () => {
    const empty = Object.entries(PERMISSION_RULES).filter(([, audience]) => Array.isArray(audience) && audience.length === 0);
    expect(empty).toEqual([]);
  });
});

/**
 * Every permission any `plugins/*-common` package exports (a permission or a list of them),
 * collected from the packages themselves so a new family is covered without editing this test.
 */
function declaredPermissionNames(): { names: Set<string>; packages: string[] } {
  const pluginsDir = path.resolve(__dirname, '../../../../plugins');
  const names = new Set<string>();
  const packages: string[] = [];
  const isPermission = (v: unknown): v is { name: string } =>
    !!v && typeof v === 'object' && ((v as any).type === 'basic' || (v as any).type === 'resource') &&
    typeof (v as any).name === 'string' && typeof (v as any).attributes === 'object';
  for (const dir of fs.readdirSync(pluginsDir).filter(d => d.endsWith('-common')).sort()) {
    const index = path.join(pluginsDir, dir, 'src', 'index.ts');
    if (!fs.existsSync(index)) continue;
    packages.push(dir);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported: Record<string, unknown> = require(index);
    for (const value of Object.values(exported)) {
      for (const v of Array.isArray(value) ? value : [value]) if (isPermission(v)) names.add(v.name);
    }
  }
  return { names, packages };
}

describe('coverage of the plugins\' permissions', () => {
  it('gives every permission the portal plugins declare an explicit audience', () => {
    const { names, packages } = declaredPermissionNames();
    expect(packages).toEqual(expect.arrayContaining(['weight-inventory-common', 'policy-exceptions-common']));
    // The collection finds the families' own lists (so it is not vacuous).
    for (const p of [
      ...modelScanPermissions,
      ...accessRequestsPermissions,
      ...auditPermissions,
      ...weightInventoryPermissions,
      ...policyExceptionsPermissions,
      ...detectionsPermissions,
    ]) {
      expect(names).toContain(p.name);
    }
    const missing = [...names].filter(name => !(name in PERMISSION_RULES));
    expect(missing).toEqual([]);
  });

  it('has no audience for a portal permission nobody declares (a renamed permission leaves no stale rule)', () => {
    const { names } = declaredPermissionNames();
    // Only the portal families' namespaces: Backstage's own (catalog.*, kubernetes.*) are declared elsewhere.
    const ours = new Set([...names].map(n => n.split('.')[0]));
    expect(ours.size).toBeGreaterThanOrEqual(5);
    expect(Object.keys(PERMISSION_RULES).filter(name => ours.has(name.split('.')[0]) && !names.has(name))).toEqual([]);
  });
});
