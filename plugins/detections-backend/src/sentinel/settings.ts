import type { Config } from '@backstage/config';

/** `detections.sentinel` of app-config, with its defaults (config.d.ts). */
export interface SentinelSettings {
  workspaceId: string;
  endpoint?: string;
  /** Minutes between reads; a rule's first read looks back this far (and the overlap). */
  frequencyMinutes: number;
  /** Every read goes back this far before the rule's read mark (rows ingested late). */
  overlapMinutes: number;
  /** No read goes back further than this; older unread time is logged and audited, not read. */
  maxLookbackMinutes: number;
}

export const SENTINEL_DEFAULTS = { frequencyMinutes: 60, overlapMinutes: 15, maxLookbackMinutes: 24 * 60 } as const;

/** Reads and checks `detections.sentinel` (undefined when absent); a wrong value stops startup with its key and reason. */
export function readSentinelSettings(cfg: Config | undefined): SentinelSettings | undefined {
  if (!cfg) return undefined;
  const minutes = (key: keyof typeof SENTINEL_DEFAULTS, min: number) => {
    const v = cfg.getOptionalNumber(key) ?? SENTINEL_DEFAULTS[key];
    if (!Number.isFinite(v) || v < min) throw new Error(`detections.sentinel.${key}: must be a number of minutes of at least ${min}, got ${v}`);
    return v;
  };
  const s: SentinelSettings = {
    workspaceId: cfg.getString('workspaceId'),
    endpoint: cfg.getOptionalString('endpoint'),
    frequencyMinutes: minutes('frequencyMinutes', 1),
    overlapMinutes: minutes('overlapMinutes', 0),
    maxLookbackMinutes: minutes('maxLookbackMinutes', 1),
  };
  if (s.maxLookbackMinutes < s.frequencyMinutes + s.overlapMinutes) {
    throw new Error(
      `detections.sentinel.maxLookbackMinutes: must be at least frequencyMinutes + overlapMinutes (${s.frequencyMinutes + s.overlapMinutes}), got ${s.maxLookbackMinutes}: every run would leave time unread`,
    );
  }
  return s;
}
