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

/** A single compressed stream may always expand to this much; beyond it, only by the ratio limit. */
export const STREAM_MIN_BUDGET = 64 << 20;

/** What is left of a file's decompressed-byte budget once `used` bytes were decoded. */
export function remainingBytes(limits: ScanLimits, used: number): number {
  return Math.max(0, limits.maxDecompressedBytes - used);
}

/**
 * Bytes one more compressed stream of `size` bytes may decode to: what is left of the file's budget,
 * and past STREAM_MIN_BUDGET no more than the ratio limit allows (decoding stops there).
 */
export function streamBudget(
  limits: ScanLimits,
  used: number,
  size: number,
): { remaining: number; budget: number } {
  const remaining = remainingBytes(limits, used);
  const byRatio = Math.max(
    STREAM_MIN_BUDGET,
    limits.maxCompressionRatio * size,
  );
  return { remaining, budget: Math.min(remaining, byRatio) };
}
