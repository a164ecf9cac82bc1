import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Request } from 'express';
import busboy from 'busboy';
import { InputError } from '@backstage/errors';
import { sanitizeFileName } from '../domain/targets';
import { LocalUploadStore, UploadStore } from './uploadStore';

export interface ReceivedUpload {
  /** Sanitized original file name. */
  name: string;
  /**
   * Where the bytes are stored on this replica's disk (`<uploadsDir>/<sha256>/<name>`), or "" when
   * the upload store is shared blob storage (any replica opens it from there by its hash).
   */
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
    private readonly options: {
      /** Local folder for incoming bytes (and the store when `store` is not given). */
      uploadsDir: string;
      maxUploadBytes: number;
      /** Where received uploads are kept (default: a LocalUploadStore on `uploadsDir`). */
      store?: UploadStore;
    },
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
      const store = this.options.store ?? new LocalUploadStore(uploadsDir);
      // the store consumes the hashed file (moves it into place or uploads it); bytes received
      // again only renew their retention (modelScan.uploads.retentionDays)
      const stored = await store.put(
        file.sha256,
        file.name,
        tmpPath,
        new Date(),
      );
      return {
        name: file.name,
        path:
          store instanceof LocalUploadStore
            ? join(store.dir, file.sha256, stored.name)
            : '',
        sha256: file.sha256,
        size: file.size,
        fields,
        discard: async () => {
          if (stored.created) await store.remove(file.sha256);
        },
      };
    } catch (error) {
      await fs.rm(tmpPath, { force: true });
      if (error instanceof InputError) throw error;
      throw new InputError(`file: upload failed: ${(error as Error).message}`);
    }
  }
}
