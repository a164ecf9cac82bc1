import { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { NotificationSeverity } from '@backstage/plugin-notifications-common';

export interface NotificationMessage {
  to: string | string[];
  exclude?: string | string[];
  title: string;
  description?: string;
  link?: string;
  severity?: NotificationSeverity;
  /** Notifications with the same scope replace each other for a recipient. */
  scope?: string;
}

/**
 * Sends notifications through notifications-node after the action committed; a failure is logged
 * and never fails the action. `drain()` (plugin shutdown) waits for sends still in flight.
 */
export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly service: NotificationService | undefined, private readonly logger: LoggerService) {}

  dispatch(message: NotificationMessage): void {
    const p = this.send(message).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async send(m: NotificationMessage): Promise<void> {
    if (!this.service) return;
    try {
      await this.service.send({
        recipients: { type: 'entity', entityRef: m.to, excludeEntityRef: m.exclude },
        payload: {
          title: m.title,
          description: m.description,
          link: m.link,
          severity: m.severity ?? 'normal',
          topic: 'policy-exceptions',
          ...(m.scope ? { scope: m.scope } : {}),
        },
      });
    } catch (e) {
      this.logger.warn(`policy-exceptions: notification "${m.title}" failed: ${(e as Error).message}`);
    }
  }
}
