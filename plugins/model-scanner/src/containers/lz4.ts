/**
 * Streaming LZ4 decoder (the frame format of `lz4` / Python `lz4.frame`, which joblib's `lz4`
 * compressor writes, and the legacy `lz4 -l` format), as a Node Transform.
 *
 * Written here because the npm LZ4 packages are unmaintained or native. The format is small: a
 * frame header, then blocks of at most 4 MiB, each either stored or a sequence of literal runs and
 * back-references into the last 64 KiB. Every length and offset is checked; a block is held in
 * memory only up to the frame's declared maximum block size, so memory stays bounded whatever the
 * input. Checksums are not verified (the loaders read the data the same way).
 */
import { Transform, TransformCallback } from 'node:stream';

export const LZ4_FRAME_MAGIC = 0x184d2204;
export const LZ4_LEGACY_MAGIC = 0x184c2102;
const HISTORY = 64 * 1024;
const LEGACY_BLOCK = 8 * 1024 * 1024;

export class Lz4FormatError extends Error {}

/** Decompresses one LZ4 block into `out` starting at `outPos`; returns the new end. */
export function decodeLz4Block(
  src: Buffer,
  out: Buffer,
  outPos: number,
): number {
  let ip = 0;
  let op = outPos;
  const end = src.length;
  while (ip < end) {
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Lz4FormatError('truncated literal length');
        b = src[ip++];
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end) throw new Lz4FormatError('literals past block end');
    if (op + lit > out.length)
      throw new Lz4FormatError('block larger than its declared maximum');
    src.copy(out, op, ip, ip + lit);
    ip += lit;
    op += lit;
    if (ip === end) break; // last sequence has no match
    if (ip + 2 > end) throw new Lz4FormatError('truncated match offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op)
      throw new Lz4FormatError(`match offset ${offset} outside the window`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Lz4FormatError('truncated match length');
        b = src[ip++];
        len += b;
      } while (b === 255);
    }
    if (op + len > out.length)
      throw new Lz4FormatError('block larger than its declared maximum');
    let from = op - offset;
    if (offset >= len) {
      out.copy(out, op, from, from + len);
      op += len;
    } else {
      // overlapping copy (run-length): byte by byte
      for (let i = 0; i < len; i++) out[op++] = out[from++];
    }
  }
  return op;
}

type State =
  | { t: 'magic' }
  | { t: 'header'; need: number }
  | { t: 'blockSize' }
  | { t: 'block'; size: number; stored: boolean }
  | { t: 'skip'; left: number; next: State }
  | { t: 'legacySize' }
  | { t: 'legacyBlock'; size: number };

/** A Transform that turns LZ4 frames (concatenated, skippable frames allowed) into the raw bytes. */
export class Lz4Decoder extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { t: 'magic' };
  private maxBlock = 4 << 20;
  private blockChecksum = false;
  private contentChecksum = false;
  private independent = true;
  private history: Buffer = Buffer.alloc(0);
  private frames = 0;

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      this.drain();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  _flush(cb: TransformCallback) {
    if (
      this.buf.length ||
      !(this.state.t === 'magic' || this.state.t === 'legacySize')
    )
      cb(new Lz4FormatError('LZ4 stream is truncated'));
    else if (this.frames === 0) cb(new Lz4FormatError('empty LZ4 stream'));
    else cb();
  }

  private takeBytes(n: number): Buffer | undefined {
    if (this.buf.length < n) return undefined;
    const b = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return b;
  }

  private output(data: Buffer) {
    if (!data.length) return;
    this.push(Buffer.from(data));
    const keep = Math.min(HISTORY, data.length + this.history.length);
    this.history = Buffer.concat([this.history, data]).subarray(
      this.history.length + data.length - keep,
    );
  }

  private drain() {
    for (;;) {
      const s = this.state;
      if (s.t === 'magic') {
        if (this.buf.length < 4) return;
        const magic = this.buf.readUInt32LE(0);
        if (magic === LZ4_FRAME_MAGIC) {
          if (this.buf.length < 7) return;
          const flg = this.buf[4];
          const hlen = 7 + (flg & 8 ? 8 : 0) + (flg & 1 ? 4 : 0);
          this.takeBytes(4);
          this.state = { t: 'header', need: hlen - 4 };
        } else if ((magic & 0xfffffff0) === 0x184d2a50) {
          if (this.buf.length < 8) return;
          const size = this.buf.readUInt32LE(4);
          this.takeBytes(8);
          this.state = { t: 'skip', left: size, next: { t: 'magic' } };
        } else if (magic === LZ4_LEGACY_MAGIC) {
          this.takeBytes(4);
          this.frames++;
          this.history = Buffer.alloc(0);
          this.state = { t: 'legacySize' };
        } else
          throw new Lz4FormatError(
            `not an LZ4 frame (magic 0x${magic.toString(16)})`,
          );
      } else if (s.t === 'header') {
        const h = this.takeBytes(s.need);
        if (!h) return;
        const flg = h[0];
        const bd = h[1];
        if (flg >> 6 !== 1)
          throw new Lz4FormatError(`unsupported LZ4 frame version ${flg >> 6}`);
        if (flg & 2 || bd & 0x8f)
          throw new Lz4FormatError('reserved LZ4 frame bits are set');
        const bsid = (bd >> 4) & 7;
        if (bsid < 4)
          throw new Lz4FormatError(`invalid LZ4 block size ${bsid}`);
        this.maxBlock = 1 << (8 + 2 * bsid);
        this.independent = !!(flg & 0x20);
        this.blockChecksum = !!(flg & 0x10);
        this.contentChecksum = !!(flg & 4);
        this.history = Buffer.alloc(0);
        this.frames++;
        this.state = { t: 'blockSize' };
      } else if (s.t === 'blockSize') {
        const b = this.takeBytes(4);
        if (!b) return;
        const v = b.readUInt32LE(0);
        if (v === 0) {
          this.state = this.contentChecksum
            ? { t: 'skip', left: 4, next: { t: 'magic' } }
            : { t: 'magic' };
          continue;
        }
        const size = v & 0x7fffffff;
        if (size > this.maxBlock)
          throw new Lz4FormatError(
            `LZ4 block of ${size} bytes exceeds the frame's maximum of ${this.maxBlock}`,
          );
        this.state = { t: 'block', size, stored: (v & 0x80000000) !== 0 };
      } else if (s.t === 'block') {
        const need = s.size + (this.blockChecksum ? 4 : 0);
        if (this.buf.length < need) return;
        const data = this.takeBytes(s.size)!;
        if (this.blockChecksum) this.takeBytes(4);
        if (s.stored) this.output(data);
        else this.output(this.decode(data, this.maxBlock));
        if (this.independent) this.history = Buffer.alloc(0);
        this.state = { t: 'blockSize' };
      } else if (s.t === 'skip') {
        const n = Math.min(s.left, this.buf.length);
        this.takeBytes(n);
        s.left -= n;
        if (s.left > 0) return;
        this.state = s.next;
      } else if (s.t === 'legacySize') {
        if (this.buf.length < 4) return;
        const v = this.buf.readUInt32LE(0);
        if (v === LZ4_LEGACY_MAGIC || v === LZ4_FRAME_MAGIC) {
          this.state = { t: 'magic' };
          continue;
        }
        this.takeBytes(4);
        if (v > LEGACY_BLOCK + (LEGACY_BLOCK >> 8) + 16)
          throw new Lz4FormatError(`LZ4 legacy block of ${v} bytes`);
        this.state = { t: 'legacyBlock', size: v };
      } else {
        const data = this.takeBytes(s.size);
        if (!data) return;
        this.history = Buffer.alloc(0);
        this.output(this.decode(data, LEGACY_BLOCK));
        this.state = { t: 'legacySize' };
      }
    }
  }

  private decode(block: Buffer, max: number): Buffer {
    const hist = this.history;
    const out = Buffer.allocUnsafe(hist.length + max);
    hist.copy(out, 0);
    const end = decodeLz4Block(block, out, hist.length);
    return out.subarray(hist.length, end);
  }
}
