import { AuditEvent } from '@internal/plugin-audit-common';

const CSV_COLUMNS = ['seq', 'occurredAt', 'pluginId', 'eventId', 'severity', 'status', 'actor', 'actorType', 'method', 'url', 'error', 'meta', 'hash'] as const;

/** One CSV cell: quoted when needed; a leading = + - @ is prefixed with ' so spreadsheets do not run it. */
export function csvCell(value: unknown): string {
  let s = '';
  if (value !== undefined && value !== null) s = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Events as CSV (RFC 4180, header row, one line per event). */
export function eventsToCsv(events: AuditEvent[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of events) {
    const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      seq: e.seq,
      occurredAt: e.occurredAt,
      pluginId: e.pluginId,
      eventId: e.eventId,
      severity: e.severity,
      status: e.status,
      actor: e.actor,
      actorType: e.actorType,
      method: e.request?.method,
      url: e.request?.url,
      error: e.error ? `${e.error.name}: ${e.error.message}` : undefined,
      meta: e.meta,
      hash: e.hash,
    };
    lines.push(CSV_COLUMNS.map(c => csvCell(row[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Starts a browser download of `content`. */
export function download(filename: string, content: string, type: string) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
