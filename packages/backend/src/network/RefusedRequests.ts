import type { AuditorService } from '@backstage/backend-plugin-api';
import type { JsonObject } from '@backstage/types';
/** Most clients listed one by one in a summary; the rest are only counted. */
export const MAX_CLIENTS_PER_SUMMARY = 100;
/** Example paths kept per client. */
export const SAMPLE_PATHS_PER_CLIENT = 5;

export interface RefusalSummary {
  /** Start and end of the window (ISO-8601). */
  from: string;
  to: string;
  /** Refused requests in the window. */
  total: number;
  /** Per client address, most refused first. */
  clients: Array<{ client: string; count: number; samplePaths: string[] }>;
  /** Requests from clients beyond MAX_CLIENTS_PER_SUMMARY (not listed). */
  unlistedRequests: number;
}

/**
 * Counts requests refused by the IP access list between two summaries. Memory is bounded
 * (MAX_CLIENTS_PER_SUMMARY clients, SAMPLE_PATHS_PER_CLIENT paths each), so a flood from many
 * addresses cannot grow it; the audit trail gets one summary event per window instead of one
 * event per request (which would let anyone outside the network flood the chain).
 */
export class RefusedRequests {
  private clients = new Map<string, { count: number; samplePaths: string[] }>();
  private total = 0;
  private unlisted = 0;
  private since: Date;

  constructor(private readonly now: () => Date = () => new Date()) {
    this.since = now();
  }

  record(client: string, method: string, path: string): void {
    this.total += 1;
    let entry = this.clients.get(client);
    if (!entry) {
      if (this.clients.size >= MAX_CLIENTS_PER_SUMMARY) {
        this.unlisted += 1;
        return;
      }
      entry = { count: 0, samplePaths: [] };
      this.clients.set(client, entry);
    }
    entry.count += 1;
    const sample = `${method} ${path.slice(0, 200)}`;
    if (entry.samplePaths.length < SAMPLE_PATHS_PER_CLIENT && !entry.samplePaths.includes(sample)) {
      entry.samplePaths.push(sample);
    }
  }

  /** The window's summary (undefined when nothing was refused), and a new window starts. */
  takeSummary(): RefusalSummary | undefined {
    const to = this.now();
    if (this.total === 0) {
      this.since = to;
      return undefined;
    }
    const summary: RefusalSummary = {
      from: this.since.toISOString(),
      to: to.toISOString(),
      total: this.total,
      clients: [...this.clients.entries()]
        .map(([client, e]) => ({ client, count: e.count, samplePaths: e.samplePaths }))
        .sort((a, b) => b.count - a.count || a.client.localeCompare(b.client)),
      unlistedRequests: this.unlisted,
    };
    this.clients = new Map();
    this.total = 0;
    this.unlisted = 0;
    this.since = to;
    return summary;
  }
}

/** The backend's one counter: filled by the root router's IP access list, drained into the audit trail. */
export const ipAccessListRefusals = new RefusedRequests();

/**
 * Writes the refusals counted since the last call as ONE audit event (`eventId`, severity medium,
 * outcome failed with `error(total)`, meta = the summary); nothing when there were none. Returns
 * whether an event was written.
 */
export async function auditRefusalSummary(
  refusals: RefusedRequests,
  auditor: AuditorService,
  eventId: string,
  error: (total: number) => Error,
): Promise<boolean> {
  const summary = refusals.takeSummary();
  if (!summary) return false;
  const event = await auditor.createEvent({ eventId, severityLevel: 'medium', meta: summary as unknown as JsonObject });
  await event.fail({ error: error(summary.total) });
  return true;
}
