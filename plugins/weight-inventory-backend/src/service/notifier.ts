import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { DriftEvent, WeightStore } from '@internal/plugin-weight-inventory-common';
import type { DriftNotifier } from './InventoryService';

export const SECURITY_REVIEWERS = 'group:default/security-reviewers';

/** Drift notifications to the store's owner and to security reviewers (one per store and refresh). */
export class NotificationsDriftNotifier implements DriftNotifier {
  constructor(private readonly notifications: NotificationService) {}

  async notify(store: WeightStore, events: DriftEvent[]): Promise<void> {
    const recipients = [SECURITY_REVIEWERS, ...(store.owner ? [store.owner] : [])];
    const worst = (['critical', 'high'] as const).find(s => events.some(e => e.severity === s)) ?? 'normal';
    await this.notifications.send({
      recipients: { type: 'entity', entityRef: recipients },
      payload: {
        title: `Posture drift on ${store.name}: ${events.length} check(s) now failing`,
        description: events.slice(0, 5).map(e => `${e.controlId} ${e.subjectKey}: ${e.message}`).join('\n').slice(0, 1000),
        link: `/catalog/default/resource/${store.id}/posture`,
        severity: worst,
        topic: 'weight-inventory-drift',
        scope: `weight-inventory:${store.id}`,
      },
    });
  }
}
