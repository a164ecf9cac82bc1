import type { Alert, AlertHistoryEntry, AlertStatus, CloseReason, Severity } from '@internal/plugin-detections-common';
import { SEVERITIES } from '@internal/plugin-detections-common';

/** An alert as stored (history kept apart, read with it for the API). */
export interface AlertRecord {
  id: string;
  groupKey: string;
  rule: string;
  title: string;
  severity: Severity;
  principal: string;
  principalRef?: string;
  resource: string;
  resourceRef?: string;
  status: AlertStatus;
  closeReason?: CloseReason;
  assignee?: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  details?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  version: number;
}

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
