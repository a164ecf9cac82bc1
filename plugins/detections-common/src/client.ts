import { ResponseError } from '@backstage/errors';
import type {
  Alert,
  AlertGrant,
  AlertPage,
  AlertStatus,
  DashboardSummary,
  IngestResult,
  Page,
  RevokedGrant,
  RuleSummary,
  Severity,
  SourceId,
  StoredEvent,
} from './types';
import type { CloseReason } from './types';

/** Minimal DiscoveryApi shape (frontend DiscoveryApi and backend DiscoveryService both fit). */
export interface DetectionsDiscovery {
  getBaseUrl(pluginId: string): Promise<string>;
}

export interface DetectionsFetch {
  fetch: typeof fetch;
}

/** Per-call options: a token for backend or service callers. */
export interface DetectionsCallOptions {
  token?: string;
}

type Time = Date | string;

export interface AlertFilter {
  status?: AlertStatus[];
  severity?: Severity[];
  rule?: string;
  principal?: string;
  resource?: string;
  /** User → alerts of that principal; weight store / cluster / namespace → alerts on it. */
  entityRef?: string;
  from?: Time;
  to?: Time;
  /** Words matched in title, rule, principal and resource. */
  q?: string;
  limit?: number;
  cursor?: string;
}

export interface EventFilter {
  source?: SourceId[];
  principal?: string;
  resource?: string;
  from?: Time;
  to?: Time;
  limit?: number;
  cursor?: string;
}

type QueryValue = string | number | Date | readonly string[] | undefined;

function qs(params: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    if (v instanceof Date) q.set(k, v.toISOString());
    else if (Array.isArray(v)) {
      if (v.length) q.set(k, v.join(','));
    } else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

/**
 * Typed client for /api/detections. In the frontend pass the FetchApi (adds the user token);
 * a service that ingests passes `{ token }` (a static external-access token or a plugin request
 * token).
 */
export class DetectionsClient {
  private readonly discoveryApi: DetectionsDiscovery;
  private readonly fetchApi: DetectionsFetch;

  constructor(options: { discoveryApi: DetectionsDiscovery; fetchApi?: DetectionsFetch }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...args) => fetch(...args) };
  }

  private async call<T>(
    method: string,
    path: string,
    body?: { json: unknown } | { ndjson: string },
    o?: DetectionsCallOptions,
  ): Promise<T> {
    const base = await this.discoveryApi.getBaseUrl('detections');
    const headers: Record<string, string> = {};
    let payload: string | undefined;
    if (body && 'json' in body) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['Content-Type'] = 'application/x-ndjson';
      payload = body.ndjson;
    }
    if (o?.token) headers.Authorization = `Bearer ${o.token}`;
    const res = await this.fetchApi.fetch(`${base}${path}`, { method, headers, body: payload });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  /** Ingest NDJSON (one record per line, any supported source). Service principals only. */
  ingest(ndjson: string, o?: DetectionsCallOptions) {
    return this.call<IngestResult>('POST', '/ingest', { ndjson }, o);
  }

  listAlerts(filter: AlertFilter = {}, o?: DetectionsCallOptions) {
    return this.call<AlertPage>('GET', `/alerts${qs({ ...filter })}`, undefined, o);
  }

  async getAlert(id: string, o?: DetectionsCallOptions): Promise<Alert> {
    return (await this.call<{ alert: Alert }>('GET', `/alerts/${enc(id)}`, undefined, o)).alert;
  }

  listAlertEvents(id: string, page: { limit?: number; cursor?: string } = {}, o?: DetectionsCallOptions) {
    return this.call<Page<StoredEvent>>('GET', `/alerts/${enc(id)}/events${qs(page)}`, undefined, o);
  }

  private async act(id: string, action: string, json: unknown, o?: DetectionsCallOptions): Promise<Alert> {
    return (await this.call<{ alert: Alert }>('POST', `/alerts/${enc(id)}/${action}`, { json }, o)).alert;
  }

  acknowledge(id: string, comment?: string, o?: DetectionsCallOptions) {
    return this.act(id, 'acknowledge', comment ? { comment } : {}, o);
  }

  /** `assignee` is a user entity ref. */
  assign(id: string, assignee: string, o?: DetectionsCallOptions) {
    return this.act(id, 'assign', { assignee }, o);
  }

  addNote(id: string, text: string, o?: DetectionsCallOptions) {
    return this.act(id, 'notes', { text }, o);
  }

  close(id: string, reason: CloseReason, comment: string, o?: DetectionsCallOptions) {
    return this.act(id, 'close', { reason, comment }, o);
  }

  reopen(id: string, comment: string, o?: DetectionsCallOptions) {
    return this.act(id, 'reopen', { comment }, o);
  }

  /** The principal's active grants on the alert's resource (what revoke-grants would end). */
  async listAlertGrants(id: string, o?: DetectionsCallOptions): Promise<AlertGrant[]> {
    return (await this.call<{ items: AlertGrant[] }>('GET', `/alerts/${enc(id)}/grants`, undefined, o)).items;
  }

  revokeGrants(id: string, reason: string, o?: DetectionsCallOptions) {
    return this.call<{ revoked: RevokedGrant[]; alert: Alert }>(
      'POST', `/alerts/${enc(id)}/revoke-grants`, { json: { reason } }, o);
  }

  listEvents(filter: EventFilter = {}, o?: DetectionsCallOptions) {
    return this.call<Page<StoredEvent>>('GET', `/events${qs({ ...filter })}`, undefined, o);
  }

  async getEvent(id: string, o?: DetectionsCallOptions): Promise<StoredEvent> {
    return (await this.call<{ event: StoredEvent }>('GET', `/events/${enc(id)}`, undefined, o)).event;
  }

  getDashboard(params: { from?: Time; to?: Time; source?: SourceId[] } = {}, o?: DetectionsCallOptions) {
    return this.call<DashboardSummary>('GET', `/dashboard${qs({ ...params })}`, undefined, o);
  }

  async listRules(o?: DetectionsCallOptions): Promise<RuleSummary[]> {
    return (await this.call<{ items: RuleSummary[] }>('GET', '/rules', undefined, o)).items;
  }
}
