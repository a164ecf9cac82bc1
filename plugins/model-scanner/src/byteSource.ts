import { promises as fsp, readSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { Readable, type Transform } from 'node:stream';
import type { ByteSource } from './types';

/** Random-access reads of a file on disk through one file handle. Never loads the file whole. */
export class FileByteSource implements ByteSource {
  private constructor(
    private readonly handle: fsp.FileHandle,
    readonly size: number,
    readonly name: string,
    /** Where the file is on disk (tools that need a path, such as 7-Zip, read it there). */
    readonly path: string,
  ) {}

  static async open(path: string, name = path): Promise<FileByteSource> {
    const handle = await fsp.open(path, 'r');
    try {
      const st = await handle.stat();
      return new FileByteSource(handle, st.size, name, path);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const len = Math.max(0, Math.min(length, this.size - offset));
    if (len === 0 || offset < 0) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    if (len <= 256 * 1024) {
      // small reads (headers, sniffing, pickle chunks) from the page cache: a synchronous pread
      // avoids a thread-pool round trip per read
      while (done < len) {
        const n = readSync(
          this.handle.fd,
          buf,
          done,
          len - done,
          offset + done,
        );
        if (n === 0) break;
        done += n;
      }
      return done === len ? buf : buf.subarray(0, done);
    }
    while (done < len) {
      const { bytesRead } = await this.handle.read(
        buf,
        done,
        len - done,
        offset + done,
      );
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === len ? buf : buf.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** A ByteSource over a Buffer (tests, small nested objects). */
export class BufferByteSource implements ByteSource {
  constructor(private readonly data: Buffer, readonly name: string) {}
  get size() {
    return this.data.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || offset >= this.data.length) return Buffer.alloc(0);
    return this.data.subarray(
      offset,
      Math.min(this.data.length, offset + length),
    );
  }
}

/** A zero-copy window [start, start+size) of another source (stored archive members, embedded bytes). */
export class SliceByteSource implements ByteSource {
  constructor(
    readonly parent: ByteSource,
    readonly start: number,
    readonly size: number,
    readonly name: string,
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || offset >= this.size) return Buffer.alloc(0);
    const len = Math.min(length, this.size - offset);
    return this.parent.read(this.start + offset, len);
  }
}

export class DecompressionLimitError extends Error {}

/** Stream codecs read incrementally (Node's zlib, including zstd, and our LZ4 frame decoder). */
export type StreamCodec = 'raw' | 'zlib' | 'gzip' | 'zstd' | 'lz4';

/** Output chunks of 1 MiB: the window below is appended to per chunk (16 KiB chunks cost 64x more copying). */
const CHUNK = 1 << 20;
const DECODERS: Record<StreamCodec, () => Transform> = {
  raw: () => zlib.createInflateRaw({ chunkSize: CHUNK }),
  zlib: () => zlib.createInflate({ chunkSize: CHUNK }),
  gzip: () => zlib.createGunzip({ chunkSize: CHUNK }),
  // zstd frames asking for a window above 128 MiB are refused by zstd's default windowLogMax
  zstd: () => zlib.createZstdDecompress({ chunkSize: CHUNK }),
  // loaded on first use (node:stream's Transform is not needed to start the CLI)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lz4: () =>
    new (
      require('./containers/lz4') as typeof import('./containers/lz4')
    ).Lz4Decoder(),
};

/**
 * Decompressed view of a compressed range (deflate, zlib, gzip, zstd or LZ4), streamed: reading forward
 * inflates incrementally with a bounded window; reading backwards restarts the stream. The output
 * is capped at `maxOutput` bytes (bomb protection) — reads past it throw DecompressionLimitError.
 */
export class InflateByteSource implements ByteSource {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  private inflater: Transform | undefined;
  private iter: AsyncIterator<unknown> | undefined;
  private produced = 0;
  private failure: Error | undefined;
  private readonly head: Buffer[] = [];
  private headLen = 0;
  private static readonly HEAD_CACHE = 1 << 16;
  private static readonly WINDOW = 4 << 20;

  constructor(
    private readonly compressed: ByteSource,
    private readonly kind: StreamCodec,
    /** Declared size (or an upper bound). */
    readonly size: number,
    readonly name: string,
    private readonly maxOutput: number,
    /**
     * `size` is exactly what decodes (measured by a first pass): reads stop there, so a stream
     * that fails after `size` bytes is read up to its failure and no further.
     */
    private readonly exactSize = false,
  ) {}

  /** Total bytes produced so far (for bomb accounting). */
  get bytesProduced() {
    return this.produced;
  }

  private restart() {
    this.inflater?.destroy();
    const inf = DECODERS[this.kind]();
    this.inflater = inf;
    this.produced = 0;
    this.failure = undefined;
    this.window = Buffer.alloc(0);
    this.windowStart = 0;
    const src = this.compressed;
    async function* input() {
      let pos = 0;
      while (pos < src.size) {
        const chunk = await src.read(pos, 1 << 20);
        if (!chunk.length) return;
        pos += chunk.length;
        if (pos >= src.size && chunk.length > 8) {
          // the checksum trailer in a write of its own: a loader (Python's gzip, zlib) hands out
          // the data before it checks the trailer, so data before a bad checksum is still scanned
          yield chunk.subarray(0, chunk.length - 8);
          yield chunk.subarray(chunk.length - 8);
        } else yield chunk;
      }
    }
    Readable.from(input())
      .on('error', e => inf.destroy(e))
      .pipe(inf);
    this.iter = inf[Symbol.asyncIterator]();
  }

  /** Produces more output; returns false at the end of the stream. */
  private async pump(): Promise<boolean> {
    if (!this.iter) this.restart();
    if (this.failure) throw this.failure;
    const r = await this.iter!.next();
    if (r.done) return false;
    this.accept(r.value as Buffer);
    return true;
  }

  private accept(chunk: Buffer) {
    let c = chunk;
    if (this.produced + c.length > this.maxOutput) {
      this.failure = new DecompressionLimitError(
        `decompressed size of ${this.name} exceeds the limit of ${this.maxOutput} bytes`,
      );
      c = c.subarray(0, Math.max(0, this.maxOutput - this.produced));
    }
    if (this.headLen < InflateByteSource.HEAD_CACHE) {
      this.head.push(c);
      this.headLen += c.length;
    }
    const wEnd = this.windowStart + this.window.length;
    if (this.window.length > InflateByteSource.WINDOW) {
      // drop the oldest part of the window
      const keep = this.window.subarray(this.window.length - (1 << 20));
      this.windowStart = wEnd - keep.length;
      this.window = Buffer.concat([keep, c]);
    } else {
      this.window = this.window.length ? Buffer.concat([this.window, c]) : c;
    }
    this.produced += c.length;
  }

  async read(offset: number, len: number): Promise<Buffer> {
    // never ask the decoder for more than the declared size (a truncated stream's size is what
    // decoded before the error, so reads within it never reach the error again)
    const length = this.exactSize ? Math.min(len, this.size - offset) : len;
    if (offset < 0 || length <= 0) return Buffer.alloc(0);
    const headBuf = this.headLen ? Buffer.concat(this.head) : undefined;
    if (headBuf && offset + length <= headBuf.length)
      return headBuf.subarray(offset, offset + length);
    if (!this.iter || offset < this.windowStart) {
      this.restart();
      this.head.length = 0;
      this.headLen = 0;
    }
    while (this.windowStart + this.window.length < offset + length) {
      if (
        this.window.length > InflateByteSource.WINDOW &&
        this.windowStart + this.window.length < offset
      ) {
        this.windowStart += this.window.length;
        this.window = Buffer.alloc(0);
      }
      const more = await this.pump();
      if (!more) break;
    }
    const rel = offset - this.windowStart;
    if (rel < 0) throw new Error(`inflate window miss at ${offset}`);
    return Buffer.from(this.window.subarray(rel, rel + length));
  }

  close() {
    this.inflater?.destroy();
  }
}

/** Reads a whole (small) source into memory. Callers bound the size. */
export async function readAll(src: ByteSource, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let off = 0;
  while (off < Math.min(src.size, max)) {
    const b = await src.read(off, Math.min(1 << 20, max - off));
    if (!b.length) break;
    parts.push(b);
    off += b.length;
  }
  return Buffer.concat(parts);
}
