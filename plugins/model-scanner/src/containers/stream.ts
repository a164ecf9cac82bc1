/** gzip / zlib / zstd / LZ4 streams (Node's zlib and our LZ4 decoder), with the zip limits. */
import type { ByteSource, FormatScanContext } from '../types';
import { DecompressionLimitError, InflateByteSource } from '../byteSource';
import { finding } from '../rules';
import { STREAM_MIN_BUDGET, streamBudget } from '../limits';
import type { FileScan } from '../fileScan';

/**
 * Decodes a gzip, zlib, zstd or LZ4 stream incrementally (bounded by the file's decompressed-byte
 * budget and, past 64 MiB, by the compression ratio) and scans what it holds as a nested object.
 * What decoded before a corrupt or truncated end is scanned too.
 */
export async function scanCompressedStream(
  scan: FileScan,
  source: ByteSource,
  kind: 'gzip' | 'zlib' | 'zstd' | 'lz4',
  ctx: FormatScanContext & { scan: FileScan },
) {
  // a stream may expand to 64 MiB, beyond that only by the ratio limit: decoding stops there
  const { budget } = streamBudget(scan.limits, scan.decompressed, source.size);
  const unpacked = {
    gzip: 'gunzip',
    zlib: 'inflate',
    zstd: 'unzstd',
    lz4: 'unlz4',
  };
  const inflated = new InflateByteSource(
    source,
    kind,
    Number.MAX_SAFE_INTEGER,
    `${source.name}!/${unpacked[kind]}`,
    budget,
  );
  // find the real size by streaming once (bounded), then scan the content
  let size = 0;
  try {
    for (;;) {
      const b = await inflated.read(size, 1 << 20);
      if (!b.length) break;
      size += b.length;
    }
  } catch (e) {
    if (e instanceof DecompressionLimitError) {
      ctx.report(
        finding(
          'ARCHIVE_BOMB',
          `The ${kind} stream decompresses beyond the limit of ${budget} bytes.`,
        ),
      );
      return;
    }
    ctx.error(`${kind} stream is corrupt: ${(e as Error).message}`);
    // what decoded before the error is what a loader reads before failing: scan it
    size = Math.max(size, inflated.bytesProduced);
    if (size === 0) return;
  }
  scan.decompressed += size;
  if (
    source.size > 0 &&
    size / source.size > scan.limits.maxCompressionRatio &&
    size > STREAM_MIN_BUDGET
  ) {
    ctx.report(
      finding(
        'ARCHIVE_BOMB',
        `The ${kind} stream expands ${Math.round(
          size / source.size,
        )}x (${size} bytes).`,
      ),
    );
  }
  const sized = new InflateByteSource(
    source,
    kind,
    size,
    inflated.name,
    budget,
    true,
  );
  try {
    await scan.scanSource(sized, ctx.depth + 1);
  } finally {
    sized.close();
    inflated.close();
  }
}
