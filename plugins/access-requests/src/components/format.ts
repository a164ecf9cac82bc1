import { Grant, isGrantActive } from '@internal/plugin-access-requests-common';

/** "user:default/alice" → "alice"; "group:default/security-reviewers" → "security-reviewers". */
export function shortRef(ref: string | undefined): string {
  if (!ref) return '—';
  const slash = ref.lastIndexOf('/');
  return slash >= 0 ? ref.slice(slash + 1) : ref;
}

/** 90 → "1h 30m"; 480 → "8h"; 2880 → "2d". */
export function formatMinutes(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = Math.floor(minutes % 60);
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m || parts.length === 0) parts.push(`${m}m`);
  return parts.join(' ');
}

/** Time between now and `until`, e.g. "1h 59m 30s"; undefined when passed. */
export function formatRemaining(until: string, now: Date): string | undefined {
  const ms = Date.parse(until) - now.getTime();
  if (Number.isNaN(ms) || ms <= 0) return undefined;
  const total = Math.floor(ms / 1000);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

export type GrantDisplayState =
  | 'active'
  | 'scheduled'
  | 'expired'
  | 'revoked'
  | 'failed'
  | 'provisioning';

/**
 * What a grant is right now, decided by isGrantActive (the one rule) and the
 * stored times; a stored 'active' past its expiry shows as expired.
 */
export function grantDisplayState(grant: Grant, now: Date): GrantDisplayState {
  if (isGrantActive(grant, now)) return 'active';
  if (grant.status === 'revoked') return 'revoked';
  if (grant.status === 'failed' || grant.provisioning.state === 'failed') {
    return 'failed';
  }
  if (grant.status === 'expired' || Date.parse(grant.expiresAt) <= now.getTime()) {
    return 'expired';
  }
  if (Date.parse(grant.startsAt) > now.getTime()) return 'scheduled';
  return 'provisioning';
}

/** "2h 5m left", "starts in 5m", "expired", ... for a grant at `now`. */
export function grantTimeLeft(grant: Grant, now: Date): string {
  const state = grantDisplayState(grant, now);
  switch (state) {
    case 'active':
      return `${formatRemaining(grant.expiresAt, now) ?? '0s'} left`;
    case 'scheduled':
      return `starts in ${formatRemaining(grant.startsAt, now) ?? '0s'}`;
    case 'provisioning':
      return 'being provisioned';
    default:
      return state;
  }
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** The message and HTTP status of an error from the client (ResponseError). */
export function describeError(error: unknown): string {
  const e = error as any;
  const status: number | undefined = e?.response?.status ?? e?.statusCode;
  const message: string =
    e?.body?.error?.message ?? e?.message ?? String(error);
  const prefixes: Record<number, string> = {
    400: 'Invalid input',
    403: 'Not allowed',
    409: 'Conflict',
  };
  const prefix = status !== undefined ? prefixes[status] : undefined;
  return prefix ? `${prefix} (HTTP ${status}): ${message}` : message;
}
