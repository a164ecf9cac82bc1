/**
 * Scans 7z and RAR archives and xz / LZMA / bzip2 streams (see `sevenZip.ts`) with the same limits
 * as zip: member count, declared and actual decompressed bytes against the file's budget,
 * compression ratio, nesting depth (through `scanNested`) and the scan's abort signal (which also
 * stops a 7-Zip run in progress: it runs on a thread that is terminated). Every
 * extracted member is scanned by content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FormatScanContext } from '../types';
import type { FileScan } from '../fileScan';
import { finding } from '../rules';
import { remainingBytes, streamBudget } from '../limits';
import { isTraversal, traversalFinding } from './paths';
import { FileByteSource } from '../byteSource';
import {
  listExtracted,
  makeTempDir,
  parseListing,
  run7z,
  SevenZipKind,
  SevenZipRun,
} from './sevenZip';

type Ctx = FormatScanContext & { scan: FileScan };

/** Members whose uncompressed size alone makes a high ratio worth a bomb finding (as in zip). */
const BOMB_MIN_BYTES = 16 << 20;

const STREAM_NAMES: Record<string, string> = {
  xz: 'unxz',
  lzma: 'unlzma',
  bzip2: 'bunzip2',
};

function problems(run: SevenZipRun): string {
  const lines = run.stderr
    .concat(run.stdout)
    .map(l => l.trim())
    .filter(l =>
      /error|unexpected|can ?not|wrong|unsupported|corrupt|headers|stopped|is not archive/i.test(
        l,
      ),
    );
  return [...new Set(lines)].slice(0, 4).join('; ') || `exit code ${run.code}`;
}

/** The archive on disk: the scanned file itself, or a bounded copy of a nested member. */
async function hostFile(
  ctx: Ctx,
  tmp: string,
): Promise<{ dir: string; file: string }> {
  const src = ctx.source;
  if (src instanceof FileByteSource)
    return { dir: path.dirname(src.path), file: path.basename(src.path) };
  const file = 'input';
  const fd = fs.openSync(path.join(tmp, file), 'w');
  try {
    for (let off = 0; off < src.size; ) {
      const b = await src.read(off, 4 << 20);
      if (!b.length) break;
      fs.writeSync(fd, b);
      off += b.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { dir: tmp, file };
}

/** Whether a 7z archive's header is encrypted (the AES coder id in the encoded header). */
async function sevenZipHeaderEncrypted(ctx: Ctx): Promise<boolean> {
  const start = await ctx.source.read(0, 32);
  if (start.length < 32) return false;
  const off = 32 + Number(start.readBigUInt64LE(12));
  const len = Number(start.readBigUInt64LE(20));
  if (!Number.isSafeInteger(off) || len <= 0 || len > 1 << 20) return false;
  const hdr = await ctx.source.read(off, len);
  return hdr[0] === 0x17 && hdr.includes(Buffer.from('06f10701', 'hex'));
}

export async function scanWith7z(ctx: Ctx, kind: SevenZipKind): Promise<void> {
  const format = kind === 'rar5' ? 'rar' : kind;
  ctx.setFormat(format);
  const tmp = makeTempDir();
  try {
    const input = await hostFile(ctx, tmp.dir);
    const archivePath = `/in/${input.file}`;
    if (kind === 'xz' || kind === 'lzma' || kind === 'bzip2')
      await scanStream(ctx, kind, archivePath, input.dir, tmp.dir);
    else await scanArchive(ctx, kind, format, archivePath, input.dir, tmp.dir);
  } finally {
    tmp.dispose();
  }
}

async function scanStream(
  ctx: Ctx,
  kind: 'xz' | 'lzma' | 'bzip2',
  archivePath: string,
  inDir: string,
  tmp: string,
) {
  const scan = ctx.scan;
  const { remaining, budget } = streamBudget(
    ctx.limits,
    scan.decompressed,
    ctx.source.size,
  );
  const outFile = path.join(tmp, 'stream.out');
  const fd = fs.openSync(outFile, 'w');
  let run: SevenZipRun;
  try {
    if (scan.signal?.aborted) throw new Error('scan aborted');
    run = await run7z({
      inDir,
      args: ['e', '-so', '-y', '-pX', `-t${kind}`, archivePath],
      maxOutput: budget,
      stdoutFd: fd,
      signal: scan.signal,
    });
  } finally {
    fs.closeSync(fd);
  }
  if (run.aborted) throw new Error('scan aborted');
  scan.decompressed += run.written;
  if (run.limitHit) {
    ctx.report(
      finding(
        'ARCHIVE_BOMB',
        budget < remaining
          ? `The ${kind} stream expands more than ${ctx.limits.maxCompressionRatio}x (past ${run.written} bytes from ${ctx.source.size}); decompression was stopped.`
          : `The ${kind} stream decompresses beyond the limit of ${remaining} bytes.`,
        undefined,
        { container: kind, bytes: run.written },
      ),
    );
  } else if (run.code !== 0) {
    ctx.error(`${kind} stream is corrupt or truncated: ${problems(run)}`);
  }
  if (run.written === 0) return;
  const member = await FileByteSource.open(
    outFile,
    `${ctx.source.name}!/${STREAM_NAMES[kind]}`,
  );
  try {
    await ctx.scanNested(member);
  } finally {
    await member.close();
  }
}

async function scanArchive(
  ctx: Ctx,
  kind: SevenZipKind,
  format: string,
  archivePath: string,
  inDir: string,
  tmp: string,
) {
  const scan = ctx.scan;
  const parent = scan.memberOf(ctx.source);
  const memberLoc = (name: string) => ({
    member: parent ? `${parent}!/${name}` : name,
  });
  const typeSwitch = `-t${kind}`;
  if (scan.signal?.aborted) throw new Error('scan aborted');
  const listing = await run7z({
    inDir,
    args: ['l', '-slt', '-ba', '-pX', typeSwitch, archivePath],
    maxOutput: 0,
    signal: scan.signal,
  });
  if (listing.aborted) throw new Error('scan aborted');
  const entries = parseListing(listing.stdout);
  if (listing.code !== 0 && entries.length === 0) {
    if (kind === '7z' && (await sevenZipHeaderEncrypted(ctx))) {
      ctx.report(
        finding(
          'ARCHIVE_ENCRYPTED',
          `The ${format} archive's member list is encrypted; nothing in it could be inspected.`,
          undefined,
          { container: format },
        ),
      );
      return;
    }
    ctx.report(
      finding(
        'ARCHIVE_MALFORMED',
        `The ${format} archive cannot be opened (${problems(
          listing,
        )}); its content was not inspected.`,
        undefined,
        { container: format },
      ),
    );
    ctx.error(`${format} archive cannot be opened: ${problems(listing)}`);
    return;
  }
  if (entries.length > ctx.limits.maxMembers || listing.outputTruncated) {
    ctx.report(
      finding(
        'ARCHIVE_TOO_MANY_MEMBERS',
        `The archive has ${entries.length} members, more than the limit of ${ctx.limits.maxMembers}; it was not extracted.`,
      ),
    );
    return;
  }
  const encrypted = new Set<string>();
  let declared = 0;
  for (const e of entries) {
    const loc = memberLoc(e.path);
    if (isTraversal(e.path))
      ctx.report(traversalFinding(e.path, 'member', loc, { name: e.path }));
    if (e.isLink)
      ctx.report(
        finding('ARCHIVE_LINK', `The member ${e.path} is a link.`, loc, {
          name: e.path,
        }),
      );
    if (e.encrypted && !e.isDir) {
      encrypted.add(e.path);
      ctx.report(
        finding(
          'ARCHIVE_ENCRYPTED',
          `The member ${e.path} is encrypted; its content could not be inspected.`,
          loc,
          { name: e.path, method: e.method },
        ),
      );
    }
    if (!e.isDir) declared += e.size ?? 0;
    if (
      e.size !== undefined &&
      e.packedSize &&
      e.size > BOMB_MIN_BYTES &&
      e.size / e.packedSize > ctx.limits.maxCompressionRatio
    ) {
      ctx.report(
        finding(
          'ARCHIVE_BOMB',
          `The member ${e.path} expands ${Math.round(
            e.size / e.packedSize,
          )}x (${e.size} bytes from ${
            e.packedSize
          }); the archive was not extracted.`,
          loc,
          { ratio: e.size / e.packedSize },
        ),
      );
      return;
    }
  }
  const remaining = remainingBytes(ctx.limits, scan.decompressed);
  if (declared > remaining) {
    ctx.report(
      finding(
        'ARCHIVE_BOMB',
        `The archive declares ${declared} bytes of content, above the remaining limit of ${remaining}; it was not extracted.`,
      ),
    );
    return;
  }
  if (
    declared > BOMB_MIN_BYTES &&
    declared / Math.max(1, ctx.source.size) > ctx.limits.maxCompressionRatio
  ) {
    ctx.report(
      finding(
        'ARCHIVE_BOMB',
        `The archive expands ${Math.round(
          declared / ctx.source.size,
        )}x (${declared} bytes from ${ctx.source.size}); it was not extracted.`,
        undefined,
        { ratio: declared / ctx.source.size },
      ),
    );
    return;
  }
  if (entries.every(e => e.isDir)) return;
  const outDir = path.join(tmp, 'out');
  fs.mkdirSync(outDir);
  if (scan.signal?.aborted) throw new Error('scan aborted');
  // a member may not write more than the archive declared (plus slack for sizes it leaves out)
  const budget = Math.min(remaining, declared + (1 << 20));
  const run = await run7z({
    inDir,
    outDir,
    args: ['x', '-y', '-pX', typeSwitch, '-o/out', archivePath],
    maxOutput: budget,
    signal: scan.signal,
  });
  if (run.aborted) throw new Error('scan aborted');
  scan.decompressed += run.written;
  if (run.limitHit)
    ctx.report(
      finding(
        'ARCHIVE_BOMB',
        `The archive decompresses to more than it declares (${declared} bytes); extraction was stopped.`,
      ),
    );
  else if (run.code !== 0) {
    const why = problems(run);
    // wrong-password errors of encrypted members are already findings
    if (!(encrypted.size && /password|encrypted/i.test(why)))
      ctx.error(`${format} archive is corrupt or truncated: ${why}`);
  }
  for (const rel of listExtracted(outDir, ctx.limits.maxMembers)) {
    if (scan.signal?.aborted) throw new Error('scan aborted');
    if (encrypted.has(rel)) continue;
    const member = await FileByteSource.open(
      path.join(outDir, rel),
      `${ctx.source.name}!/${rel}`,
    );
    try {
      await ctx.scanNested(member);
    } finally {
      await member.close();
    }
  }
}
