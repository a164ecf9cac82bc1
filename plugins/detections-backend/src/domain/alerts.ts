import type { Alert, AlertHistoryEntry, Severity } from '@internal/plugin-detections-common';
import { SEVERITIES } from '@internal/plugin-detections-common';

/** An alert as stored (history kept apart, read with it for the API). */
export type AlertRecord = Omit<Alert, 'history'> & {
  /** rule, principal and resource joined (the grouping key) */
  groupKey: string;
  closedAt?: string;
  /** optimistic-concurrency version of triage changes */
  version: number;
};

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function groupKeyOf(d: { rule: string; principal: string; resource: string }): string {
  return `${d.rule}\u001f${d.principal}\u001f${d.resource}`;
}

export function toAlert(r: AlertRecord, history: AlertHistoryEntry[]): Alert {
  const { groupKey: _g, version: _v, closedAt: _c, ...rest } = r;
  return { ...rest, history };
}
