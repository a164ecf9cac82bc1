import type { ByteSource } from '../../types';

/**
 * Bounded, chunk-cached random reads over a ByteSource. Never holds more than
 * `maxChunks` chunks in memory, whatever the size of the source.
 */
export class CachedReader {
  private readonly cache = new Map<number, Buffer>();

  constructor(
    readonly source: ByteSource,
    private readonly chunkSize = 64 * 1024,
    private readonly maxChunks = 64,
  ) {}

  get size(): number {
    return this.source.size;
  }

  private async chunk(index: number): Promise<Buffer> {
    const hit = this.cache.get(index);
    if (hit) {
      // refresh LRU position
      this.cache.delete(index);
      this.cache.set(index, hit);
      return hit;
    }
    const buf = await this.source.read(index * this.chunkSize, this.chunkSize);
    this.cache.set(index, buf);
    if (this.cache.size > this.maxChunks) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
    }
    return buf;
  }

  /** Reads exactly `length` bytes or fewer at the end of the source. */
  async bytes(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length <= 0 || offset >= this.size) return Buffer.alloc(0);
    const end = Math.min(this.size, offset + length);
    if (end - offset > this.chunkSize * 4) {
      return this.source.read(offset, end - offset);
    }
    const first = Math.floor(offset / this.chunkSize);
    const last = Math.floor((end - 1) / this.chunkSize);
    if (first === last) {
      const c = await this.chunk(first);
      const s = offset - first * this.chunkSize;
      return c.subarray(s, s + (end - offset));
    }
    const parts: Buffer[] = [];
    for (let i = first; i <= last; i++) parts.push(await this.chunk(i));
    const all = Buffer.concat(parts);
    const s = offset - first * this.chunkSize;
    return all.subarray(s, s + (end - offset));
  }

  async byte(offset: number): Promise<number> {
    if (offset < 0 || offset >= this.size) return -1;
    const i = Math.floor(offset / this.chunkSize);
    const c = await this.chunk(i);
    const v = c[offset - i * this.chunkSize];
    return v === undefined ? -1 : v;
  }
}

/** A window [offset, offset+length) of another source, for scanNested. */
export function subSource(parent: ByteSource, offset: number, length: number, name: string): ByteSource {
  const size = Math.max(0, Math.min(length, parent.size - offset));
  return {
    size,
    name,
    async read(off: number, len: number) {
      if (off >= size || len <= 0) return Buffer.alloc(0);
      return parent.read(offset + off, Math.min(len, size - off));
    },
  };
}

/** A source over bytes already in memory (small decoded payloads). */
export function memorySource(data: Buffer, name: string): ByteSource {
  return {
    size: data.length,
    name,
    async read(off: number, len: number) {
      return data.subarray(off, Math.min(data.length, off + len));
    },
  };
}
