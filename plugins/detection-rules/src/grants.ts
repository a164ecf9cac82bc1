import type { DetectionEvent, ExportedGrant } from './types';
import { isObject, parseTime, str } from './util/json';

/**
 * Shape of `GET /api/access-requests/grants/export` (also accepted as a bare array):
 * `{ "generatedAt": ISO, "grants": [ { id, user: { ref, email, upn, objectId, displayName },
 *   resource: { ref, title, azureScope }, role, status, start, end, revokedAt, breakGlass } ] }`
 */
export function parseGrantExport(json: unknown): ExportedGrant[] {
  const list = Array.isArray(json) ? json : isObject(json) && Array.isArray(json.grants) ? json.grants : undefined;
  if (!list) throw new Error('grant export: expected {"grants": [...]} or an array');
  return list.map((g, i) => {
    if (!isObject(g)) throw new Error(`grants[${i}]: must be an object`);
    const user = isObject(g.user) ? g.user : {};
    const resource = isObject(g.resource) ? g.resource : {};
    const start = str(g.start);
    const end = str(g.end);
    if (!start || !Number.isFinite(parseTime(start))) throw new Error(`grants[${i}].start: must be an ISO timestamp`);
    if (!end || !Number.isFinite(parseTime(end))) throw new Error(`grants[${i}].end: must be an ISO timestamp`);
    // an unreadable revocation time would leave the grant active for ever
    if (str(g.revokedAt) && !Number.isFinite(parseTime(g.revokedAt))) throw new Error(`grants[${i}].revokedAt: must be an ISO timestamp or null`);
    if (!str(user.ref) && !str(user.email) && !str(user.upn) && !str(user.objectId)) {
      throw new Error(`grants[${i}].user: needs ref, email, upn or objectId`);
    }
    if (!str(resource.ref) && !str(resource.azureScope)) throw new Error(`grants[${i}].resource: needs ref or azureScope`);
    return {
      id: str(g.id) ?? `grant-${i}`,
      user: { ref: str(user.ref) ?? '', email: str(user.email), upn: str(user.upn), objectId: str(user.objectId), displayName: str(user.displayName) },
      resource: { ref: str(resource.ref) ?? '', title: str(resource.title), azureScope: str(resource.azureScope) },
      role: str(g.role),
      status: str(g.status),
      start,
      end,
      revokedAt: str(g.revokedAt) ?? null,
      breakGlass: g.breakGlass === true,
    };
  });
}

interface IndexedGrant {
  grant: ExportedGrant;
  start: number;
  end: number;
  scope?: string;
  account?: string;
  container?: string;
}

function scopeParts(scope?: string): { account?: string; container?: string } {
  if (!scope) return {};
  const a = /storageaccounts\/([^/]+)/i.exec(scope);
  const c = /containers\/([^/]+)/i.exec(scope);
  return { account: a?.[1].toLowerCase(), container: c?.[1].toLowerCase() };
}

/** Who holds a grant on what, when: answers "had this principal an active grant on this blob at t?". */
export class GrantIndex {
  private readonly byUser = new Map<string, IndexedGrant[]>();
  readonly size: number;

  constructor(grants: ExportedGrant[]) {
    this.size = grants.length;
    for (const g of grants) {
      // a grant whose provisioning failed never gave access: it covers no read (the holder is still known)
      const revoked = g.status?.toLowerCase() === 'failed' ? -Infinity : g.revokedAt ? parseTime(g.revokedAt) : Infinity;
      const entry: IndexedGrant = {
        grant: g,
        start: parseTime(g.start),
        end: Math.min(parseTime(g.end), revoked),
        scope: g.resource.azureScope?.toLowerCase().replace(/\/+$/, ''),
        ...scopeParts(g.resource.azureScope),
      };
      const keys = new Set([g.user.email, g.user.upn, g.user.objectId, g.user.ref].filter(Boolean).map(k => k!.toLowerCase()));
      for (const k of keys) {
        const list = this.byUser.get(k) ?? [];
        list.push(entry);
        this.byUser.set(k, list);
      }
    }
  }

  private grantsOf(ev: DetectionEvent): IndexedGrant[] {
    const keys = [ev.actor.upn, ev.actor.uid, ev.actor.name].filter(Boolean).map(k => k!.toLowerCase());
    const seen = new Set<IndexedGrant>();
    for (const k of keys) for (const g of this.byUser.get(k) ?? []) seen.add(g);
    return [...seen];
  }

  /** Is the principal known to the grant export at all (any grant, any time)? */
  knows(ev: DetectionEvent): boolean {
    return this.grantsOf(ev).length > 0;
  }

  /** The active grant covering the event's blob resource at the event's time, if any. */
  activeGrantFor(ev: DetectionEvent): ExportedGrant | undefined {
    const res = ev.resource;
    const azureId = res?.azureId?.toLowerCase();
    const account = res?.account?.toLowerCase();
    const container = res?.container?.toLowerCase();
    for (const g of this.grantsOf(ev)) {
      if (ev.time < g.start || ev.time >= g.end) continue;
      if (g.scope && azureId && (azureId === g.scope || azureId.startsWith(`${g.scope}/`))) return g.grant;
      if (g.account && g.account === account && (!g.container || g.container === container)) return g.grant;
    }
    return undefined;
  }
}
