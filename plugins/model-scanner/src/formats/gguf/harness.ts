/**
 * A tiny harness to run one format module in isolation (used by the format modules' tests):
 * a ByteSource over a Buffer and a FormatScanContext that collects what the module reports.
 */
import type { ByteSource, Finding, FormatScanContext, FormatScanner, ScanLimits } from '../../types';

export function bufferSource(data: Buffer, name = 'buffer'): ByteSource & { reads: Array<[number, number]> } {
  const reads: Array<[number, number]> = [];
  return {
    size: data.length,
    name,
    reads,
    async read(offset: number, length: number) {
      reads.push([offset, length]);
      if (offset < 0 || length < 0) throw new Error(`bad read ${offset}+${length}`);
      return data.subarray(offset, Math.min(data.length, offset + length));
    },
  };
}

export const harnessLimits: ScanLimits = {
  maxOpcodes: 1_000_000,
  maxMemo: 100_000,
  maxDepth: 8,
  maxDecompressedBytes: 1 << 30,
  maxCompressionRatio: 200,
  maxMembers: 10_000,
};

export interface HarnessResult {
  findings: Finding[];
  errors: string[];
  formats: string[];
  nested: Buffer[];
  ruleIds: string[];
  maxSeverity: Finding['severity'];
}

const order: Finding['severity'][] = ['none', 'low', 'medium', 'high', 'critical'];

export async function runFormatScanner(
  scanner: FormatScanner,
  data: Buffer | ByteSource,
  name = 'file',
): Promise<HarnessResult> {
  const source = Buffer.isBuffer(data) ? bufferSource(data, name) : data;
  const result: HarnessResult = { findings: [], errors: [], formats: [], nested: [], ruleIds: [], maxSeverity: 'none' };
  const ctx: FormatScanContext = {
    source,
    limits: harnessLimits,
    depth: 0,
    report(f) {
      result.findings.push(f);
      result.ruleIds.push(f.ruleId);
      if (order.indexOf(f.severity) > order.indexOf(result.maxSeverity)) result.maxSeverity = f.severity;
    },
    error(m) {
      result.errors.push(m);
    },
    async scanNested(src) {
      result.nested.push(await src.read(0, src.size));
    },
    setFormat(f) {
      result.formats.push(f);
    },
  };
  await scanner.scan(ctx);
  return result;
}

export function detectWith(scanner: FormatScanner, data: Buffer, name = 'file'): number {
  return scanner.detect(data.subarray(0, 4096), { name, size: data.length });
}
