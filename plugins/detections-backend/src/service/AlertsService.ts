import type { AuditorService, BackstageCredentials } from '@backstage/backend-plugin-api';
import type { JsonObject } from '@backstage/types';
import type { Request } from 'express';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type { Clock } from '@internal/clock';
import { markAudited } from '@internal/backend-input-guard';
import type {
  Alert,
  AlertGrant,
  AlertPage,
  CloseReason,
  Page,
  RevokedGrant,
  StoredEvent,
} from '@internal/plugin-detections-common';
import { AlertRecord, toAlert } from '../domain/alerts';
import { encodeCursor } from '../domain/cursor';
import { toStoredEvent } from '../domain/events';
import { grantsForAlert } from '../domain/grants';
import { AlertTriage, TriageOutcome } from '../domain/triage';
import type { AlertFilter, DetectionsStore } from '../store/DetectionsStore';
import type { GrantsApi } from './AccessRequestsGrants';

/** Who acts: a user (triage) with the request for the audit record. */
export interface Actor {
  userRef: string;
  request?: Request;
  credentials?: BackstageCredentials;
}

export type TriageAction =
  | { action: 'acknowledge'; comment?: string }
  | { action: 'assign'; assignee: string }
  | { action: 'note'; text: string }
  | { action: 'close'; reason: CloseReason; comment: string }
  | { action: 'reopen'; comment: string };

/**
 * Alerts: reading them with their history and events, triage through the AlertTriage state
 * machine (each action an audit event, a concurrent change a 409), and revoking the principal's
 * grants on the resource through access-requests.
 */
export class AlertsService {
  constructor(
    private readonly o: {
      store: DetectionsStore;
      auditor: AuditorService;
      clock: Clock;
      grants?: GrantsApi;
      /** Whether a user entity exists (the catalog): an alert is assigned only to a real person. */
      users?: { exists(userRef: string): Promise<boolean> };
    },
  ) {}

  /** Runs `fn` as one audit event (success with `meta`, or failure with the error). */
  async audited<T>(
    eventId: string,
    severityLevel: 'low' | 'medium' | 'high',
    actor: Actor,
    meta: Record<string, unknown>,
    fn: () => Promise<T>,
    resultMeta?: (r: T) => JsonObject,
  ): Promise<T> {
    const ev = await this.o.auditor.createEvent({ eventId, severityLevel, request: actor.request, meta: { actor: actor.userRef, ...meta } });
    try {
      const r = await fn();
      await ev.success(resultMeta ? { meta: resultMeta(r) } : undefined);
      return r;
    } catch (error) {
      await ev.fail({ error: error as Error });
      // audited here: the router's refusal handler does not write a second event for it
      throw markAudited(error);
    }
  }

  private async withHistory(records: AlertRecord[]): Promise<Alert[]> {
    const history = await this.o.store.history(records.map(r => r.id));
    return records.map(r => toAlert(r, history.get(r.id) ?? []));
  }

  private async record(id: string): Promise<AlertRecord> {
    const r = await this.o.store.getAlert(id);
    if (!r) throw new NotFoundError(`alert ${id.slice(0, 64)} not found`);
    return r;
  }

  async list(filter: AlertFilter): Promise<AlertPage> {
    const page = await this.o.store.listAlerts(filter);
    return {
      items: await this.withHistory(page.items),
      totalCount: page.totalCount,
      ...(page.last ? { nextCursor: encodeCursor(page.last) } : {}),
    };
  }

  async get(id: string): Promise<Alert> {
    const [alert] = await this.withHistory([await this.record(id)]);
    return alert;
  }

  async events(id: string, limit: number, after?: [number, string]): Promise<Page<StoredEvent>> {
    await this.record(id);
    const page = await this.o.store.alertEvents(id, limit, after);
    return { items: page.items.map(r => toStoredEvent(r, false)), ...(page.last ? { nextCursor: encodeCursor(page.last) } : {}) };
  }

  private decide(t: AlertTriage, a: TriageAction): TriageOutcome {
    switch (a.action) {
      case 'acknowledge':
        return t.acknowledge(a.comment);
      case 'assign':
        return t.assign(a.assignee);
      case 'note':
        return t.note(a.text);
      case 'close':
        return t.close(a.reason, a.comment);
      case 'reopen':
        return t.reopen(a.comment);
      default:
        throw new Error('unknown triage action');
    }
  }

  /** One triage step, audited; a change by someone else in between is a 409 (nothing written). */
  async triage(actor: Actor, id: string, a: TriageAction): Promise<Alert> {
    const { action, ...body } = a;
    return this.audited(`alert-${action}`, action === 'close' || action === 'reopen' ? 'medium' : 'low', actor, { alertId: id, ...body }, async () => {
      if (a.action === 'assign' && this.o.users && !(await this.o.users.exists(a.assignee))) {
        throw new InputError(`assignee: ${a.assignee.slice(0, 200)} is not a user in the catalog`);
      }
      const at = this.o.clock.now().toISOString();
      const store = this.o.store;
      await store.transaction(async tx => {
        const rec = await store.getAlert(id, tx, true);
        if (!rec) throw new NotFoundError(`alert ${id.slice(0, 64)} not found`);
        const outcome = this.decide(new AlertTriage(rec, actor.userRef, at), a);
        if (!(await store.updateTriage(rec, outcome.patch, outcome.entry, tx))) {
          throw new ConflictError('Someone else changed the alert at the same moment; reload it and try again.');
        }
      });
      return this.get(id);
    }, r => ({ status: r.status }));
  }

  private api(): GrantsApi {
    if (!this.o.grants) throw new ConflictError('Grants cannot be read: the access-requests plugin is not connected (detections.grants.source is none).');
    return this.o.grants;
  }

  /** The alert principal's active grants on the alert resource (what a revoke would end). */
  async grantsFor(id: string): Promise<AlertGrant[]> {
    const alert = await this.record(id);
    // in force at the export's own time: access-requests decides whether its grants are active
    const exported = await this.api().exportGrants();
    const grants = grantsForAlert(alert, exported.grants, (exported.generatedAt ?? this.o.clock.now()).getTime());
    return grants.map(g => ({ grantId: g.id, userRef: g.user.ref, resourceRef: g.resource.ref, ...(g.role ? { role: g.role } : {}), end: g.end }));
  }

  /**
   * Revokes those grants through access-requests on behalf of the reviewer (their permission is
   * checked and the revocation audited there too), then records it on the alert.
   */
  async revokeGrants(actor: Actor & { credentials: BackstageCredentials }, id: string, reason: string): Promise<{ revoked: RevokedGrant[]; alert: Alert }> {
    return this.audited('alert-revoke-grants', 'high', actor, { alertId: id, reason }, async () => {
      const grants = await this.grantsFor(id);
      if (!grants.length) throw new ConflictError('The principal holds no active grant on this resource; nothing to revoke.');
      const revoked: RevokedGrant[] = [];
      try {
        for (const g of grants) {
          await this.api().revoke(g.grantId, `Revoked from detections alert ${id}: ${reason}`, actor.credentials);
          revoked.push({ grantId: g.grantId, resourceRef: g.resourceRef, userRef: g.userRef });
        }
      } finally {
        if (revoked.length) {
          const at = this.o.clock.now().toISOString();
          const rec = await this.record(id);
          const outcome = new AlertTriage(rec, actor.userRef, at).grantsRevoked(
            `${revoked.map(r => r.grantId).join(', ')} (${revoked.length} of ${grants.length}): ${reason}`,
          );
          await this.o.store.transaction(tx => this.o.store.appendHistory(id, outcome.entry, tx));
        }
      }
      return { revoked, alert: await this.get(id) };
    }, r => ({ revoked: r.revoked.map(g => g.grantId) }));
  }
}
