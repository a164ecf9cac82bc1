import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import { alertAppPath } from '@internal/plugin-detections-common';
import type { AlertRecord } from '../domain/alerts';

/**
 * Tells the security reviewers about new high and critical alerts (and alerts raised to high or
 * critical) through the notifications service, after the batch committed. A failed send is
 * logged, never fails ingest; `drain()` (shutdown) waits for sends in flight.
 */
export class AlertNotifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly service: NotificationService | undefined,
    private readonly group: string,
    private readonly logger: LoggerService,
  ) {}

  alertRaised(alert: AlertRecord, raisedFrom?: string): void {
    if (alert.severity !== 'high' && alert.severity !== 'critical') return;
    const p = this.send(alert, raisedFrom).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async send(a: AlertRecord, raisedFrom?: string): Promise<void> {
    if (!this.service) return;
    const who = a.principalRef ?? a.principal;
    const where = a.resourceRef ?? a.resource;
    try {
      await this.service.send({
        recipients: { type: 'entity', entityRef: this.group },
        payload: {
          title: `${a.severity === 'critical' ? 'Critical' : 'High'} alert: ${a.title}`,
          description: raisedFrom
            ? `The alert on ${who} at ${where} was raised from ${raisedFrom} to ${a.severity} (${a.count} events).`
            : `${who} at ${where}: ${a.count} events since ${a.firstSeen}.`,
          link: alertAppPath(a.id),
          severity: a.severity === 'critical' ? 'critical' : 'high',
          topic: 'detections',
          scope: `detections:alert:${a.id}`,
        },
      });
    } catch (e) {
      this.logger.warn(`detections: notification for alert ${a.id} failed: ${(e as Error).message}`);
    }
  }
}
