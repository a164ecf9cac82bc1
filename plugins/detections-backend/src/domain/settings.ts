import type { Config } from '@backstage/config';
import { resolveConfig, type DetectionConfig } from '@internal/detection-rules';

export interface BlobPullSettings {
  accountUrl: string;
  container: string;
  prefix: string;
  /** `default` (DefaultAzureCredential / workload identity), or a connection string / shared key for dev. */
  credential: { kind: 'default' } | { kind: 'sharedKey'; accountName: string; accountKey: string };
  frequencyMinutes: number;
}

export interface DetectionsSettings {
  rules: DetectionConfig;
  ingest: { maxBytes: string; maxLines: number };
  /** How far back the engine is warmed from stored events at startup. */
  warmupHours: number;
  warmupMaxEvents: number;
  retention: { eventDays: number; closedAlertDays: number; frequencyMinutes: number };
  grants: { refreshMinutes: number };
  /** Group notified of new high and critical alerts. */
  notifyGroup: string;
  pull?: BlobPullSettings;
}

/**
 * `detections:` of app-config. `detections.rules` takes the thresholds and allowlists of
 * `@internal/detection-rules` (same keys as its config file); anything absent is its default.
 */
export function readSettings(cfg: Config | undefined): DetectionsSettings {
  const rulesRaw = cfg?.getOptional('rules');
  const pull = cfg?.getOptionalConfig('pull');
  let pullSettings: BlobPullSettings | undefined;
  if (pull && pull.getOptionalBoolean('enabled') !== false) {
    const key = pull.getOptionalString('accountKey');
    pullSettings = {
      accountUrl: pull.getString('accountUrl'),
      container: pull.getString('container'),
      prefix: pull.getOptionalString('prefix') ?? '',
      credential: key ? { kind: 'sharedKey', accountName: pull.getString('accountName'), accountKey: key } : { kind: 'default' },
      frequencyMinutes: pull.getOptionalNumber('frequencyMinutes') ?? 5,
    };
  }
  return {
    rules: resolveConfig((rulesRaw ?? {}) as Record<string, unknown>),
    ingest: {
      maxBytes: cfg?.getOptionalString('ingest.maxBytes') ?? '10mb',
      maxLines: cfg?.getOptionalNumber('ingest.maxLines') ?? 50_000,
    },
    warmupHours: cfg?.getOptionalNumber('engine.warmupHours') ?? 24,
    warmupMaxEvents: cfg?.getOptionalNumber('engine.warmupMaxEvents') ?? 2_000_000,
    retention: {
      eventDays: cfg?.getOptionalNumber('retention.eventDays') ?? 90,
      closedAlertDays: cfg?.getOptionalNumber('retention.closedAlertDays') ?? 365,
      frequencyMinutes: cfg?.getOptionalNumber('retention.frequencyMinutes') ?? 60,
    },
    grants: { refreshMinutes: cfg?.getOptionalNumber('grants.refreshMinutes') ?? 5 },
    notifyGroup: cfg?.getOptionalString('notifications.group') ?? 'group:default/security-reviewers',
    pull: pullSettings,
  };
}
