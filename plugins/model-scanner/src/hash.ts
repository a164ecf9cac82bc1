/** SHA-256 of files, with node:crypto loaded only when a hash is asked for. */
import type { Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';

/** node:crypto loaded on first use: a --no-hash CLI run never pays for initialising OpenSSL. */
export function createHash(algorithm: 'sha256'): Hash {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:crypto') as typeof import('node:crypto')).createHash(
    algorithm,
  );
}

/** SHA-256 of a file with one sequential pass and large reads. */
export async function sha256File(
  filePath: string,
  onProgress?: (done: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const h = createHash('sha256');
  const fh = await fsp.open(filePath, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    let pos = 0;
    for (;;) {
      if (signal?.aborted) throw new Error('scan aborted');
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (!bytesRead) break;
      h.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      pos += bytesRead;
      onProgress?.(pos);
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}
