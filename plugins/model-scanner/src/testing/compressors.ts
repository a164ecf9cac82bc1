/**
 * Test fixtures for compressed containers, built without Python: Node's zlib (gzip, zlib, zstd),
 * 7-Zip WASM (7z with LZMA/LZMA2, solid or not, encrypted; xz; bzip2), the Debian `xz` (the
 * "alone" .lzma format joblib writes) and `lz4` tools (installed by scripts/system-deps.sh), and a
 * hand-written RAR5 writer (stored members; no RAR encoder exists outside WinRAR).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { makeTempDir, run7z } from '../containers/sevenZip';

/** Creates an archive with 7-Zip from the given files; `args` are 7-Zip switches (`-t7z`, `-ms=on`, ...). */
export async function sevenZipArchive(
  files: Array<{ name: string; data?: Buffer; symlinkTo?: string }>,
  args: string[],
  archiveName = 'out.7z',
): Promise<Buffer> {
  const tmp = makeTempDir();
  try {
    for (const f of files) {
      const p = path.join(tmp.dir, f.name);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      if (f.symlinkTo) fs.symlinkSync(f.symlinkTo, p);
      else fs.writeFileSync(p, f.data ?? Buffer.alloc(0));
    }
    const run = await run7z({
      inDir: tmp.dir,
      args: ['a', '-y', ...args, archiveName, ...files.map(f => f.name)],
      maxOutput: Number.MAX_SAFE_INTEGER,
    });
    if (run.code !== 0)
      throw new Error(
        `7-Zip failed: ${run.stderr.concat(run.stdout).join('\n')}`,
      );
    return fs.readFileSync(path.join(tmp.dir, archiveName));
  } finally {
    tmp.dispose();
  }
}

/** A single-stream compressor's output. */
export async function compress(
  codec: 'gzip' | 'zlib' | 'zstd' | 'bzip2' | 'xz' | 'lzma' | 'lz4',
  data: Buffer,
): Promise<Buffer> {
  switch (codec) {
    case 'gzip':
      return zlib.gzipSync(data);
    case 'zlib':
      return zlib.deflateSync(data);
    case 'zstd':
      return zlib.zstdCompressSync(data);
    case 'bzip2':
      return sevenZipArchive([{ name: 'data', data }], ['-tbzip2'], 'out.bz2');
    case 'xz':
      return sevenZipArchive([{ name: 'data', data }], ['-txz'], 'out.xz');
    case 'lzma':
      // joblib's lzma compressor: the "alone" format with an unknown size, as Python's lzma writes
      return execFileSync('xz', ['--format=lzma', '-c', '-6'], {
        input: data,
        maxBuffer: 1 << 30,
      });
    case 'lz4':
      // 64 KiB blocks, as Python's lz4.frame (joblib's lz4 compressor) writes by default
      return execFileSync('lz4', ['-c', '-q', '-B4', '--content-size'], {
        input: data,
        maxBuffer: 1 << 30,
      });
    default:
      throw new Error(`unknown codec ${codec}`);
  }
}

function vint(value: number): Buffer {
  const out: number[] = [];
  let n = value;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function rar5Header(
  type: number,
  flags: number,
  body: Buffer,
  dataSize?: number,
) {
  const inner = Buffer.concat([
    vint(type),
    vint(flags),
    ...(dataSize !== undefined ? [vint(dataSize)] : []),
    body,
  ]);
  const sized = Buffer.concat([vint(inner.length), inner]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(zlib.crc32(sized) >>> 0);
  return Buffer.concat([crc, sized]);
}

/** A RAR5 archive of stored (uncompressed) members, as `rar a -m0` writes them. */
export function buildRar5(
  files: Array<{ name: string; data: Buffer; symlinkTo?: string }>,
): Buffer {
  const parts: Buffer[] = [Buffer.from('526172211a070100', 'hex')];
  parts.push(rar5Header(1, 0, vint(0)));
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(zlib.crc32(f.data) >>> 0);
    const body = Buffer.concat([
      vint(0x4), // file flags: CRC32 present
      vint(f.data.length), // unpacked size
      vint(0o100644), // attributes (Unix mode)
      crc,
      vint(0), // compression: version 0, method 0 (store)
      vint(1), // host OS: Unix
      vint(name.length),
      name,
    ]);
    parts.push(rar5Header(2, 0x2, body, f.data.length), f.data);
  }
  parts.push(rar5Header(5, 0, vint(0)));
  return Buffer.concat(parts);
}
