import { join } from 'node:path';
import { engineTimeLimitMs, WorkerScanEngine } from './ScanEngine';

jest.setTimeout(30_000);

const engine = new WorkerScanEngine({
  timeoutMs: 1500,
  maxOldGenerationSizeMb: 32,
  workerEntry: join(__dirname, '__fixtures__', 'fakeEngineWorker.js'),
});

describe('WorkerScanEngine', () => {
  it('reports the engine identity', async () => {
    await expect(engine.identity()).resolves.toEqual({
      scannerName: 'fake',
      scannerVersion: '9',
      rulesetVersion: 'x',
    });
  });

  it('returns the result and forwards progress', async () => {
    const progress: number[] = [];
    const result = await engine.scanFile('/tmp/ok.pkl', {
      onProgress: done => progress.push(done),
    });
    expect(result.verdict).toBe('safe');
    expect(progress).toEqual([5]);
  });

  it('terminates a scan that overruns its time limit: verdict error with the reason', async () => {
    const started = Date.now();
    const result = await engine.scanFile('/tmp/hang.pkl');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.verdict).toBe('error');
    expect(result.errors[0]).toMatch(/timed out after 2 s/);
  });

  it('gives the engine a time limit below the worker timeout: a slow scan ends with SCAN_TIME_LIMIT and keeps its findings', async () => {
    const started = Date.now();
    const result = await engine.scanFile('/tmp/slow.zip');
    const elapsed = Date.now() - started;
    expect(result.verdict).toBe('malicious');
    expect(result.findings.map(f => f.ruleId)).toEqual([
      'PICKLE_DANGEROUS_GLOBAL',
      'SCAN_TIME_LIMIT',
    ]);
    // the limit the engine got, measured from the worker's start, fits inside the 1.5 s timeout
    const limit = (result.findings[1].details as { timeLimitMs: number })
      .timeLimitMs;
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThanOrEqual(engineTimeLimitMs(1500));
    expect(elapsed).toBeLessThan(1500);
  });

  it('keeps a margin of 10% (1 s to 60 s) below the worker timeout, never less than half of it', () => {
    expect(engineTimeLimitMs(1500)).toBe(750);
    expect(engineTimeLimitMs(5_000)).toBe(4_000);
    expect(engineTimeLimitMs(300_000)).toBe(270_000);
    expect(engineTimeLimitMs(3_600_000)).toBe(3_540_000);
  });

  it('stops a scan that exceeds its heap limit: verdict error with the reason', async () => {
    const result = await engine.scanFile('/tmp/oom.pkl');
    expect(result.verdict).toBe('error');
    expect(result.errors[0]).toMatch(/out of memory.*32 MB/);
  });

  it('turns an engine exception into verdict error', async () => {
    const result = await engine.scanFile('/tmp/throw.pkl');
    expect(result.verdict).toBe('error');
    expect(result.errors[0]).toBe('scan engine failed: Error: engine exploded');
  });
});
