/**
 * Portal roles come from catalog group membership (resolved into the user's ownership refs at
 * sign-in). One user may hold several roles.
 */
export type PortalRole = 'researcher' | 'security-reviewer' | 'platform-admin';

export const ROLE_GROUPS: Record<PortalRole, string> = {
  researcher: 'group:default/researchers',
  'security-reviewer': 'group:default/security-reviewers',
  'platform-admin': 'group:default/platform-admins',
};

export function rolesOf(ownershipEntityRefs: readonly string[]): Set<PortalRole> {
  const refs = new Set(ownershipEntityRefs.map(r => r.toLocaleLowerCase('en-US')));
  const roles = new Set<PortalRole>();
  for (const [role, group] of Object.entries(ROLE_GROUPS) as [PortalRole, string][]) {
    if (refs.has(group)) roles.add(role);
  }
  return roles;
}
