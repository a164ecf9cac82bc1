import type { LoggerService } from '@backstage/backend-plugin-api';
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient, ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { Clock } from '@internal/clock';
import type { BlobPullSettings } from '../domain/settings';
import type { DetectionsStore } from '../store/DetectionsStore';
import type { IngestService } from './IngestService';

/** Lines per ingest batch when a blob is large. */
const LINES_PER_BATCH = 10_000;

export interface PullResult {
  blobs: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

/**
 * Pulls exported diagnostic logs (Azure Monitor diagnostic settings → storage account, e.g.
 * `insights-logs-storageread/resourceId=…/y=2026/m=12/d=07/h=10/m=00/PT1H.json`, one record per
 * line) into ingest. Remembers per blob the ETag and how many bytes were ingested: a blob that
 * has not changed is skipped, an append blob that grew is read from where it stopped, and only
 * whole lines are taken (a line still being written waits for the next pull). Re-reading is
 * harmless anyway: ingest is idempotent by content.
 */
export class BlobLogPuller {
  static fromSettings(s: BlobPullSettings, deps: { store: DetectionsStore; ingest: IngestService; clock: Clock; logger: LoggerService }): BlobLogPuller {
    const credential = s.credential.kind === 'sharedKey'
      ? new StorageSharedKeyCredential(s.credential.accountName, s.credential.accountKey)
      : new DefaultAzureCredential();
    const container = new BlobServiceClient(s.accountUrl, credential).getContainerClient(s.container);
    return new BlobLogPuller(container, s.prefix, deps);
  }

  constructor(
    private readonly container: ContainerClient,
    private readonly prefix: string,
    private readonly deps: { store: DetectionsStore; ingest: IngestService; clock: Clock; logger: LoggerService },
  ) {}

  async pullOnce(): Promise<PullResult> {
    const { store, ingest, clock } = this.deps;
    const result: PullResult = { blobs: 0, accepted: 0, duplicates: 0, rejected: 0 };
    const containerName = this.container.containerName;
    for await (const blob of this.container.listBlobsFlat({ prefix: this.prefix || undefined })) {
      const etag = blob.properties.etag ?? '';
      const size = blob.properties.contentLength ?? 0;
      const seen = await store.blobPosition(containerName, blob.name);
      if (seen && seen.etag === etag) continue;
      const offset = seen && seen.offset <= size ? seen.offset : 0;
      if (offset >= size) {
        await store.setBlobPosition(containerName, blob.name, etag, offset, clock.now().toISOString());
        continue;
      }
      const buf = await this.container.getBlobClient(blob.name).downloadToBuffer(offset, size - offset);
      // whole lines only: the tail after the last line feed may still be being appended
      const end = buf.lastIndexOf(0x0a) + 1;
      const complete = blob.properties.blobType !== 'AppendBlob' ? buf.length : end;
      if (complete > 0) {
        const lines = buf.subarray(0, complete).toString('utf8').split('\n');
        for (let i = 0; i < lines.length; i += LINES_PER_BATCH) {
          const text = lines.slice(i, i + LINES_PER_BATCH).join('\n');
          if (!text.trim()) continue;
          const r = await ingest.ingest(text);
          result.accepted += r.accepted;
          result.duplicates += r.duplicates;
          result.rejected += r.rejected.length;
          if (r.rejected.length) {
            this.deps.logger.warn(`detections: ${r.rejected.length} lines of ${containerName}/${blob.name} rejected, first: line ${r.rejected[0].line + i}: ${r.rejected[0].error}`);
          }
        }
      }
      await store.setBlobPosition(containerName, blob.name, etag, offset + complete, clock.now().toISOString());
      result.blobs++;
    }
    return result;
  }
}
