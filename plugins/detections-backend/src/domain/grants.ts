import type { ExportedGrant } from '@internal/detection-rules';

const lc = (s: string | undefined) => s?.toLocaleLowerCase('en-US');

function scopeParts(scope?: string): { account?: string; container?: string } {
  if (!scope) return {};
  const a = /storageaccounts\/([^/]+)/i.exec(scope);
  const c = /containers\/([^/]+)/i.exec(scope);
  return { account: lc(a?.[1]), container: lc(c?.[1]) };
}

/** The names a grant's user is seen by in logs: UPN, e-mail, directory object id, entity ref. */
function userKeys(g: ExportedGrant): string[] {
  return [g.user.upn, g.user.email, g.user.objectId, g.user.ref].filter((k): k is string => !!k).map(k => k.toLocaleLowerCase('en-US'));
}

/** Is the grant in force at `now` (started, not ended, not revoked, not failed)? */
export function grantActiveAt(g: ExportedGrant, now: number): boolean {
  if (g.status && g.status !== 'active') return false;
  if (g.revokedAt) return false;
  return Date.parse(g.start) <= now && now < Date.parse(g.end);
}

/** Does the grant's resource cover what the alert names (catalog ref, or account[/container] within the Azure scope)? */
export function grantCoversResource(g: ExportedGrant, resource: string, resourceRef?: string): boolean {
  if (resourceRef && lc(g.resource.ref) === lc(resourceRef)) return true;
  const { account, container } = scopeParts(g.resource.azureScope);
  if (!account) return false;
  const [ra, rc] = resource.toLocaleLowerCase('en-US').split('/');
  if (ra !== account) return false;
  return !container || container === rc;
}

/**
 * The grants a revoke from this alert ends: active grants of the alert's principal (its UPN,
 * e-mail or object id as the export lists them, or its resolved user ref) on the alert's resource.
 */
export function grantsForAlert(
  alert: { principal: string; principalRef?: string; resource: string; resourceRef?: string },
  grants: ExportedGrant[],
  now: number,
): ExportedGrant[] {
  const names = new Set([alert.principal, alert.principalRef].filter((k): k is string => !!k).map(k => k.toLocaleLowerCase('en-US')));
  return grants.filter(g => grantActiveAt(g, now) && userKeys(g).some(k => names.has(k)) && grantCoversResource(g, alert.resource, alert.resourceRef));
}

/** Names of catalog entities as logs show them (from the catalog, see service/catalogNames.ts). */
export interface CatalogNames {
  /** user ref and its UPN / e-mail / directory object id */
  users: Array<{ ref: string; names: string[] }>;
  /** resource ref and its Azure scope (`frontier-guard.io/azure-scope`) */
  stores: Array<{ ref: string; azureScope: string }>;
  /** resource ref of a Kubernetes namespace (`frontier-guard.io/kubernetes-namespace`) */
  namespaces?: Array<{ ref: string; namespace: string }>;
}

/**
 * Resolves names seen in logs to catalog refs: a principal (UPN, e-mail, object id) to its user
 * ref, a storage `account/container` to the resource whose Azure scope it is (the account's when
 * no container matches). The catalog's names come first, the grant export's fill in.
 */
export class GrantDirectory {
  private readonly users = new Map<string, string>();
  private readonly stores = new Map<string, string>();
  private readonly namespaces = new Map<string, string>();

  constructor(grants: ExportedGrant[] = [], catalog?: CatalogNames) {
    for (const ns of catalog?.namespaces ?? []) this.namespaces.set(ns.namespace.toLocaleLowerCase('en-US'), ns.ref);
    const store = (scope: string | undefined, ref: string) => {
      const { account, container } = scopeParts(scope);
      const key = account && (container ? `${account}/${container}` : account);
      if (key && ref && !this.stores.has(key)) this.stores.set(key, ref);
    };
    for (const u of catalog?.users ?? []) for (const n of u.names) this.users.set(n.toLocaleLowerCase('en-US'), u.ref);
    for (const st of catalog?.stores ?? []) store(st.azureScope, st.ref);
    for (const g of grants) {
      if (g.user.ref) for (const k of userKeys(g)) if (!this.users.has(k)) this.users.set(k, g.user.ref);
      store(g.resource.azureScope, g.resource.ref);
    }
  }

  principalRef(principal: string): string | undefined {
    return this.users.get(principal.toLocaleLowerCase('en-US'));
  }

  /**
   * A storage `account/container` (or its account); else a Kubernetes resource name
   * (`[cluster/]namespace/resource/name`, as detection-rules names them) by its namespace.
   */
  resourceRef(resource: string): string | undefined {
    const r = resource.toLocaleLowerCase('en-US');
    const parts = r.split('/');
    return this.stores.get(r) ?? this.stores.get(parts[0]) ?? this.namespaces.get(parts[0]) ?? (parts.length > 3 ? this.namespaces.get(parts[1]) : undefined);
  }
}
