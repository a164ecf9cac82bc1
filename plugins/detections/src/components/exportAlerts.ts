import { Alert, AlertFilter, DetectionsApi, PAGE_LIMIT_MAX } from '../api';

/** At most this many alerts in one export (narrow the filters for more). */
export const EXPORT_MAX = 10_000;

const COLUMNS = [
  'id', 'severity', 'status', 'closeReason', 'title', 'rule', 'principal', 'principalRef',
  'resource', 'resourceRef', 'count', 'firstSeen', 'lastSeen', 'assignee',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break; text starting
 * with = + - @ or a tab gets a leading ' so a spreadsheet shows it instead of evaluating it.
 */
function field(v: unknown): string {
  const text = v === undefined || v === null ? '' : String(v);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.split('"').join('""')}"` : safe;
}

/** The alerts as CSV: a header row, one line per alert, CRLF line ends. */
export function alertsToCsv(alerts: Alert[]): string {
  const rows = alerts.map(a => COLUMNS.map(c => field(a[c])).join(','));
  return [COLUMNS.join(','), ...rows, ''].join('\r\n');
}

/** Every alert the query matches (all pages, newest activity first), up to EXPORT_MAX. */
export async function fetchAllAlerts(api: Pick<DetectionsApi, 'listAlerts'>, query: AlertFilter): Promise<{ items: Alert[]; truncated: boolean }> {
  const items: Alert[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listAlerts({ ...query, limit: PAGE_LIMIT_MAX, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < EXPORT_MAX);
  return { items: items.slice(0, EXPORT_MAX), truncated: !!cursor || items.length > EXPORT_MAX };
}

/** Hands `content` to the browser as a file download. */
export function saveFile(name: string, content: string, type: string): void {
  const href = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}
