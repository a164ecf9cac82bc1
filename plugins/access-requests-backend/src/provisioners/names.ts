import { createHash } from 'node:crypto';

/**
 * Namespace for the name-based UUIDs of Azure role assignments created by
 * Frontier Guard (a fixed random UUID; changing it would orphan existing
 * assignments).
 */
const ROLE_ASSIGNMENT_NAMESPACE = '6f3c1c2e-5d0b-4b8e-9a51-7c2f0e4d9b13';

/** RFC 4122 version-5 (SHA-1, name-based) UUID of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) {
    throw new Error(`Invalid namespace UUID '${namespace}'`);
  }
  const hash = createHash('sha1')
    .update(ns)
    .update(Buffer.from(name, 'utf8'))
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(
    12,
    16,
  )}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The Azure role assignment name (a GUID) for a grant; same grant, same name. */
export function roleAssignmentNameForGrant(grantId: string): string {
  return uuidV5(`frontier-guard/grant/${grantId}`, ROLE_ASSIGNMENT_NAMESPACE);
}

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

/**
 * A Kubernetes label value for the grant id (<= 63 chars, alphanumeric at both
 * ends, `-_.` inside). Ids that do not fit are hashed.
 */
export function grantIdLabelValue(grantId: string): string {
  if (/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(grantId)) {
    return grantId;
  }
  return `h-${shortHash(grantId)}`;
}

function slug(value: string, max: number): string {
  const out = value
    .toLocaleLowerCase('en-US')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return out || 'x';
}

/**
 * The (Cluster)RoleBinding name for one user's role on one resource:
 * `frontier-guard-<user>-<role>-<hash of user, resource, role>`. Overlapping
 * grants of the same user/resource/role share it (as they share an Azure role
 * assignment), and the backend removes it when the last of them ends; a retry
 * finds the binding created by an earlier attempt.
 */
export function roleBindingNameFor(
  userRef: string,
  resourceRef: string,
  roleId: string,
): string {
  const userName = userRef.split('/').pop() ?? userRef;
  return `frontier-guard-${slug(userName, 30)}-${slug(roleId, 30)}-${createHash(
    'sha256',
  )
    .update(`${userRef}\n${resourceRef}\n${roleId}`)
    .digest('hex')
    .slice(0, 10)}`;
}
