/**
 * Live Azure discovery: storage accounts of each subscription through `@azure/arm-storage`
 * (account properties, blob service properties, containers, private endpoint connections),
 * blob-service diagnostic settings through `@azure/arm-monitor`, and the weight files in each
 * container through `@azure/storage-blob` (by extension, else by magic bytes).
 */
import type { TokenCredential } from '@azure/identity';
import { StorageManagementClient } from '@azure/arm-storage';
import { MonitorClient } from '@azure/arm-monitor';
import { BlobServiceClient, newPipeline, Pipeline } from '@azure/storage-blob';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { storageAccountFromLive } from '@internal/posture-checks';
import { storageStoreId } from '@internal/plugin-weight-inventory-common';
import { formatFromMagic, formatFromName, MAGIC_BYTES } from '../domain/weights';
import { DiscoveredStore, InventorySource, mapLimit, ownerFrom } from './types';

export interface AzureSubscriptionSource {
  subscriptionId: string;
  credential: TokenCredential;
}

export interface AzureSourceOptions {
  subscription: AzureSubscriptionSource;
  /** Azure Resource Manager endpoint (default https://management.azure.com; sovereign clouds differ). */
  armEndpoint?: string;
  /** List blobs to find weight files. */
  listBlobs: boolean;
  /** Blobs without a weight extension whose first bytes are read, per account. */
  maxMagicProbes: number;
  /** Accounts read in parallel. */
  concurrency: number;
  logger: LoggerService;
}

type Weight = DiscoveredStore['weights'][number];

export class AzureStorageSource implements InventorySource {
  readonly name: string;
  private readonly storage: StorageManagementClient;
  private readonly monitor: MonitorClient;
  /** One blob pipeline for every account (one token cache, one connection pool), built on first use. */
  private blobPipeline?: Pipeline;

  constructor(private readonly options: AzureSourceOptions) {
    const { subscriptionId, credential } = options.subscription;
    this.name = `azure:${subscriptionId}`;
    const clientOptions = options.armEndpoint ? { endpoint: options.armEndpoint } : {};
    this.storage = new StorageManagementClient(credential, subscriptionId, clientOptions);
    this.monitor = new MonitorClient(credential, subscriptionId, clientOptions);
  }

  async discover(): Promise<DiscoveredStore[]> {
    const out: DiscoveredStore[] = [];
    await this.discoverEach(async d => {
      out.push(d);
    });
    return out;
  }

  async discoverEach(handle: (store: DiscoveredStore) => Promise<void>): Promise<void> {
    const accounts = [];
    for await (const account of this.storage.storageAccounts.list()) accounts.push(account);
    await mapLimit(accounts, this.options.concurrency, async account => handle(await this.readAccount(account)));
  }

  private async readAccount(account: any): Promise<DiscoveredStore> {
    const id: string = account.id ?? '';
    const name: string = account.name ?? id.split('/').pop() ?? '';
    const rg = /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
    const tags: Record<string, string> = { ...(account.tags ?? {}) };
    const errors: string[] = [];
    const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (e) {
        errors.push(`${what}: ${(e as Error).message}`);
        return undefined;
      }
    };
    const blobService = await attempt('blob service properties', () => this.storage.blobServices.getServiceProperties(rg, name));
    const containers = (await attempt('containers', async () => {
      const list: any[] = [];
      for await (const c of this.storage.blobContainers.list(rg, name)) list.push(c);
      return list;
    })) ?? [];
    const pecs = await attempt('private endpoint connections', async () => {
      const list: any[] = [];
      for await (const c of this.storage.privateEndpointConnections.list(rg, name)) list.push(c);
      return list;
    });
    const diagnostics = (await attempt('diagnostic settings', async () => {
      const list: any[] = [];
      // resourceUri without the leading slash (the SDK joins it after "/")
      for await (const d of this.monitor.diagnosticSettings.list(`${id.replace(/^\/+/, "")}/blobServices/default`)) list.push(d);
      return list;
    })) ?? [];
    const model = storageAccountFromLive({
      account,
      blobService: blobService as any,
      containers: containers.map(c => ({ name: c.name, publicAccess: c.publicAccess })),
      privateEndpointConnections: pecs ?? account.privateEndpointConnections,
      blobDiagnosticSettings: diagnostics.map(d => ({ name: d.name, logs: d.logs })),
    });
    let weights: Weight[] = [];
    const blobEndpoint: string | undefined = account.primaryEndpoints?.blob;
    if (this.options.listBlobs && blobEndpoint) {
      weights = (await attempt('blobs', () => this.listWeights(blobEndpoint, containers.map(c => String(c.name))))) ?? [];
    }
    if (errors.length) this.options.logger.warn(`weight-inventory: storage account ${name}: ${errors.join('; ')}`);
    return {
      id: storageStoreId(name),
      kind: 'storage-account',
      name,
      source: 'azure',
      demo: false,
      subscriptionId: this.options.subscription.subscriptionId,
      resourceGroup: rg,
      resourceId: id,
      owner: ownerFrom(tags),
      tags,
      project: { storageAccounts: [model], kubernetes: [] },
      weights,
      error: errors.length ? errors.join('; ') : undefined,
    };
  }

  private async listWeights(endpoint: string, containers: string[]): Promise<Weight[]> {
    this.blobPipeline ??= newPipeline(this.options.subscription.credential);
    const client = new BlobServiceClient(endpoint, this.blobPipeline);
    const out: Weight[] = [];
    let probes = 0;
    for (const container of containers) {
      const cc = client.getContainerClient(container);
      for await (const page of cc.listBlobsFlat().byPage({ maxPageSize: 5000 })) {
        for (const blob of page.segment.blobItems) {
          const bytes = blob.properties.contentLength ?? 0;
          const lastModified = blob.properties.lastModified?.toISOString();
          const byName = formatFromName(blob.name);
          if (byName) {
            out.push({ container, path: blob.name, bytes, lastModified, format: byName, detectedBy: 'extension' });
            continue;
          }
          if (bytes < 8 || probes >= this.options.maxMagicProbes) continue;
          probes++;
          const head = await cc.getBlobClient(blob.name).downloadToBuffer(0, Math.min(MAGIC_BYTES, bytes));
          const byMagic = formatFromMagic(head);
          if (byMagic) out.push({ container, path: blob.name, bytes, lastModified, format: byMagic, detectedBy: 'magic' });
        }
      }
    }
    return out;
  }
}
