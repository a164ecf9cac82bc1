import path from 'node:path';
import {
  BlobServiceClient,
  ContainerClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import {
  ClientSecretCredential,
  DefaultAzureCredential,
  TokenCredential,
} from '@azure/identity';
import {
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { AzureAccountConfig } from './config';
import { streamToFile } from './http';
import { DownloadWorkspace } from './workspace';

/**
 * Credential for a storage account:
 * - `clientId` + `tenantId` + `clientSecret` → ClientSecretCredential (a service principal);
 * - `accountName` + `accountKey` → StorageSharedKeyCredential — for the Azurite emulator only;
 *   production accounts should disable shared keys and use Entra ID;
 * - otherwise DefaultAzureCredential (managed identity, workload identity, Azure CLI, ...).
 */
export function credentialFor(
  account: AzureAccountConfig | undefined,
): TokenCredential | StorageSharedKeyCredential {
  if (account?.accountName && account.accountKey) {
    return new StorageSharedKeyCredential(
      account.accountName,
      account.accountKey,
    );
  }
  if (account?.clientId && account.tenantId && account.clientSecret) {
    return new ClientSecretCredential(
      account.tenantId,
      account.clientId,
      account.clientSecret,
    );
  }
  return new DefaultAzureCredential(
    account?.clientId
      ? { managedIdentityClientId: account.clientId }
      : undefined,
  );
}

function mapAzureError(e: any, what: string): Error {
  const status = e?.statusCode;
  if (status === 404) return new NotFoundError(`${what} not found`);
  if (status === 401 || status === 403) {
    return new NotAllowedError(
      `Azure Storage refused access to ${what} (HTTP ${status})`,
    );
  }
  if (e?.name === 'AbortError') return e;
  if (e?.name === 'InputError' || e?.name === 'NotAllowedError') return e;
  return new ServiceUnavailableError(
    `Azure Storage error for ${what}: ${e?.message ?? e}`,
  );
}

async function downloadBlob(
  container: ContainerClient,
  blobName: string,
  name: string,
  ws: DownloadWorkspace,
  size: number | undefined,
  what: string,
  signal?: AbortSignal,
) {
  const local = await ws.allocate(name, size);
  const res = await container
    .getBlobClient(blobName)
    .download(0, undefined, { abortSignal: signal })
    .catch(e => {
      throw mapAzureError(e, what);
    });
  if (!res.readableStreamBody)
    throw new ServiceUnavailableError(`Azure returned no body for ${what}`);
  const bytes = await streamToFile(
    res.readableStreamBody,
    local,
    ws.remainingBytes,
    what,
    signal,
  );
  ws.add(name, local, bytes);
}

/**
 * Downloads one blob, or every blob under a prefix (a path ending in "/", or the
 * container root). A path without a trailing slash that is not a blob is tried as a folder.
 */
export async function resolveAzureBlob(
  target: {
    endpoint: string;
    account?: AzureAccountConfig;
    container: string;
    blobPath: string;
  },
  ws: DownloadWorkspace,
  signal?: AbortSignal,
) {
  const service = new BlobServiceClient(
    target.endpoint,
    credentialFor(target.account) as any,
  );
  const container = service.getContainerClient(target.container);
  const where = `${target.endpoint}/${target.container}/${target.blobPath}`;
  if (target.blobPath && !target.blobPath.endsWith('/')) {
    try {
      const props = await container
        .getBlobClient(target.blobPath)
        .getProperties({ abortSignal: signal });
      await downloadBlob(
        container,
        target.blobPath,
        path.posix.basename(target.blobPath),
        ws,
        props.contentLength,
        where,
        signal,
      );
      return;
    } catch (e: any) {
      if (e?.statusCode !== 404) throw mapAzureError(e, where);
    }
  }
  const prefix =
    target.blobPath && !target.blobPath.endsWith('/')
      ? `${target.blobPath}/`
      : target.blobPath;
  let found = 0;
  try {
    for await (const blob of container.listBlobsFlat({
      prefix: prefix || undefined,
      abortSignal: signal,
    })) {
      const rel = blob.name.slice(prefix.length);
      if (!rel || rel.endsWith('/')) continue; // directory markers
      found++;
      await downloadBlob(
        container,
        blob.name,
        rel,
        ws,
        blob.properties.contentLength,
        `${target.endpoint}/${target.container}/${blob.name}`,
        signal,
      );
    }
  } catch (e) {
    throw mapAzureError(e, where);
  }
  if (found === 0) throw new NotFoundError(`No blob found at ${where}`);
}
