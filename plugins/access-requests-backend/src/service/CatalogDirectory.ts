import { AuthService, BackstageCredentials } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ResourceSnapshot } from '@internal/plugin-access-requests-common';
import { replaceUnsafeCharacters } from '@internal/input-validation';

export const ACCESS_POLICY_ANNOTATION = 'frontier-guard.io/access-policy';

export interface RequestableResource {
  snapshot: ResourceSnapshot;
  title: string;
  description: string;
  policyName?: string;
  ownerRef?: string;
}

/** What the service needs from the catalog: resources and CURRENT group membership. */
export interface Directory {
  getResource(entityRef: string): Promise<RequestableResource | undefined>;
  /**
   * Requestable resources matching free text. With `credentials` (the caller's), the catalog is
   * asked on their behalf, so entities they may not see are never listed.
   */
  searchResources(query: string, limit?: number, credentials?: unknown): Promise<RequestableResource[]>;
  /** Groups the user is a member of right now, according to the catalog (never via grants). */
  currentGroups(userRef: string): Promise<Set<string>>;
  /** A person's or group's display name for notification text (optional). */
  displayName?(entityRef: string): Promise<string | undefined>;
  /**
   * Whether the entity exists and the caller may see it: looked up with the caller's own
   * credentials (optional; without it only existence is checked).
   */
  isVisibleTo?(entityRef: string, credentials: unknown): Promise<boolean>;
  /**
   * The users a notification to these entities reaches (optional): users as they are; a group's
   * members and, recursively, its child groups' members; another entity's owner's. Briefly
   * cached: it only addresses notifications, never decides anything.
   */
  usersOf?(entityRefs: string[]): Promise<string[]>;
  /** A user's e-mail/UPN and Entra object id (`graph.microsoft.com/user-id`), for the grant export (optional). */
  userIdentity?(userRef: string): Promise<{ email?: string; objectId?: string; displayName?: string } | undefined>;
}

function normalizeRef(ref: string, defaultKind: string, defaultNamespace = 'default'): string | undefined {
  try {
    return stringifyEntityRef(parseEntityRef(ref, { defaultKind, defaultNamespace }));
  } catch {
    return undefined;
  }
}

function kindOf(ref: string): string | undefined {
  try {
    return parseEntityRef(ref).kind.toLocaleLowerCase('en-US');
  } catch {
    return undefined;
  }
}

/** Who a notification to this entity reaches directly, and which entities to follow. */
function audienceOf(entity: Entity | undefined): { users: string[]; next: string[] } {
  if (!entity) return { users: [], next: [] };
  const kind = entity.kind.toLocaleLowerCase('en-US');
  if (kind === 'user') return { users: [stringifyEntityRef(entity)], next: [] };
  const relations = entity.relations ?? [];
  if (kind === 'group') {
    return {
      users: relations.filter(r => r.type === 'hasMember' && kindOf(r.targetRef) === 'user').map(r => r.targetRef),
      next: relations.filter(r => r.type === 'parentOf').map(r => r.targetRef),
    };
  }
  const owner = relations.find(r => r.type === 'ownedBy')?.targetRef;
  return { users: [], next: owner ? [owner] : [] };
}

/** Catalog text shown to people (titles, names): unsafe characters made visible (U+FFFD). */
const shown = (text: string) => replaceUnsafeCharacters(text, { singleLine: true });

export function toRequestable(entity: Entity): RequestableResource {
  const ref = stringifyEntityRef(entity);
  const owner = typeof entity.spec?.owner === 'string' ? normalizeRef(entity.spec.owner, 'group', entity.metadata.namespace ?? 'default') : undefined;
  return {
    snapshot: {
      entityRef: ref,
      kind: entity.kind,
      type: typeof entity.spec?.type === 'string' ? entity.spec.type : undefined,
      title: shown(entity.metadata.title ?? entity.metadata.name),
      annotations: { ...(entity.metadata.annotations ?? {}) },
    },
    title: shown(entity.metadata.title ?? entity.metadata.name),
    description: replaceUnsafeCharacters(entity.metadata.description ?? ''),
    policyName: entity.metadata.annotations?.[ACCESS_POLICY_ANNOTATION],
    ownerRef: owner,
  };
}

/** Words of a free-text query, lowercased; short filler words dropped. */
export function queryTerms(query: string): string[] {
  const stop = new Set(['the', 'a', 'an', 'to', 'for', 'of', 'and', 'or', 'i', 'need', 'want', 'access', 'in', 'on', 'with', 'my', 'me', 'some']);
  return query
    .toLowerCase()
    .split(/[^a-z0-9-]+/)
    .filter(t => t.length > 1 && !stop.has(t));
}

/**
 * Catalog-backed directory. The catalog's fullTextFilter matches one substring, so free text
 * is ranked here over the (small) set of Resource entities that carry an access policy.
 */
export class CatalogDirectory implements Directory {
  private readonly resources = new Map<string, { at: number; resource: RequestableResource }>();
  private readonly names = new Map<string, { at: number; name: string | undefined }>();
  private readonly visible = new Map<string, number>();
  private readonly audiences = new Map<string, { at: number; users: string[]; next: string[] }>();

  /**
   * `resourceCacheMs` (default 5000): found Resource entities are reused for this long, so a
   * burst of requests on one resource costs one catalog call. Only resources are cached —
   * group membership (`currentGroups`) is looked up on every call, never cached. Group members
   * for notification recipients (`usersOf`) are reused for as long.
   */
  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly options: { resourceCacheMs?: number; now?: () => number } = {},
  ) {}

  private async credentials() {
    return { credentials: await this.auth.getOwnServiceCredentials() };
  }

  /**
   * Looked up with the caller's credentials. A positive answer is reused for `resourceCacheMs`
   * per user and entity (like the resource itself), so a burst of requests costs one catalog
   * call; a negative answer is never cached.
   */
  async isVisibleTo(entityRef: string, credentials: unknown): Promise<boolean> {
    const ttl = this.options.resourceCacheMs ?? 5000;
    const now = (this.options.now ?? Date.now)();
    const principal = (credentials as BackstageCredentials | undefined)?.principal as { userEntityRef?: string } | undefined;
    const key = principal?.userEntityRef ? `${principal.userEntityRef} ${entityRef}` : undefined;
    const at = key ? this.visible.get(key) : undefined;
    if (at !== undefined && now - at < ttl) return true;
    const entity = await this.catalog.getEntityByRef(entityRef, { credentials: credentials as BackstageCredentials });
    if (!entity) {
      if (key) this.visible.delete(key);
      return false;
    }
    if (key && ttl > 0) {
      if (this.visible.size >= 5000) this.visible.clear();
      this.visible.set(key, now);
    }
    return true;
  }

  async getResource(entityRef: string): Promise<RequestableResource | undefined> {
    const ttl = this.options.resourceCacheMs ?? 5000;
    const now = (this.options.now ?? Date.now)();
    const cached = this.resources.get(entityRef);
    if (cached && now - cached.at < ttl) return cached.resource;
    const entity = await this.catalog.getEntityByRef(entityRef, await this.credentials());
    if (!entity) {
      this.resources.delete(entityRef);
      return undefined;
    }
    const resource = toRequestable(entity);
    if (ttl > 0) {
      if (this.resources.size >= 1000) this.resources.clear();
      this.resources.set(entityRef, { at: now, resource });
    }
    return resource;
  }

  async searchResources(query: string, limit = 20, credentials?: unknown): Promise<RequestableResource[]> {
    const { items } = await this.catalog.getEntities(
      { filter: { kind: 'Resource', [`metadata.annotations.${ACCESS_POLICY_ANNOTATION}`]: CATALOG_FILTER_EXISTS } },
      credentials ? { credentials: credentials as BackstageCredentials } : await this.credentials(),
    );
    const resources = items.map(toRequestable);
    const terms = queryTerms(query);
    if (terms.length === 0) return resources.slice(0, limit);
    const scored = resources
      .map(r => {
        const hay = [r.snapshot.entityRef, r.title, r.description, r.snapshot.type ?? '', ...(Object.values(r.snapshot.annotations))]
          .join(' ')
          .toLowerCase();
        const score = terms.reduce((n, t) => n + (hay.includes(t) ? 1 : 0), 0);
        return { r, score };
      })
      .filter(x => x.score > 0)
      .sort((a, b) => b.score - a.score || a.r.snapshot.entityRef.localeCompare(b.r.snapshot.entityRef));
    return scored.slice(0, limit).map(x => x.r);
  }

  /**
   * `spec.profile.displayName`, else `metadata.title`, else the name; undefined when the entity
   * is unknown. Cached for 60 s (names only feed notification text, never a decision).
   */
  async displayName(entityRef: string): Promise<string | undefined> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.names.get(entityRef);
    if (cached && now - cached.at < 60_000) return cached.name;
    const entity = await this.catalog.getEntityByRef(entityRef, await this.credentials());
    const profile = (entity?.spec as { profile?: { displayName?: unknown } } | undefined)?.profile;
    // display names may come from an identity provider: an override in one must not reorder notification text
    const name = entity
      ? shown((typeof profile?.displayName === 'string' && profile.displayName) || entity.metadata.title || entity.metadata.name)
      : undefined;
    if (this.names.size >= 1000) this.names.clear();
    this.names.set(entityRef, { at: now, name });
    return name;
  }

  /**
   * Resolves notification recipients as the notifications backend's default resolver does (users;
   * a group's `hasMember` users and its `parentOf` child groups, recursively; another entity's
   * `ownedBy` owner), so that a send names users and the notifications backend needs no catalog
   * call of its own. One `getEntitiesByRefs` per level for the refs not seen within
   * `resourceCacheMs`.
   */
  async usersOf(entityRefs: string[]): Promise<string[]> {
    const ttl = this.options.resourceCacheMs ?? 5000;
    const now = (this.options.now ?? Date.now)();
    const users = new Set<string>();
    const seen = new Set(entityRefs);
    let todo = [...seen];
    while (todo.length > 0) {
      const others: string[] = [];
      for (const ref of todo) {
        if (kindOf(ref) === 'user') users.add(ref);
        else others.push(ref);
      }
      todo = [];
      const missing = others.filter(ref => {
        const hit = this.audiences.get(ref);
        return !hit || now - hit.at >= ttl;
      });
      if (missing.length > 0) {
        const { items } = await this.catalog.getEntitiesByRefs(
          { entityRefs: missing, fields: ['kind', 'metadata.name', 'metadata.namespace', 'relations'] },
          await this.credentials(),
        );
        if (this.audiences.size >= 1000) this.audiences.clear();
        missing.forEach((ref, i) => this.audiences.set(ref, { at: now, ...audienceOf(items[i]) }));
      }
      for (const ref of others) {
        const entry = this.audiences.get(ref)!;
        entry.users.forEach(u => users.add(u));
        for (const next of entry.next) {
          if (!seen.has(next)) {
            seen.add(next);
            todo.push(next);
          }
        }
      }
    }
    return [...users];
  }

  async userIdentity(userRef: string): Promise<{ email?: string; objectId?: string; displayName?: string } | undefined> {
    const user = await this.catalog.getEntityByRef(userRef, await this.credentials());
    if (!user) return undefined;
    const profile = (user.spec as { profile?: { email?: unknown; displayName?: unknown } } | undefined)?.profile;
    const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    return {
      email: text(profile?.email),
      objectId: text(user.metadata.annotations?.['graph.microsoft.com/user-id']),
      displayName: text(profile?.displayName) ?? text(user.metadata.title),
    };
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
}
