import type { AuthService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { CatalogNames } from '../domain/grants';

const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/**
 * Users (with their e-mail / UPN and Entra object id), Azure-scoped resources (weight stores) and
 * Kubernetes namespaces of the catalog, read with the plugin's own credentials: the names logs use for them.
 */
export async function loadCatalogNames(catalog: CatalogService, auth: AuthService): Promise<CatalogNames> {
  const credentials = await auth.getOwnServiceCredentials();
  const refOf = (kind: string, e: { metadata: { name: string; namespace?: string } }) =>
    `${kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`.toLocaleLowerCase('en-US');
  const users = await catalog.getEntities(
    { filter: { kind: 'User' }, fields: ['metadata.name', 'metadata.namespace', 'metadata.annotations', 'spec.profile.email'] },
    { credentials },
  );
  const stores = await catalog.getEntities(
    { filter: { kind: 'Resource' }, fields: ['metadata.name', 'metadata.namespace', 'metadata.annotations'] },
    { credentials },
  );
  return {
    users: users.items.map(u => ({
      ref: refOf('user', u),
      names: [text((u.spec as any)?.profile?.email), text(u.metadata.annotations?.['graph.microsoft.com/user-id']), text(u.metadata.annotations?.['microsoft.com/email'])]
        .filter((n): n is string => !!n),
    })).filter(u => u.names.length > 0),
    stores: stores.items
      .map(r => ({ ref: refOf('resource', r), azureScope: text(r.metadata.annotations?.['frontier-guard.io/azure-scope']) }))
      .filter((r): r is { ref: string; azureScope: string } => !!r.azureScope),
    namespaces: stores.items
      .map(r => ({ ref: refOf('resource', r), namespace: text(r.metadata.annotations?.['frontier-guard.io/kubernetes-namespace']) }))
      .filter((r): r is { ref: string; namespace: string } => !!r.namespace),
  };
}
