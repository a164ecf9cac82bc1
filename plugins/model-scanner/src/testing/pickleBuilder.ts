/**
 * Hand-assembles pickle byte streams opcode by opcode (malicious test samples are built here and
 * never executed).
 */
export class PickleBuilder {
  private readonly parts: Buffer[] = [];

  raw(b: Buffer | number[] | string): this {
    if (Buffer.isBuffer(b)) this.parts.push(b);
    else if (typeof b === 'string') this.parts.push(Buffer.from(b, 'latin1'));
    else this.parts.push(Buffer.from(b));
    return this;
  }
  op(code: number, ...args: number[]): this {
    return this.raw([code, ...args]);
  }
  proto(v = 4): this {
    return this.op(0x80, v);
  }
  frame(len: number | bigint): this {
    const b = Buffer.alloc(9);
    b[0] = 0x95;
    b.writeBigUInt64LE(BigInt(len), 1);
    return this.raw(b);
  }
  /** GLOBAL opcode (text module/name lines). */
  global(module: string, name: string): this {
    return this.raw(`c${module}\n${name}\n`);
  }
  /** SHORT_BINUNICODE / BINUNICODE string. */
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length < 256)
      return this.raw(Buffer.concat([Buffer.from([0x8c, b.length]), b]));
    const h = Buffer.alloc(5);
    h[0] = 0x58;
    h.writeUInt32LE(b.length, 1);
    return this.raw(Buffer.concat([h, b]));
  }
  /** Protocol 0 STRING opcode. */
  string0(s: string): this {
    return this.raw(`S'${s}'\n`);
  }
  shortBinstring(s: string): this {
    return this.raw(
      Buffer.concat([Buffer.from([0x55, s.length]), Buffer.from(s, 'latin1')]),
    );
  }
  bytes(b: Buffer): this {
    if (b.length < 256)
      return this.raw(Buffer.concat([Buffer.from([0x43, b.length]), b]));
    const h = Buffer.alloc(5);
    h[0] = 0x42;
    h.writeUInt32LE(b.length, 1);
    return this.raw(Buffer.concat([h, b]));
  }
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).op(0x93);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(n, 1);
    return this.raw(b);
  }
  none(): this {
    return this.op(0x4e);
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  tuple1(): this {
    return this.op(0x85);
  }
  tuple2(): this {
    return this.op(0x86);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  setitem(): this {
    return this.op(0x73);
  }
  reduce(): this {
    return this.op(0x52);
  }
  build(): this {
    return this.op(0x62);
  }
  newobj(): this {
    return this.op(0x81);
  }
  memoize(): this {
    return this.op(0x94);
  }
  binput(i: number): this {
    return this.op(0x71, i);
  }
  binget(i: number): this {
    return this.op(0x68, i);
  }
  pop(): this {
    return this.op(0x30);
  }
  stop(): this {
    return this.op(0x2e);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export const pb = () => new PickleBuilder();

/** os.system("id") the classic way (protocol 2, GLOBAL + REDUCE). */
export function classicPayload(
  module = 'os',
  name = 'system',
  arg = 'id',
): Buffer {
  return pb()
    .proto(2)
    .global(module, name)
    .str(arg)
    .tuple1()
    .reduce()
    .stop()
    .toBuffer();
}

/** collections.OrderedDict() — the benign twin of classicPayload. */
export function benignOrderedDict(): Buffer {
  return pb()
    .proto(2)
    .global('collections', 'OrderedDict')
    .emptyTuple()
    .reduce()
    .stop()
    .toBuffer();
}

/** Minimal stored (method 0) zip writer for tests; lets tests patch headers. */
export interface ZipEntrySpec {
  name: string;
  data: Buffer;
  /** Name written in the local header (defaults to name). */
  localName?: string;
  flags?: number;
  crc?: number;
  deflate?: boolean;
  externalAttr?: number;
  madeBy?: number;
  /** Compression method and the already compressed bytes (bzip2 12, LZMA 14, zstd 93, xz 95). */
  method?: number;
  compressed?: Buffer;
}

export function buildZip(entries: ZipEntrySpec[]): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data =
      e.compressed ?? (e.deflate ? zlib.deflateRawSync(e.data) : e.data);
    const method = e.method ?? (e.deflate ? 8 : 0);
    const crc = e.crc ?? zlib.crc32(e.data);
    const lname = Buffer.from(e.localName ?? e.name, 'utf8');
    const cname = Buffer.from(e.name, 'utf8');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(e.flags ?? 0, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc >>> 0, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(lname.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(e.madeBy ?? 0x031e, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(e.flags ?? 0, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc >>> 0, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(cname.length, 28);
    ch.writeUInt32LE(e.externalAttr ?? (0o100644 << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, lname, data);
    centrals.push(ch, cname);
    offset += 30 + lname.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A tar archive (ustar) with regular files, links and raw names. */
export function buildTar(
  entries: Array<{
    name: string;
    data?: Buffer;
    type?: '0' | '1' | '2' | '5';
    linkname?: string;
  }>,
): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write(e.type ?? '0', 156);
    if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
    h.write('ustar\0', 257);
    h.write('00', 263);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A .npy v1.0 file with the given descr and raw data. */
export function buildNpy(descr: string, shape: string, data: Buffer): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += `${' '.repeat((64 - (total % 64)) % 64)}\n`;
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
}
