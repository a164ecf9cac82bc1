/** The entry points for one object: a file on disk (`scanFile`) or a buffer (`scanBuffer`). */
import type { FileScanResult, ScanLimits } from './types';
import { BufferByteSource, FileByteSource } from './byteSource';
import { finding } from './rules';
import { clamdScanFile } from './clamd';
import { FileScan } from './fileScan';
import { mergeLimits } from './limits';
import { createHash, sha256File } from './hash';
import { unreadableResult } from './verdict';

export interface ClamdOptions {
  socket?: string;
  host?: string;
  port?: number;
  timeoutMs?: number;
}

export interface ScanOptions {
  /** Compute the SHA-256 of the file (default true). */
  hash?: boolean;
  limits?: Partial<ScanLimits>;
  clamd?: ClamdOptions;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  signal?: AbortSignal;
  /** Name to report instead of the path (e.g. the original URL). */
  displayName?: string;
  /**
   * The file is named as raw tensor data by these model files (ONNX external data, checkpoint data
   * shards), as found by `scanFiles`/`scanDirectory`. Such a file is classified `tensor-data`: hashed,
   * checked for embedded executables, archives and pickles, otherwise safe. Without it, content that
   * matches no format stays UNKNOWN_FORMAT (suspicious).
   */
  referencedBy?: string[];
  /**
   * Time limit of the scan in milliseconds (hashing included). When it is reached the scan stops,
   * a long 7-Zip extraction included, and the result carries a SCAN_TIME_LIMIT finding.
   */
  timeLimitMs?: number;
}

/** The scan's own abort signal: the caller's signal and the time limit together. */
function scanSignal(options: ScanOptions): {
  signal?: AbortSignal;
  timedOut: () => boolean;
  dispose: () => void;
} {
  const limit = options.timeLimitMs;
  const outer = options.signal;
  if (limit === undefined)
    return { signal: outer, timedOut: () => false, dispose: () => {} };
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, limit);
  const onAbort = () => ctl.abort();
  if (outer?.aborted) ctl.abort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/** Records that the time limit stopped the scan (once, whatever nested object it stopped in). */
function reportTimeLimit(scan: FileScan, limitMs: number) {
  scan.findings.add(
    finding(
      'SCAN_TIME_LIMIT',
      `The scan stopped at its time limit of ${limitMs} ms; content after that point was not inspected.`,
      undefined,
      { timeLimitMs: limitMs },
    ),
  );
}

/** Scans one file on disk. Never loads it whole; hashing runs alongside as one sequential read. */
export async function scanFile(
  filePath: string,
  options: ScanOptions = {},
): Promise<FileScanResult> {
  const started = Date.now();
  const limits = mergeLimits(options.limits);
  const name = options.displayName ?? filePath;
  let source: FileByteSource;
  try {
    source = await FileByteSource.open(filePath, name);
  } catch (e) {
    return {
      ...unreadableResult(
        name,
        `cannot read the file: ${(e as Error).message}`,
      ),
      durationMs: Date.now() - started,
    };
  }
  const limit = scanSignal(options);
  const scan = new FileScan(name, limits, limit.signal);
  scan.referencedBy = options.referencedBy ?? [];
  const size = source.size;
  let scanning: Promise<void> = Promise.resolve();
  const finish = (sha: string) => {
    if (limit.timedOut()) reportTimeLimit(scan, options.timeLimitMs!);
    return scan.result(name, size, sha, started);
  };
  try {
    const hashing =
      options.hash === false
        ? Promise.resolve('')
        : sha256File(
            filePath,
            done => options.onProgress?.(done, size),
            limit.signal,
          );
    const clam = options.clamd
      ? clamdScanFile(filePath, options.clamd).then(
          r => {
            if (r.found) {
              scan
                .context(source, 0)
                .report(
                  finding(
                    'CLAMAV_FOUND',
                    `ClamAV reports ${r.signature}.`,
                    undefined,
                    { signature: r.signature },
                  ),
                );
            }
          },
          e => scan.errors.push(`clamd: ${(e as Error).message}`),
        )
      : Promise.resolve();
    scanning = scan.scanSource(source, 0).catch(e => {
      scan.errors.push((e as Error).message);
    });
    const [sha] = await Promise.all([hashing, scanning, clam]);
    if (options.hash === false) options.onProgress?.(size, size);
    return finish(sha);
  } catch (e) {
    scan.errors.push((e as Error).message);
    // the scan stops at its next check once aborted: nothing runs on after the result
    await scanning;
    return finish('');
  } finally {
    limit.dispose();
    await source.close();
  }
}

/** Scans an in-memory object (small inputs, tests). */
export async function scanBuffer(
  name: string,
  data: Buffer,
  options: ScanOptions = {},
): Promise<FileScanResult> {
  const started = Date.now();
  const limit = scanSignal(options);
  const scan = new FileScan(name, mergeLimits(options.limits), limit.signal);
  scan.referencedBy = options.referencedBy ?? [];
  try {
    await scan.scanSource(new BufferByteSource(data, name), 0);
  } catch (e) {
    scan.errors.push((e as Error).message);
  } finally {
    limit.dispose();
  }
  if (limit.timedOut()) reportTimeLimit(scan, options.timeLimitMs!);
  const sha =
    options.hash === false
      ? ''
      : createHash('sha256').update(data).digest('hex');
  return scan.result(name, data.length, sha, started);
}
