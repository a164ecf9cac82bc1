import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Clock } from './ScanService';
import { LocalUploadStore, StoredUpload, UploadStore } from './uploadStore';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface UploadRetentionOptions {
  /** `<workDir>/uploads`: incoming (partial) uploads, and the store when `store` is not given. */
  uploadsDir: string;
  /** Where uploads are kept (shared blob storage or the local folder; default the local folder). */
  store?: UploadStore;
  /** Uploads whose file is older than this are deleted (`modelScan.uploads.retentionDays`). */
  retentionDays: number;
  /** sha256s a queued or running scan still needs (never deleted). */
  uploadsInUse(): Promise<Set<string>>;
  clock: Clock;
  logger: LoggerService;
}

/**
 * Deletes uploaded files older than the retention period. Scan results stay in the database
 * (the scan page still shows them); a rescan of a deleted upload is refused with "upload
 * expired". An upload counts from when its bytes were last received (a re-upload of the same
 * bytes renews it). Files a queued or running scan still needs are kept. With shared blob
 * storage every replica may run it: deleting an upload twice is harmless.
 */
export class UploadRetention {
  constructor(private readonly options: UploadRetentionOptions) {}

  async run(): Promise<{ deleted: string[]; kept: number }> {
    const { uploadsDir, retentionDays, clock, logger } = this.options;
    const store = this.options.store ?? new LocalUploadStore(uploadsDir);
    const cutoff = clock.now().getTime() - retentionDays * DAY_MS;
    // partial uploads left by a crash on this replica's disk
    const entries = await fs.readdir(uploadsDir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!entry.startsWith('.incoming-')) continue;
      const path = join(uploadsDir, entry);
      const stat = await fs.stat(path).catch(() => undefined);
      if (stat && stat.mtimeMs < cutoff) await fs.rm(path, { force: true });
    }
    const stored: StoredUpload[] = [];
    for await (const upload of store.list()) stored.push(upload);
    if (!stored.length) return { deleted: [], kept: 0 };
    const inUse = await this.options.uploadsInUse();
    const deleted: string[] = [];
    let kept = 0;
    for (const upload of stored) {
      if (inUse.has(upload.sha256) || upload.received.getTime() >= cutoff) {
        kept++;
        continue;
      }
      await store.remove(upload.sha256);
      deleted.push(upload.sha256);
    }
    if (deleted.length) {
      logger.info(
        `Deleted ${deleted.length} upload(s) older than ${retentionDays} days (modelScan.uploads.retentionDays) from the ${store.description}; their scan results are kept`,
      );
    }
    return { deleted, kept };
  }
}
