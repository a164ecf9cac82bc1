import type { ResolvedFile } from './workspace';

export type { ResolvedFile };

/** The downloaded files of one target; call cleanup() when done with them. */
export interface ResolvedSource {
  files: ResolvedFile[];
  cleanup(): Promise<void>;
}

/** Fetches a remote scan target into a fresh temporary directory. */
export interface SourceResolver {
  resolve(target: string, signal?: AbortSignal): Promise<ResolvedSource>;
  /**
   * Checks a target's notation and the SSRF rules without fetching anything; throws
   * InputError / NotAllowedError. Call it when a scan is requested, for an early 400.
   */
  validate?(target: string): void | Promise<void>;
}
