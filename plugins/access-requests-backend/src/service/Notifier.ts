import { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { NotificationSeverity } from '@backstage/plugin-notifications-common';

/**
 * Sends notifications; a failure is logged and never fails the action that caused it.
 * `dispatch` starts a send without making the caller wait for the notifications backend (the
 * response path stays fast); every dispatched send is tracked until it settles, failures are
 * logged, and `drain()` (called at plugin shutdown) waits for those still in flight.
 */
export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly service: NotificationService | undefined, private readonly logger: LoggerService) {}

  dispatch(options: Parameters<Notifier['send']>[0]): void {
    const p = this.send(options).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Waits until every dispatched notification has been sent (or has failed and been logged). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  async send(options: {
    to: string | string[];
    exclude?: string | string[];
    title: string;
    description?: string;
    link?: string;
    severity?: NotificationSeverity;
    topic?: string;
    /**
     * Notifications with the same scope replace each other for a recipient (notifications
     * backend): used to turn a "please review" into "done, nothing to do" when decided.
     */
    scope?: string;
  }): Promise<void> {
    if (!this.service) return;
    try {
      await this.service.send({
        recipients: { type: 'entity', entityRef: options.to, excludeEntityRef: options.exclude },
        payload: {
          title: options.title,
          description: options.description,
          link: options.link,
          severity: options.severity ?? 'normal',
          topic: options.topic ?? 'access-requests',
          ...(options.scope ? { scope: options.scope } : {}),
        },
      });
    } catch (e) {
      this.logger.warn(`access-requests: notification "${options.title}" failed: ${(e as Error).message}`);
    }
  }
}
