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

const sizeOf = (n: CatalogNames) => `${n.users.length}/${n.stores.length}/${n.namespaces?.length ?? 0}`;

/**
 * After a start the catalog fills its entities a few seconds after this plugin's first read (the
 * first answer is often empty), so the names are read again every `intervalMs` until two reads
 * agree and are not empty (at most `maxReads`); each read is applied (alert refs filled in).
 * Without this an alert raised in the first minutes after a start kept the log's raw names until
 * the scheduled refresh.
 */
export async function readCatalogNamesUntilSettled(opts: {
  read: () => Promise<CatalogNames | undefined>;
  apply: (names: CatalogNames) => Promise<void>;
  intervalMs: number;
  maxReads: number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<number> {
  const sleep = opts.sleep ?? (ms => new Promise<void>(r => setTimeout(r, ms).unref?.()));
  let previous: string | undefined;
  for (let reads = 1; reads <= opts.maxReads; reads++) {
    const names = await opts.read();
    if (names) {
      await opts.apply(names);
      const size = sizeOf(names);
      if (size === previous && names.users.length + names.stores.length > 0) return reads;
      previous = size;
    }
    if (reads < opts.maxReads) await sleep(opts.intervalMs);
  }
  return opts.maxReads;
}
