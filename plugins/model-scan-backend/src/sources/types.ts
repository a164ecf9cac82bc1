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
}
