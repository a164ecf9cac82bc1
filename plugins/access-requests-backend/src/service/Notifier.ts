import { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { NotificationSeverity } from '@backstage/plugin-notifications-common';

/**
 * Sends notifications; a failure is logged and never fails the action that caused it.
 * `dispatch` starts a send without making the caller wait for the notifications backend (the
 * response path stays fast); every dispatched send is tracked until it settles, failures are
 * logged, and `drain()` (called at plugin shutdown) waits for those still in flight.
 *
 * With `usersOf` (the catalog directory's), groups among the recipients are resolved to their
 * users here, briefly cached, and the send names users only: the notifications backend then needs
 * no catalog look-up of its own per send. If resolving fails, the groups are sent as they are
 * (the notifications backend resolves them itself).
 */
export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly service: NotificationService | undefined,
    private readonly logger: LoggerService,
    private readonly options: { usersOf?: (entityRefs: string[]) => Promise<string[]> } = {},
  ) {}

  /** The users of one send when groups among them can be resolved here; else undefined (sent as given). */
  private needsResolving(to: string | string[], exclude: string | string[] | undefined): boolean {
    const isUser = (ref: string) => ref.toLocaleLowerCase('en-US').startsWith('user:');
    const excluded = exclude === undefined ? [] : [exclude].flat();
    return !!this.options.usersOf && ![to].flat().every(isUser) && excluded.every(isUser);
  }

  private async resolvedUsers(to: string | string[], exclude: string | string[] | undefined): Promise<string[] | undefined> {
    const refs = [to].flat();
    const excluded = exclude === undefined ? [] : [exclude].flat();
    try {
      return (await this.options.usersOf!(refs)).filter(u => !excluded.includes(u));
    } catch (e) {
      this.logger.warn(`access-requests: could not resolve notification recipients ${refs.join(', ')} (sent as given): ${(e as Error).message}`);
      return undefined;
    }
  }

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
      // (no await when there is nothing to resolve: the send starts at once)
      const users = this.needsResolving(options.to, options.exclude) ? await this.resolvedUsers(options.to, options.exclude) : undefined;
      if (users?.length === 0) return; // nobody left to tell
      await this.service.send({
        recipients: users
          ? { type: 'entity', entityRef: users }
          : { type: 'entity', entityRef: options.to, excludeEntityRef: options.exclude },
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
