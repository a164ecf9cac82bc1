import { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';

/** What the service needs from the catalog. Group membership is never cached. */
export interface Directory {
  /** Groups the user is a member of right now, according to the catalog (never via grants or tokens). */
  currentGroups(userRef: string): Promise<Set<string>>;
  /** Whether the entity exists in the catalog now. */
  exists(entityRef: string): Promise<boolean>;
  /** Display name for notification text. */
  displayName(entityRef: string): Promise<string>;
}

function normalizeRef(ref: string, defaultKind: string, defaultNamespace = 'default'): string | undefined {
  try {
    return stringifyEntityRef(parseEntityRef(ref, { defaultKind, defaultNamespace })).toLocaleLowerCase('en-US');
  } catch {
    return undefined;
  }
}

/** The catalog, read with this plugin's own service credentials (as access-requests does). */
export class CatalogDirectory implements Directory {
  constructor(private readonly catalog: CatalogService, private readonly auth: AuthService) {}

  private async credentials() {
    return { credentials: await this.auth.getOwnServiceCredentials() };
  }

  async currentGroups(userRef: string): Promise<Set<string>> {
    const groups = new Set<string>();
    const user = await this.catalog.getEntityByRef(userRef, await this.credentials());
    if (!user || user.kind.toLowerCase() !== 'user') return groups;
    for (const rel of user.relations ?? []) {
      if (rel.type === 'memberOf') {
        const ref = normalizeRef(rel.targetRef, 'group');
        if (ref) groups.add(ref);
      }
    }
    const memberOf = (user.spec as { memberOf?: unknown } | undefined)?.memberOf;
    if (Array.isArray(memberOf)) {
      for (const g of memberOf) {
        const ref = typeof g === 'string' ? normalizeRef(g, 'group', user.metadata.namespace ?? 'default') : undefined;
        if (ref) groups.add(ref);
      }
    }
    return groups;
  }

  async exists(entityRef: string): Promise<boolean> {
    return !!(await this.catalog.getEntityByRef(entityRef, await this.credentials()));
  }

  async displayName(entityRef: string): Promise<string> {
    try {
      const e = await this.catalog.getEntityByRef(entityRef, await this.credentials());
      const profile = (e?.spec as { profile?: { displayName?: unknown } } | undefined)?.profile;
      if (e) return (typeof profile?.displayName === 'string' && profile.displayName) || e.metadata.title || e.metadata.name;
    } catch {
      // names only feed notification text
    }
    return entityRef.replace(/^[^:]+:(?:[^/]+\/)?/, '');
  }
}
