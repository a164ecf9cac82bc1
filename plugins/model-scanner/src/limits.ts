/** The scan's resource limits and their defaults. */
import type { ScanLimits } from './types';

export const DEFAULT_LIMITS: ScanLimits = {
  maxOpcodes: 50_000_000,
  maxMemo: 300_000,
  maxDepth: 6,
  maxDecompressedBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 200,
  maxMembers: 100_000,
};

/** The defaults with the caller's overrides. */
export function mergeLimits(l?: Partial<ScanLimits>): ScanLimits {
  return { ...DEFAULT_LIMITS, ...(l ?? {}) };
}
