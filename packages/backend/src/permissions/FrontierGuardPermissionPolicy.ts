import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { PortalRole, rolesOf } from './roles';

/**
 * Who may do what, by permission name. `everyone` means any signed-in user.
 * A permission that is not listed is allowed for everyone when it only reads
 * (action "read") and otherwise only for platform admins: new write actions
 * are closed until someone decides who should have them.
 */
type Audience = 'everyone' | 'no-user' | PortalRole[];

export const PERMISSION_RULES: Record<string, Audience> = {
  // catalog
  'catalog.entity.read': 'everyone',
  'catalog.entity.validate': 'everyone',
  'catalog.location.read': 'everyone',
  'catalog.entity.refresh': ['platform-admin', 'security-reviewer'],
  'catalog.entity.create': ['platform-admin'],
  'catalog.entity.delete': ['platform-admin'],
  'catalog.location.create': ['platform-admin'],
  'catalog.location.delete': ['platform-admin'],
  'catalog.location.analyze': ['platform-admin'],

  // kubernetes
  'kubernetes.clusters.read': 'everyone',
  'kubernetes.resources.read': 'everyone',
  'kubernetes.proxy': ['platform-admin'],

  // audit trail
  'audit.events.read': ['security-reviewer', 'platform-admin'],

  // model scanning (DASF 43: who may bring, scan and accept models)
  'model-scan.scan.create': 'everyone',
  'model-scan.scan.read': 'everyone',
  'model-scan.gate.read': 'everyone',
  'model-scan.scan.rescan': ['security-reviewer', 'platform-admin'],
  'model-scan.verdict.accept': ['security-reviewer'],

  // access requests (eligibility to review a given request is decided by its frozen policy)
  'access-requests.request.create': 'everyone',
  'access-requests.request.read': 'everyone',
  'access-requests.request.review': 'everyone',
  'access-requests.grant.read': 'everyone',
  'access-requests.read-all': ['security-reviewer', 'platform-admin'],
  'access-requests.grant.revoke': ['security-reviewer', 'platform-admin'],
  'access-requests.grant.post-hoc-review': ['security-reviewer'],
  'access-requests.break-glass': ['platform-admin'],

  // policy exceptions (who may decide a given exception is checked again in the plugin: current
  // reviewer membership, no self-approval, the owner never approves)
  'policy-exceptions.exception.create': 'everyone',
  'policy-exceptions.exception.read': 'everyone',
  'policy-exceptions.coverage.read': 'everyone',
  'policy-exceptions.exception.review': ['security-reviewer'],
  'policy-exceptions.exception.revoke': ['security-reviewer'],
  'policy-exceptions.export': ['security-reviewer', 'platform-admin'],
  'policy-exceptions.checks.run': ['security-reviewer', 'platform-admin'],

  // weight inventory (posture of stores and clusters is readable by every signed-in user)
  'weight-inventory.read': 'everyone',
  'weight-inventory.refresh': ['security-reviewer', 'platform-admin'],

  // detections (alerts and events are for reviewers; ingest is for service principals only,
  // which the framework authorizes before any policy: no user may ingest)
  'detections.alert.read': ['security-reviewer', 'platform-admin'],
  'detections.alert.triage': ['security-reviewer', 'platform-admin'],
  'detections.alert.revoke': ['security-reviewer', 'platform-admin'],
  'detections.event.read': ['security-reviewer', 'platform-admin'],
  'detections.events.ingest': 'no-user',
};

export function decide(
  permission: { name: string; attributes: { action?: string } },
  roles: ReadonlySet<PortalRole>,
): AuthorizeResult.ALLOW | AuthorizeResult.DENY {
  const audience: Audience | undefined = PERMISSION_RULES[permission.name];
  if (audience === undefined) {
    if (permission.attributes.action === 'read') return AuthorizeResult.ALLOW;
    return roles.has('platform-admin') ? AuthorizeResult.ALLOW : AuthorizeResult.DENY;
  }
  if (audience === 'everyone') return AuthorizeResult.ALLOW;
  if (audience === 'no-user') return AuthorizeResult.DENY;
  return audience.some(role => roles.has(role))
    ? AuthorizeResult.ALLOW
    : AuthorizeResult.DENY;
}

export class FrontierGuardPermissionPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    // Users only: service-to-service calls are authorized by the framework before the policy.
    if (!user) return { result: AuthorizeResult.DENY };
    const roles = rolesOf(user.info.ownershipEntityRefs ?? []);
    const result = decide(request.permission, roles);
    return { result };
  }
}
