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

/** The HTTP status of an error from the typed client (ResponseError), if any. */
export function errorStatus(error: unknown): number | undefined {
  const e = error as any;
  return e?.response?.status ?? e?.statusCode;
}

function serverMessage(error: unknown): string {
  const e = error as any;
  return String(e?.body?.error?.message ?? e?.message ?? error);
}

/** A validation message from the server ("Too big: expected string to have <=4096 characters") as a sentence. */
export function friendlyValidationMessage(message: string): string {
  const m = message.trim();
  let r = /expected string to have <=\s*(\d+) characters/.exec(m);
  if (r) return `At most ${Number(r[1]).toLocaleString('en-US')} characters.`;
  r = /expected string to have >=\s*(\d+) characters/.exec(m);
  if (r) return `At least ${Number(r[1]).toLocaleString('en-US')} characters.`;
  r = /expected number to be <=\s*(\d+)/.exec(m);
  if (r) return `At most ${Number(r[1]).toLocaleString('en-US')}.`;
  r = /expected number to be >=\s*(\d+)/.exec(m);
  if (r) return `At least ${Number(r[1]).toLocaleString('en-US')}.`;
  if (/expected int/.test(m)) return 'Enter a whole number.';
  if (/received undefined|^Required$/i.test(m)) return 'Required.';
  if (/control character|bidi/i.test(m)) return 'Contains characters that are not allowed (control or text-direction characters).';
  const sentence = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * Field messages of a 400 from the server ("justification: Too big: ...; ticket: ..."):
 * `{ justification: 'At most 4,096 characters.' }`. Empty when the error is not about fields.
 */
export function fieldErrorsFrom(error: unknown): Record<string, string> {
  if (errorStatus(error) !== 400) return {};
  const out: Record<string, string> = {};
  for (const part of serverMessage(error).split(/;\s*/)) {
    const match = /^([A-Za-z][\w.]*):\s*(.+)$/.exec(part.trim());
    if (match && !(match[1] in out)) out[match[1]] = friendlyValidationMessage(match[2]);
  }
  return out;
}

/**
 * A sentence for a person about a failed action: no HTTP codes, library messages or
 * stack traces. `fieldLabels` names fields for 400s ("Justification: at most ...").
 */
export function describeError(error: unknown, fieldLabels: Record<string, string> = {}): string {
  const status = errorStatus(error);
  const message = serverMessage(error);
  if (status === 400) {
    const fields = fieldErrorsFrom(error);
    const parts = Object.entries(fields).map(([f, m]) => `${fieldLabels[f] ?? f}: ${m}`);
    return parts.length ? `Please check: ${parts.join(' ')}` : `Please check your input: ${friendlyValidationMessage(message.replace(/^[\w.]+:\s*/, ''))}`;
  }
  if (status === 401) return 'Your session has ended. Sign in again and retry.';
  if (status === 403) return `You are not allowed to do this. ${/you |only |policy/i.test(message) ? friendlyValidationMessage(message) : ''}`.trim();
  if (status === 404) return 'This item no longer exists, or you may not see it.';
  if (status === 409) return `${friendlyValidationMessage(message)} Reload the page to see the current state.`;
  if (status !== undefined && status >= 500) return 'The portal could not complete this right now. Try again in a moment.';
  if (/failed to fetch|networkerror|getaddrinfo|ECONNREFUSED/i.test(message)) return 'The portal could not be reached. Check your connection and try again.';
  return friendlyValidationMessage(message);
}

/** 90 → "1 h 30 min", relative-and-absolute time: "in 3 h 12 min, at 14:05". */
export function formatRelative(iso: string | undefined, now: Date): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diffMin = Math.round((t - now.getTime()) / 60_000);
  const abs = new Date(t).toLocaleString();
  if (Math.abs(diffMin) < 1) return `just now (${abs})`;
  const span = formatMinutes(Math.abs(diffMin));
  return diffMin > 0 ? `in ${span}, at ${abs}` : `${span} ago (${abs})`;
}

/** Share of a grant's time already used, 0..100 (a bar of time left). */
export function grantElapsedPercent(grant: Pick<Grant, 'startsAt' | 'expiresAt'>, now: Date): number {
  const start = Date.parse(grant.startsAt);
  const end = Date.parse(grant.expiresAt);
  if (!(end > start)) return 100;
  return Math.min(100, Math.max(0, ((now.getTime() - start) / (end - start)) * 100));
}

