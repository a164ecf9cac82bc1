import { join } from 'node:path';
import { WorkerScanEngine } from './ScanEngine';

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
