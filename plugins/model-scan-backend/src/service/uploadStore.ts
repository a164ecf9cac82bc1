/**
 * Where uploaded model files live between the upload and the scan (and until retention deletes
 * them). Every replica must be able to read an upload another replica received, so production
 * keeps them in Azure Blob Storage (`modelScan.uploads.storage.type: azure-blob`); a local folder
 * (`<workDir>/uploads`) stays the embedded single-replica default.
 *
 * Layout in both: `<sha256>/<sanitized file name>` (content-addressed: the same bytes are stored
 * once). "Received" is the time of the last upload of those bytes; retention counts from it.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  BlobServiceClient,
  ContainerClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { credentialFor } from '../sources/azure';
import type { UploadStorageConfig } from './config';

export interface StoredUpload {
  sha256: string;
  name: string;
  /** When these bytes were last received. */
  received: Date;
}

export interface UploadStore {
  /** Short description for logs ("local folder /x", "Azure blob container c"). */
  readonly description: string;
  /**
   * Stores the file at `localPath` (already hashed) as `<sha256>/<name>` and consumes it (the local
   * file is moved or deleted). When the bytes are stored already, only their received time is
   * renewed. Returns the stored name and whether this call created the entry.
   */
  put(
    sha256: string,
    name: string,
    localPath: string,
    now: Date,
  ): Promise<{ name: string; created: boolean }>;
  /** The stored upload with these bytes, if it is still stored. */
  find(sha256: string): Promise<StoredUpload | undefined>;
  /**
   * The upload as a local file for the scan (downloaded into `scratchDir` when stored remotely),
   * with the cleanup that removes a downloaded copy.
   */
  open(
    sha256: string,
    scratchDir: string,
  ): Promise<
    { path: string; name: string; cleanup(): Promise<void> } | undefined
  >;
  remove(sha256: string): Promise<void>;
  /** Every stored upload. */
  list(): AsyncIterable<StoredUpload>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** `<dir>/<sha256>/<name>` on this replica's disk. */
export class LocalUploadStore implements UploadStore {
  constructor(readonly dir: string) {}

  get description() {
    return `local folder ${this.dir}`;
  }

  async put(sha256: string, name: string, localPath: string, now: Date) {
    const dir = join(this.dir, sha256);
    await fs.mkdir(dir, { recursive: true });
    const existing = (await fs.readdir(dir)).filter(e => !e.startsWith('.'));
    if (existing.length) {
      await fs.rm(localPath, { force: true });
      // received again: the retention period starts anew
      await fs.utimes(join(dir, existing[0]), now, now).catch(() => {});
      return { name: existing[0], created: false };
    }
    await fs.rename(localPath, join(dir, name));
    // the file's modification time is its received time
    await fs.utimes(join(dir, name), now, now).catch(() => {});
    return { name, created: true };
  }

  async find(sha256: string): Promise<StoredUpload | undefined> {
    if (!SHA256.test(sha256)) return undefined;
    const dir = join(this.dir, sha256);
    const entries = await fs.readdir(dir).catch(() => [] as string[]);
    const name = entries.find(e => !e.startsWith('.'));
    if (!name) return undefined;
    const stat = await fs.stat(join(dir, name)).catch(() => undefined);
    return stat ? { sha256, name, received: stat.mtime } : undefined;
  }

  async open(sha256: string) {
    const found = await this.find(sha256);
    if (!found) return undefined;
    return {
      path: join(this.dir, sha256, found.name),
      name: found.name,
      cleanup: async () => {},
    };
  }

  async remove(sha256: string) {
    if (!SHA256.test(sha256)) return;
    await fs.rm(join(this.dir, sha256), { recursive: true, force: true });
  }

  async *list(): AsyncIterable<StoredUpload> {
    const entries = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!SHA256.test(entry)) continue;
      const found = await this.find(entry);
      // an empty folder (bytes already gone) counts as received at the epoch: it expires
      yield found ?? { sha256: entry, name: '', received: new Date(0) };
    }
  }
}

export interface AzureBlobUploadStoreOptions {
  /** Blob service endpoint, e.g. https://acct.blob.core.windows.net (Azurite: http://127.0.0.1:port/devstoreaccount1). */
  endpoint: string;
  container: string;
  /** Folder inside the container ("uploads/" by default). */
  prefix?: string;
  credential: TokenCredential | StorageSharedKeyCredential;
}

/** `<container>/<prefix><sha256>/<name>`, received time in the blob's metadata. */
export class AzureBlobUploadStore implements UploadStore {
  private readonly container: ContainerClient;
  private readonly prefix: string;
  private ready: Promise<unknown> | undefined;

  constructor(options: AzureBlobUploadStoreOptions) {
    this.container = new BlobServiceClient(
      options.endpoint,
      options.credential,
    ).getContainerClient(options.container);
    this.prefix = options.prefix ?? 'uploads/';
  }

  get description() {
    return `Azure blob container ${this.container.containerName} (${this.prefix})`;
  }

  private ensure() {
    this.ready ??= this.container.createIfNotExists().catch(error => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async first(sha256: string) {
    if (!SHA256.test(sha256)) return undefined;
    await this.ensure();
    for await (const blob of this.container.listBlobsFlat({
      prefix: `${this.prefix}${sha256}/`,
      includeMetadata: true,
    })) {
      return blob;
    }
    return undefined;
  }

  private received(blob: {
    metadata?: Record<string, string>;
    properties: { lastModified: Date };
  }): Date {
    const t = Date.parse(blob.metadata?.received ?? '');
    return Number.isFinite(t) ? new Date(t) : blob.properties.lastModified;
  }

  async put(sha256: string, name: string, localPath: string, now: Date) {
    try {
      const existing = await this.first(sha256);
      if (existing) {
        await this.container
          .getBlockBlobClient(existing.name)
          .setMetadata({ ...existing.metadata, received: now.toISOString() });
        return {
          name: existing.name.slice(this.prefix.length + 65),
          created: false,
        };
      }
      const blob = this.container.getBlockBlobClient(
        `${this.prefix}${sha256}/${name}`,
      );
      await blob.uploadStream(createReadStream(localPath), 4 << 20, 2, {
        metadata: { received: now.toISOString(), sha256 },
      });
      return { name, created: true };
    } finally {
      await fs.rm(localPath, { force: true });
    }
  }

  async find(sha256: string): Promise<StoredUpload | undefined> {
    const blob = await this.first(sha256);
    if (!blob) return undefined;
    return {
      sha256,
      name: blob.name.slice(this.prefix.length + 65),
      received: this.received(blob),
    };
  }

  async open(sha256: string, scratchDir: string) {
    const blob = await this.first(sha256);
    if (!blob) return undefined;
    const name = blob.name.slice(this.prefix.length + 65);
    const dir = await fs.mkdtemp(join(scratchDir, 'upload-'));
    // the stored name is sanitized at upload; it keeps the extension, a hint for format detection
    const path = join(dir, name || sha256);
    await this.container.getBlockBlobClient(blob.name).downloadToFile(path);
    return {
      path,
      name,
      cleanup: () => fs.rm(dir, { recursive: true, force: true }),
    };
  }

  async remove(sha256: string) {
    if (!SHA256.test(sha256)) return;
    await this.ensure();
    for await (const blob of this.container.listBlobsFlat({
      prefix: `${this.prefix}${sha256}/`,
    })) {
      await this.container.deleteBlob(blob.name, {
        deleteSnapshots: 'include',
      });
    }
  }

  async *list(): AsyncIterable<StoredUpload> {
    await this.ensure();
    for await (const blob of this.container.listBlobsFlat({
      prefix: this.prefix,
      includeMetadata: true,
    })) {
      const rest = blob.name.slice(this.prefix.length);
      const sha256 = rest.slice(0, 64);
      if (!SHA256.test(sha256) || rest[64] !== '/') continue;
      yield { sha256, name: rest.slice(65), received: this.received(blob) };
    }
  }
}

/** The store `modelScan.uploads.storage` asks for. */
export function createUploadStore(
  storage: UploadStorageConfig,
  uploadsDir: string,
): UploadStore {
  if (storage.type === 'local') return new LocalUploadStore(uploadsDir);
  return new AzureBlobUploadStore({
    endpoint: storage.endpoint,
    container: storage.container,
    prefix: storage.prefix,
    credential: credentialFor(storage),
  });
}
