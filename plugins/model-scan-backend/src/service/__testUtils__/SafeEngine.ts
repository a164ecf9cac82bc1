import type { FileScanResult } from '@internal/plugin-model-scan-common';
import type { ScanEngine } from '../ScanEngine';

/**
 * A unit-test stand-in for the worker engine: every file is safe. Counts its runs; each run
 * takes `delayMs` (default none) so tests can overlap scans.
 */
export class SafeEngine implements ScanEngine {
  runs = 0;
  constructor(private readonly delayMs = 0) {}
  async identity() {
    return { scannerName: 'test', scannerVersion: '1', rulesetVersion: 'r' };
  }
  async scanFile(path: string): Promise<FileScanResult> {
    this.runs += 1;
    if (this.delayMs > 0) await new Promise(r => setTimeout(r, this.delayMs));
    return {
      path,
      sha256: '',
      size: 0,
      format: 'pickle',
      verdict: 'safe',
      severity: 'none',
      findings: [],
      errors: [],
    };
  }
}
