import { randomUUID } from 'node:crypto';
import type { Detection } from '@internal/detection-rules';
import { groupKeyOf } from '../domain/alerts';
import { groupDetections, type AlertChange } from '../domain/grouping';
import type { DetectionsStore, Tx } from '../store/DetectionsStore';
import type { AlertNotifier } from './AlertNotifier';
import type { LiveGrantIndex } from './liveGrants';

/**
 * Detections → alerts inside the caller's transaction, as ingest and the Log Analytics import both
 * do: the open alert of the same rule, principal and resource within the window is updated, else
 * one opens; principal and resource get their catalog refs. Returns the changes (for `notifyChanges`
 * once the transaction committed).
 */
export async function groupIntoAlerts(
  detections: Detection[],
  o: { store: DetectionsStore; grants: LiveGrantIndex; windowMinutes: number; now: string },
  tx: Tx,
): Promise<AlertChange[]> {
  if (!detections.length) return [];
  const { store } = o;
  const open = await store.openAlertsFor(detections.map(groupKeyOf), tx);
  const linked = await store.linkedRefs([...open.values()].map(a => a.id), detections.flatMap(d => d.eventIds), tx);
  const dir = o.grants.directory;
  const changes = groupDetections(detections, {
    openAlerts: open,
    linked,
    windowMinutes: o.windowMinutes,
    now: o.now,
    newId: randomUUID,
    resolvePrincipal: p => dir.principalRef(p),
    resolveResource: r => dir.resourceRef(r),
  });
  await store.applyAlertChanges(changes, tx);
  return changes;
}

/** Tells reviewers of alerts opened, or raised in severity, by committed changes (high and critical only). */
export function notifyChanges(notifier: AlertNotifier, changes: AlertChange[]): void {
  for (const c of changes) {
    if (c.opened) notifier.alertRaised(c.alert);
    else if (c.previousSeverity && c.previousSeverity !== c.alert.severity) notifier.alertRaised(c.alert, c.previousSeverity);
  }
}
