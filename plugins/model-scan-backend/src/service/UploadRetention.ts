import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Clock } from './ScanService';

const SHA256_DIR = /^[0-9a-f]{64}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface UploadRetentionOptions {
  /** `<workDir>/uploads`: one folder per upload, named by the file's sha256. */
  uploadsDir: string;
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
 * bytes renews it). Files a queued or running scan still needs are kept.
 */
export class UploadRetention {
  constructor(private readonly options: UploadRetentionOptions) {}

  async run(): Promise<{ deleted: string[]; kept: number }> {
    const { uploadsDir, retentionDays, clock, logger } = this.options;
    const cutoff = clock.now().getTime() - retentionDays * DAY_MS;
    const entries = await fs.readdir(uploadsDir).catch(() => [] as string[]);
    if (!entries.length) return { deleted: [], kept: 0 };
    const inUse = await this.options.uploadsInUse();
    const deleted: string[] = [];
    let kept = 0;
    for (const entry of entries) {
      const path = join(uploadsDir, entry);
      if (entry.startsWith('.incoming-')) {
        // a partial upload left by a crash
        const stat = await fs.stat(path).catch(() => undefined);
        if (stat && stat.mtimeMs < cutoff) await fs.rm(path, { force: true });
        continue;
      }
      if (!SHA256_DIR.test(entry)) continue;
      const received = await newestMtime(path);
      if (inUse.has(entry) || received === undefined || received >= cutoff) {
        kept++;
        continue;
      }
      await fs.rm(path, { recursive: true, force: true });
      deleted.push(entry);
    }
    if (deleted.length) {
      logger.info(
        `Deleted ${deleted.length} upload(s) older than ${retentionDays} days (modelScan.uploads.retentionDays); their scan results are kept`,
      );
    }
    return { deleted, kept };
  }
}

async function newestMtime(dir: string): Promise<number | undefined> {
  const names = await fs.readdir(dir).catch(() => undefined);
  if (!names) return undefined;
  let newest: number | undefined;
  for (const name of names) {
    const stat = await fs.stat(join(dir, name)).catch(() => undefined);
    if (stat && (newest === undefined || stat.mtimeMs > newest)) {
      newest = stat.mtimeMs;
    }
  }
  // an empty folder (bytes already gone) counts as expired
  return newest ?? 0;
}
