import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Request } from 'express';
import busboy from 'busboy';
import { InputError } from '@backstage/errors';
import { sanitizeFileName } from '../domain/targets';

export interface ReceivedUpload {
  /** Sanitized original file name. */
  name: string;
  /** Where the bytes are stored: `<uploadsDir>/<sha256>/<name>`. */
  path: string;
  sha256: string;
  size: number;
  fields: Record<string, string>;
  /** Removes the stored bytes if this upload stored them (used when the request is refused after all). */
  discard(): Promise<void>;
}

/**
 * Streams a multipart upload (field `file`) to disk while hashing it, never holding it in
 * memory. Uploads are stored by content hash, so the same bytes are stored once.
 */
export class UploadReceiver {
  constructor(
    private readonly options: { uploadsDir: string; maxUploadBytes: number },
  ) {}

  async receive(req: Request): Promise<ReceivedUpload> {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(contentType)) {
      throw new InputError('file: expected a multipart/form-data upload');
    }
    const { uploadsDir, maxUploadBytes } = this.options;
    await fs.mkdir(uploadsDir, { recursive: true });
    const tmpPath = join(uploadsDir, `.incoming-${randomUUID()}`);

    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: {
          files: 1,
          fileSize: maxUploadBytes,
          fields: 10,
          fieldSize: 4096,
        },
      });
    } catch (error) {
      throw new InputError(`file: ${(error as Error).message}`);
    }

    const fields: Record<string, string> = {};
    let fileWork:
      | Promise<{ name: string; sha256: string; size: number }>
      | undefined;
    let tooLarge = false;

    const finished = new Promise<void>((resolve, reject) => {
      parser.on('field', (name, value) => {
        fields[name] = value;
      });
      parser.on('file', (field, stream, info) => {
        if (field !== 'file' || fileWork) {
          stream.resume();
          return;
        }
        const hash = createHash('sha256');
        let size = 0;
        stream.on('limit', () => {
          tooLarge = true;
        });
        const hasher = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            size += chunk.length;
            cb(null, chunk);
          },
        });
        fileWork = pipeline(stream, hasher, createWriteStream(tmpPath)).then(
          () => ({
            name: sanitizeFileName(info.filename ?? 'upload.bin'),
            sha256: hash.digest('hex'),
            size,
          }),
        );
        fileWork.catch(reject);
      });
      parser.on('error', reject);
      parser.on('close', () => resolve());
    });
    req.pipe(parser);

    try {
      await finished;
      if (!fileWork) {
        throw new InputError('file: the multipart field "file" is missing');
      }
      const file = await fileWork;
      if (tooLarge) {
        throw new InputError(
          `file: larger than the limit of ${maxUploadBytes} bytes (modelScan.maxUploadBytes)`,
        );
      }
      const dir = join(uploadsDir, file.sha256);
      await fs.mkdir(dir, { recursive: true });
      const existing = await fs.readdir(dir);
      const path = join(dir, existing[0] ?? file.name);
      if (existing.length) {
        await fs.rm(tmpPath, { force: true });
        // received again: the retention period (modelScan.uploads.retentionDays) starts anew
        const now = new Date();
        await fs.utimes(path, now, now).catch(() => {});
      } else {
        await fs.rename(tmpPath, path);
      }
      const created = existing.length === 0;
      return {
        name: file.name,
        path,
        sha256: file.sha256,
        size: file.size,
        fields,
        discard: async () => {
          if (created) await fs.rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await fs.rm(tmpPath, { force: true });
      if (error instanceof InputError) throw error;
      throw new InputError(`file: upload failed: ${(error as Error).message}`);
    }
  }
}
