/**
 * The scan's time limit and abort signal hold inside a long 7-Zip run (7-Zip runs synchronously,
 * on a thread of its own that is terminated). Fixtures (fixtures/slow/): 1 GiB of zeros as a
 * 7z archive with one BZip2 member (6.9 kB) and as a bzip2 stream (785 bytes); decoding either
 * takes seconds (about 7 s for the stream on the development VM). The ratio limit is lifted so the
 * scanner really extracts them (otherwise they are refused unextracted as bombs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanFile } from '../engine';
import { classicPayload } from '../testing/pickleBuilder';
import { sevenZipArchive } from '../testing/compressors';
import { rulesOf } from '../testing/results';
import { TEMP_PREFIX } from './sevenZip';

const SLOW = path.resolve(__dirname, '../../fixtures/slow');
const EXTRACT = { limits: { maxCompressionRatio: 1e9 } };
const ownTempDirs = () =>
  fs.readdirSync(os.tmpdir()).filter(n => n.startsWith(TEMP_PREFIX));

describe('time limit inside 7-Zip', () => {
  it.each([
    ['a 7z archive (one BZip2 member of 1 GiB)', 'zeros-1gib-bzip2.7z', '7z'],
    ['a bzip2 stream of 1 GiB', 'zeros-1gib.bz2', 'bzip2'],
  ])(
    '%s under a 150 ms limit ends with SCAN_TIME_LIMIT, not after the extraction',
    async (_what, file, format) => {
      const started = Date.now();
      const r = await scanFile(path.join(SLOW, file), {
        ...EXTRACT,
        timeLimitMs: 150,
      });
      const elapsed = Date.now() - started;
      expect(r.format).toBe(format);
      expect(rulesOf(r)).toEqual(['SCAN_TIME_LIMIT']);
      expect(r.findings[0]).toMatchObject({
        severity: 'medium',
        details: { timeLimitMs: 150 },
      });
      expect(r.verdict).toBe('suspicious');
      // the whole extraction takes seconds; stopping it costs the thread's termination only
      expect(elapsed).toBeLessThan(2500);
      // the extraction folder is gone once the result is back
      expect(ownTempDirs()).toEqual([]);
    },
    30_000,
  );

  it("the caller's abort signal stops a running extraction too", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 150);
    const r = await scanFile(path.join(SLOW, 'zeros-1gib.bz2'), {
      ...EXTRACT,
      hash: false,
      signal: controller.signal,
    });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r.verdict).toBe('error');
    expect(r.errors).toEqual(['scan aborted']);
    expect(rulesOf(r)).not.toContain('SCAN_TIME_LIMIT');
    expect(ownTempDirs()).toEqual([]);
  }, 30_000);

  it('a limit that is not reached changes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-tl-'));
    try {
      const file = path.join(dir, 'model.7z');
      fs.writeFileSync(
        file,
        await sevenZipArchive(
          [{ name: 'model.pkl', data: classicPayload() }],
          ['-t7z'],
        ),
      );
      const limited = await scanFile(file, { timeLimitMs: 60_000 });
      const free = await scanFile(file);
      expect(limited.verdict).toBe('malicious');
      expect(rulesOf(limited)).not.toContain('SCAN_TIME_LIMIT');
      expect(rulesOf(limited)).toEqual(rulesOf(free));
      expect(limited.sha256).toBe(free.sha256);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
