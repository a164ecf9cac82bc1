/**
 * Our own zip reader, central-directory driven like PyTorch's miniz reader: member data is located
 * through the central directory and the local header, flags and CRC are ignored for reading but
 * reported, local/central name differences and duplicates are findings, and every member is scanned
 * by content whatever its name. Stored members are zero-copy ranges; deflated members are inflated
 * as a stream with size limits.
 */
import * as zlib from 'node:zlib';
import type { ByteSource, FormatScanContext } from '../types';
import {
  DecompressionLimitError,
  InflateByteSource,
  SliceByteSource,
} from '../byteSource';
import { finding } from '../rules';
import { isTraversal, traversalFinding } from './paths';
import { scanWith7z } from './sevenZipScan';
import type { FileScan } from '../fileScan';

export const ZIP_LOCAL_MAGIC = 0x04034b50;
const CENTRAL_MAGIC = 0x02014b50;
const EOCD_MAGIC = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;

interface CentralEntry {
  name: string;
  rawName: Buffer;
  flags: number;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  localOffset: number;
  madeBy: number;
  extAttr: number;
}

function decodeName(raw: Buffer, flags: number): string {
  if (flags & 0x800) return raw.toString('utf8');
  // cp437 for the printable ASCII range; other bytes kept as latin1 (only used for comparisons)
  return raw.toString('latin1');
}

/** True when the source ends with an end-of-central-directory record whose directory parses. */
export async function hasZipDirectory(src: ByteSource): Promise<boolean> {
  if (src.size < 22) return false;
  const eocd = await findEocd(src);
  if (!eocd || eocd.buf.length < 22) return false;
  const total = eocd.buf.readUInt16LE(10);
  const cdSize = eocd.buf.readUInt32LE(12);
  if (total === 0 || cdSize < 46 || cdSize > eocd.pos) return false;
  const first = await src.read(eocd.pos - cdSize, 4);
  return first.length === 4 && first.readUInt32LE(0) === CENTRAL_MAGIC;
}

async function findEocd(
  src: ByteSource,
): Promise<{ pos: number; buf: Buffer } | undefined> {
  const tailLen = Math.min(src.size, 22 + 65535 + 20);
  const tail = await src.read(src.size - tailLen, tailLen);
  const sig = Buffer.alloc(4);
  sig.writeUInt32LE(EOCD_MAGIC, 0);
  for (
    let i = tail.lastIndexOf(sig);
    i >= 0;
    i = i > 0 ? tail.lastIndexOf(sig, i - 1) : -1
  ) {
    if (i + 22 > tail.length) continue;
    const commentLen = tail.readUInt16LE(i + 20);
    if (i + 22 + commentLen <= tail.length)
      return { pos: src.size - tailLen + i, buf: tail.subarray(i) };
  }
  return undefined;
}

/** Zip compression methods Python's zipfile reads besides stored and deflate. */
const ZIP_STREAM_METHODS: Record<number, string> = {
  12: 'bzip2',
  14: 'LZMA',
  93: 'zstd',
  95: 'xz',
};

/** A source made of a buffer followed by another source (a synthesized header before raw data). */
class PrefixedByteSource implements ByteSource {
  constructor(
    private readonly prefix: Buffer,
    private readonly rest: ByteSource,
    readonly name: string,
  ) {}
  get size() {
    return this.prefix.length + this.rest.size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length <= 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    if (offset < this.prefix.length)
      parts.push(this.prefix.subarray(offset, offset + length));
    const restOff = Math.max(0, offset - this.prefix.length);
    const restLen = length - (parts[0]?.length ?? 0);
    if (restLen > 0) parts.push(await this.rest.read(restOff, restLen));
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}

/** Decodes and scans a bzip2 / LZMA / zstd / xz zip member. */
async function scanZipStreamMember(
  ctx: FormatScanContext & { scan: FileScan },
  method: number,
  raw: SliceByteSource,
  usize: number,
): Promise<void> {
  if (method === 93) {
    // a zstd frame: the engine's stream decoder (bounded like any compressed file)
    await ctx.scanNested(raw);
    return;
  }
  let source: ByteSource = raw;
  if (method === 14) {
    // zip's LZMA: version (2), properties size (2, = 5), properties (5), raw stream; 7-Zip reads
    // it as the "alone" format once given that header with the declared size
    const head = await raw.read(0, 9);
    if (head.length < 9 || head.readUInt16LE(2) !== 5)
      throw new Error('malformed LZMA member header');
    const alone = Buffer.alloc(13);
    head.copy(alone, 0, 4, 9);
    alone.writeBigUInt64LE(BigInt(usize), 5);
    source = new PrefixedByteSource(
      alone,
      new SliceByteSource(raw, 9, raw.size - 9, raw.name),
      raw.name,
    );
  }
  await scanWith7z(
    ctx.scan.context(source, ctx.depth + 1),
    ({ 12: 'bzip2', 95: 'xz' } as const)[method as 12 | 95] ?? 'lzma',
  );
}

export async function scanZip(
  ctx: FormatScanContext & { scan: FileScan },
): Promise<void> {
  const src = ctx.source;
  const scan = ctx.scan;
  const eocd = await findEocd(src);
  if (!eocd) {
    ctx.setFormat('zip');
    ctx.report(
      finding(
        'ZIP_MALFORMED',
        'The file starts like a zip archive but has no end-of-central-directory record; PyTorch refuses it.',
      ),
    );
    // fall back: the local headers may still hold a pickle
    await scanLocalHeadersOnly(ctx);
    return;
  }
  let total = eocd.buf.readUInt16LE(10);
  let cdSize = eocd.buf.readUInt32LE(12);
  let cdOffset = eocd.buf.readUInt32LE(16);
  if (eocd.pos >= 20) {
    const loc = await src.read(eocd.pos - 20, 20);
    if (loc.length === 20 && loc.readUInt32LE(0) === ZIP64_LOCATOR) {
      const recOff = Number(loc.readBigUInt64LE(8));
      const rec = await src.read(recOff, 56);
      if (rec.length === 56 && rec.readUInt32LE(0) === ZIP64_EOCD) {
        total = Number(rec.readBigUInt64LE(32));
        cdSize = Number(rec.readBigUInt64LE(40));
        cdOffset = Number(rec.readBigUInt64LE(48));
      } else {
        ctx.report(
          finding(
            'ZIP_MALFORMED',
            'The zip64 end-of-central-directory locator points to an invalid record.',
          ),
        );
      }
    }
  }
  // data before the archive (a polyglot or a self-extractor): offsets are relative to the zip start
  let base = 0;
  if (cdOffset + cdSize !== eocd.pos && eocd.pos - cdSize >= 0) {
    const at = await src.read(cdOffset, 4);
    if (!(at.length === 4 && at.readUInt32LE(0) === CENTRAL_MAGIC)) {
      const moved = await src.read(eocd.pos - cdSize, 4);
      if (moved.length === 4 && moved.readUInt32LE(0) === CENTRAL_MAGIC) {
        base = eocd.pos - cdSize - cdOffset;
        cdOffset += base;
      }
    }
  }
  if (cdOffset + cdSize > src.size) {
    ctx.report(
      finding(
        'ZIP_MALFORMED',
        `The central directory (${cdSize} bytes at ${cdOffset}) lies outside the file.`,
      ),
    );
    await scanLocalHeadersOnly(ctx);
    return;
  }
  if (cdSize > 64 << 20) {
    ctx.error('central directory larger than 64 MiB');
    return;
  }
  const cd = await src.read(cdOffset, cdSize);
  const entries: CentralEntry[] = [];
  let p = 0;
  while (p + 46 <= cd.length && cd.readUInt32LE(p) === CENTRAL_MAGIC) {
    const flags = cd.readUInt16LE(p + 8);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) break;
    const rawName = cd.subarray(p + 46, p + 46 + nameLen);
    const e: CentralEntry = {
      rawName,
      name: decodeName(rawName, flags),
      flags,
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      csize: cd.readUInt32LE(p + 20),
      usize: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42) + base,
      madeBy: cd.readUInt16LE(p + 4),
      extAttr: cd.readUInt32LE(p + 38),
    };
    // zip64 extra field
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        const fieldEnd = x + 4 + len;
        const take = () => {
          const v =
            q + 8 <= fieldEnd ? Number(cd.readBigUInt64LE(q)) : undefined;
          q += 8;
          return v;
        };
        if (e.usize === 0xffffffff) e.usize = take() ?? e.usize;
        if (e.csize === 0xffffffff) e.csize = take() ?? e.csize;
        if (e.localOffset === 0xffffffff + base)
          e.localOffset = (take() ?? e.localOffset - base) + base;
      }
      x += 4 + len;
    }
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
    if (entries.length > ctx.limits.maxMembers) break;
  }
  if (entries.length !== total && entries.length <= ctx.limits.maxMembers) {
    ctx.report(
      finding(
        'ZIP_MALFORMED',
        `The central directory lists ${entries.length} members but the end record declares ${total}.`,
        undefined,
        {
          parsed: entries.length,
          declared: total,
        },
      ),
    );
  }

  const names = entries.map(e => e.name);
  const isTorch =
    names.some(n => /(^|\/)data\.pkl$/.test(n)) ||
    (names.some(n => /(^|\/)version$/.test(n)) &&
      names.some(n => /\/data\/\d+$/.test(n)));
  const isNpz = names.length > 0 && names.every(n => n.endsWith('.npy'));
  const isKeras =
    names.includes('config.json') &&
    (names.includes('model.weights.h5') || names.includes('metadata.json'));
  // TorchScript archives (torch.jit.save): <prefix>/constants.pkl next to <prefix>/code/
  let isTorchScript = false;
  for (const n of names) {
    const m = /^(.*\/)?constants\.pkl$/.exec(n);
    const prefix = m?.[1] ?? '';
    if (m && names.some(x => x.startsWith(`${prefix}code/`))) {
      ctx.scan.torchScriptRoots.add(`${src.name}!/${prefix}`);
      isTorchScript = true;
    }
  }
  const kinds: Array<[boolean, string]> = [
    [isTorchScript, 'torchscript'],
    [isTorch, 'pytorch-zip'],
    [isNpz, 'numpy-npz'],
    [isKeras, 'keras-v3'],
  ];
  ctx.setFormat(kinds.find(([is]) => is)?.[1] ?? 'zip');

  const seen = new Map<string, number>();
  const seenLower = new Map<string, string>();
  let declaredTotal = 0;
  let index = 0;
  for (const e of entries) {
    if (ctx.scan.signal?.aborted) throw new Error('scan aborted');
    index++;
    if (index > ctx.limits.maxMembers) {
      ctx.report(
        finding(
          'ARCHIVE_TOO_MANY_MEMBERS',
          `The archive has more than ${ctx.limits.maxMembers} members; the rest were not inspected.`,
        ),
      );
      break;
    }
    const loc = { member: memberPath(ctx, e.name) };
    const count = (seen.get(e.name) ?? 0) + 1;
    seen.set(e.name, count);
    if (count === 2) {
      ctx.report(
        finding(
          'ZIP_DUPLICATE_NAME',
          `The member name ${e.name} appears more than once; readers disagree about which copy they load. Every copy was scanned.`,
          loc,
          {
            name: e.name,
          },
        ),
      );
    }
    const lower = e.name.toLowerCase();
    const prevCase = seenLower.get(lower);
    if (prevCase !== undefined && prevCase !== e.name) {
      ctx.report(
        finding(
          'ZIP_CASE_DUPLICATE_NAME',
          `Members ${prevCase} and ${e.name} differ only by letter case.`,
          loc,
        ),
      );
    }
    seenLower.set(lower, e.name);
    if (isTraversal(e.name)) {
      ctx.report(traversalFinding(e.name, 'member', loc, { name: e.name }));
    }
    if (e.madeBy >> 8 === 3 && ((e.extAttr >>> 16) & 0xf000) === 0xa000) {
      ctx.report(
        finding(
          'ARCHIVE_LINK',
          `The member ${e.name} is a symbolic link.`,
          loc,
          { name: e.name },
        ),
      );
    }
    if (e.flags & 0x61) {
      const what = [
        e.flags & 1 ? 'encrypted' : '',
        e.flags & 0x20 ? 'patched data' : '',
        e.flags & 0x40 ? 'strong encryption' : '',
      ]
        .filter(Boolean)
        .join(', ');
      ctx.report(
        finding(
          'ZIP_ODD_FLAGS',
          `The member ${e.name} is flagged as ${what}; the content was scanned as plain data, as PyTorch reads it.`,
          loc,
          { flags: e.flags },
        ),
      );
    }
    // local header, name and the first bytes of data in one read
    const guess = 30 + e.rawName.length + 64 + 16;
    let lh = await src.read(e.localOffset, guess);
    if (lh.length < 30 || lh.readUInt32LE(0) !== ZIP_LOCAL_MAGIC) {
      ctx.report(
        finding(
          'ZIP_MALFORMED',
          `The local header of ${e.name} at offset ${e.localOffset} is missing or invalid.`,
          loc,
        ),
      );
      continue;
    }
    const lNameLen = lh.readUInt16LE(26);
    const lExtraLen = lh.readUInt16LE(28);
    const lFlags = lh.readUInt16LE(6);
    if (30 + lNameLen + lExtraLen + 16 > lh.length)
      lh = await src.read(e.localOffset, 30 + lNameLen + lExtraLen + 16);
    const lRaw = lh.subarray(30, 30 + lNameLen);
    const dataHead = lh.subarray(
      30 + lNameLen + lExtraLen,
      30 + lNameLen + lExtraLen + Math.min(16, e.csize),
    );
    const lName = decodeName(lRaw, lFlags);
    if (!lRaw.equals(e.rawName)) {
      ctx.report(
        finding(
          'ZIP_NAME_MISMATCH',
          `The local header names the member ${lName} but the central directory calls it ${e.name}.`,
          loc,
          {
            localName: lName,
            centralName: e.name,
          },
        ),
      );
      if (isTraversal(lName))
        ctx.report(traversalFinding(lName, 'local name', loc));
    }
    if ((lFlags & 0x61) !== (e.flags & 0x61) && !(e.flags & 0x61)) {
      ctx.report(
        finding(
          'ZIP_ODD_FLAGS',
          `The local header of ${
            e.name
          } sets flag bits the central directory does not (0x${lFlags.toString(
            16,
          )}).`,
          loc,
          { flags: lFlags },
        ),
      );
    }
    const dataOff = e.localOffset + 30 + lNameLen + lExtraLen;
    if (dataOff + e.csize > src.size) {
      ctx.report(
        finding(
          'ZIP_MALFORMED',
          `The data of ${e.name} runs past the end of the file.`,
          loc,
        ),
      );
      continue;
    }
    if (name_isDir(e)) continue;
    declaredTotal += e.usize;
    if (
      e.csize > 0 &&
      e.usize / e.csize > ctx.limits.maxCompressionRatio &&
      e.usize > 16 << 20
    ) {
      ctx.report(
        finding(
          'ARCHIVE_BOMB',
          `The member ${e.name} expands ${Math.round(e.usize / e.csize)}x (${
            e.usize
          } bytes from ${e.csize}).`,
          loc,
          {
            ratio: e.usize / e.csize,
          },
        ),
      );
      continue;
    }
    if (
      scan.decompressed + (e.method === 0 ? 0 : e.usize) >
      ctx.limits.maxDecompressedBytes
    ) {
      ctx.report(
        finding(
          'ARCHIVE_BOMB',
          `Decompressing ${e.name} would exceed the limit of ${ctx.limits.maxDecompressedBytes} bytes.`,
          loc,
        ),
      );
      break;
    }
    const memberName = `${src.name}!/${e.name}`;
    let member: ByteSource;
    let inflater: InflateByteSource | undefined;
    if (e.method === 0) {
      member = new SliceByteSource(src, dataOff, e.csize, memberName);
    } else if (e.method === 8) {
      const budget = ctx.limits.maxDecompressedBytes - scan.decompressed;
      inflater = new InflateByteSource(
        new SliceByteSource(src, dataOff, e.csize, memberName),
        'raw',
        e.usize,
        memberName,
        Math.min(budget, e.usize + 1),
      );
      member = inflater;
      scan.decompressed += e.usize;
    } else if (ZIP_STREAM_METHODS[e.method]) {
      // bzip2 (12), LZMA (14), zstd (93), xz (95): Python's zipfile (numpy.load of an .npz, joblib)
      // reads them, PyTorch does not; the member is decoded and scanned like a compressed file
      if (isTorch)
        ctx.report(
          finding(
            'ZIP_MALFORMED',
            `The member ${e.name} uses compression method ${e.method} (${
              ZIP_STREAM_METHODS[e.method]
            }), which PyTorch cannot read; it was decoded and scanned.`,
            loc,
            { method: e.method },
          ),
        );
      const raw = new SliceByteSource(src, dataOff, e.csize, memberName);
      try {
        await scanZipStreamMember(ctx, e.method, raw, e.usize);
      } catch (err) {
        ctx.error(`${e.name}: ${(err as Error).message}`);
      }
      continue;
    } else {
      ctx.report(
        finding(
          'ZIP_MALFORMED',
          `The member ${e.name} uses compression method ${e.method}, which neither PyTorch nor Python's zipfile reads; it was not inspected.`,
          loc,
          { method: e.method },
        ),
      );
      continue;
    }
    try {
      // raw tensor storages of a PyTorch archive: hashed with the file, sniffed, never parsed
      if (isTorch && /(^|\/)data\/\d+$/.test(e.name)) {
        const head = e.method === 0 ? dataHead : await member.read(0, 16);
        const serialized =
          (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) ||
          (head.length >= 4 && head.readUInt32LE(0) === ZIP_LOCAL_MAGIC) ||
          head.subarray(0, 6).toString('latin1') === '\x93NUMPY';
        if (!serialized) continue;
      }
      if (e.usize <= 16 << 20 && typeof zlib.crc32 === 'function') {
        let crc = 0;
        for (let o = 0; o < e.usize; o += 1 << 20) {
          const b = await member.read(o, Math.min(1 << 20, e.usize - o));
          if (!b.length) break;
          crc = zlib.crc32(b, crc);
        }
        if (crc >>> 0 !== e.crc >>> 0) {
          ctx.report(
            finding(
              'ZIP_CRC_MISMATCH',
              `The CRC-32 of ${e.name} does not match its content (PyTorch ignores this).`,
              loc,
            ),
          );
        }
      }
      await ctx.scanNested(member);
    } catch (err) {
      if (err instanceof DecompressionLimitError) {
        ctx.report(
          finding(
            'ARCHIVE_BOMB',
            `The member ${e.name} inflates to more than its declared ${e.usize} bytes.`,
            loc,
          ),
        );
      } else ctx.error(`${e.name}: ${(err as Error).message}`);
    } finally {
      inflater?.close();
    }
  }
  if (declaredTotal > ctx.limits.maxDecompressedBytes) {
    ctx.report(
      finding(
        'ARCHIVE_BOMB',
        `The archive declares ${declaredTotal} bytes of content, above the limit of ${ctx.limits.maxDecompressedBytes}.`,
      ),
    );
  }
}

function name_isDir(e: CentralEntry) {
  return e.name.endsWith('/') && e.usize === 0;
}

function memberPath(
  ctx: FormatScanContext & { scan: FileScan },
  name: string,
): string {
  const parent = ctx.scan.memberOf(ctx.source);
  return parent ? `${parent}!/${name}` : name;
}

/** Without a usable central directory, walk local headers so nothing stored is skipped. */
async function scanLocalHeadersOnly(
  ctx: FormatScanContext & { scan: FileScan },
) {
  const src = ctx.source;
  let off = 0;
  let n = 0;
  while (off + 30 <= src.size && n < ctx.limits.maxMembers) {
    const lh = await src.read(off, 30);
    if (lh.readUInt32LE(0) !== ZIP_LOCAL_MAGIC) break;
    const flags = lh.readUInt16LE(6);
    const method = lh.readUInt16LE(8);
    const csize = lh.readUInt32LE(18);
    const usize = lh.readUInt32LE(22);
    const nameLen = lh.readUInt16LE(26);
    const extraLen = lh.readUInt16LE(28);
    const name = decodeName(await src.read(off + 30, nameLen), flags);
    const dataOff = off + 30 + nameLen + extraLen;
    if (flags & 0x8 || dataOff + csize > src.size) break;
    const memberName = `${src.name}!/${name}`;
    const slice = new SliceByteSource(src, dataOff, csize, memberName);
    if (method === 0) await ctx.scanNested(slice);
    else if (method === 8) {
      const inf = new InflateByteSource(
        slice,
        'raw',
        usize,
        memberName,
        Math.min(usize + 1, ctx.limits.maxDecompressedBytes),
      );
      try {
        await ctx.scanNested(inf);
      } finally {
        inf.close();
      }
    }
    off = dataOff + csize;
    n++;
  }
}
