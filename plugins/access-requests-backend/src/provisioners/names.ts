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

/**
 * The RoleBinding name for a grant: `frontier-guard-<grant id>` when the id is
 * a valid lowercase DNS label part, otherwise a hash of it. Deterministic so
 * retries find the binding created by an earlier attempt.
 */
export function roleBindingNameForGrant(grantId: string): string {
  if (/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(grantId)) {
    return `frontier-guard-${grantId}`;
  }
  return `frontier-guard-h-${shortHash(grantId)}`;
}
