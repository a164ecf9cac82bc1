import type { Detection } from '@internal/detection-rules';
import type { AlertHistoryEntry, Severity } from '@internal/plugin-detections-common';
import { AlertRecord, groupKeyOf, severityRank } from './alerts';

/** A detection of the rules engine. */
export type GroupableDetection = Detection;

export interface AlertChange {
  alert: AlertRecord;
  opened: boolean;
  /** Event refs to link to the alert (not linked before). */
  newEventRefs: string[];
  history: AlertHistoryEntry[];
  /** The severity before this batch (undefined when opened now). */
  previousSeverity?: Severity;
  /** Events this batch added to the count. */
  added: number;
}

export interface GroupingInput {
  /** The newest alert per group key that is not closed (from the store). */
  openAlerts: Map<string, AlertRecord>;
  /** Event refs already linked to those alerts (only the ones among this batch's detections matter). */
  linked: Map<string, Set<string>>;
  windowMinutes: number;
  now: string;
  newId: () => string;
  resolvePrincipal?: (principal: string) => string | undefined;
  resolveResource?: (resource: string) => string | undefined;
  /** Most event refs kept per alert (count is always the full number). */
  maxLinkedEvents?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
export const ENGINE_ACTOR = 'detections';

/**
 * Groups detections into alerts: same rule, principal and resource within `windowMinutes` of the
 * open alert's last detection update that alert (later last seen, more events, severity only ever
 * raised); otherwise (no open alert, a closed one, or a gap longer than the window) a new alert
 * opens. Pure: the caller stores the changes.
 */
export function groupDetections(detections: GroupableDetection[], input: GroupingInput): AlertChange[] {
  const windowMs = input.windowMinutes * 60_000;
  const maxLinked = input.maxLinkedEvents ?? 1000;
  const sorted = [...detections].sort((a, b) => a.time - b.time);
  const current = new Map<string, AlertChange>();
  const changes: AlertChange[] = [];
  const linkedOf = (id: string) => {
    let s = input.linked.get(id);
    if (!s) input.linked.set(id, (s = new Set()));
    return s;
  };

  for (const d of sorted) {
    const key = groupKeyOf(d);
    let change = current.get(key);
    const existing = change?.alert ?? input.openAlerts.get(key);
    const fits = existing && d.time - Date.parse(existing.lastSeen) <= windowMs && Date.parse(existing.firstSeen) - d.time <= windowMs;
    if (!existing || !fits) {
      const start = Math.min(d.start ?? d.time, d.time);
      const alert: AlertRecord = {
        id: input.newId(),
        groupKey: key,
        rule: d.rule,
        title: d.title,
        severity: d.severity,
        principal: d.principal,
        principalRef: input.resolvePrincipal?.(d.principal),
        resource: d.resource,
        resourceRef: input.resolveResource?.(d.resource),
        status: 'new',
        firstSeen: iso(start),
        lastSeen: iso(d.time),
        count: 0,
        details: d.details,
        createdAt: input.now,
        updatedAt: input.now,
        version: 1,
      };
      change = { alert, opened: true, newEventRefs: [], history: [{ at: input.now, actor: ENGINE_ACTOR, action: 'opened' }], added: 0 };
      changes.push(change);
    } else if (!change) {
      change = {
        alert: { ...existing },
        opened: false,
        newEventRefs: [],
        history: [],
        previousSeverity: existing.severity,
        added: 0,
      };
      changes.push(change);
    }
    current.set(key, change);
    const a = change.alert;
    const start = Math.min(d.start ?? d.time, d.time);
    if (start < Date.parse(a.firstSeen)) a.firstSeen = iso(start);
    if (d.time > Date.parse(a.lastSeen)) a.lastSeen = iso(d.time);
    if (severityRank(d.severity) > severityRank(a.severity)) a.severity = d.severity;
    if (d.details && !change.opened) a.details = { ...a.details, ...d.details };
    const linked = linkedOf(a.id);
    let added = 0;
    for (const ref of d.eventIds) {
      if (linked.has(ref)) continue;
      linked.add(ref);
      added++;
      if (linked.size <= maxLinked) change.newEventRefs.push(ref);
    }
    if (d.eventCount && d.eventCount > d.eventIds.length) added += d.eventCount - d.eventIds.length;
    a.count += added;
    change.added += added;
    a.updatedAt = input.now;
  }

  // an update is history only when it raises the severity (count and last seen say the rest;
  // a busy alert updated by every batch would otherwise grow its history without bound)
  for (const c of changes) {
    if (c.opened || !c.previousSeverity || c.previousSeverity === c.alert.severity) continue;
    c.history.push({
      at: input.now,
      actor: ENGINE_ACTOR,
      action: 'updated',
      comment: `severity raised from ${c.previousSeverity} to ${c.alert.severity}`,
    });
  }
  return changes;
}
