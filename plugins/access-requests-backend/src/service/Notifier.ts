import { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { NotificationSeverity } from '@backstage/plugin-notifications-common';

/** Sends notifications; a failure is logged and never fails the action that caused it. */
export class Notifier {
  constructor(private readonly service: NotificationService | undefined, private readonly logger: LoggerService) {}

  async send(options: {
    to: string | string[];
    exclude?: string | string[];
    title: string;
    description?: string;
    link?: string;
    severity?: NotificationSeverity;
    topic?: string;
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
        },
      });
    } catch (e) {
      this.logger.warn(`access-requests: notification "${options.title}" failed: ${(e as Error).message}`);
    }
  }
}
