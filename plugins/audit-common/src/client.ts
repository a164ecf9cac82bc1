import { ResponseError } from '@backstage/errors';
import { AuditEventsPage, AuditEventsQuery, VerifyResult } from './types';

/** The part of Backstage's DiscoveryApi / DiscoveryService the client needs. */
export interface AuditDiscovery {
  getBaseUrl(pluginId: string): Promise<string>;
}

/** The part of Backstage's FetchApi the client needs (frontend: fetchApi; backend: global fetch). */
export interface AuditFetch {
  fetch: typeof fetch;
}

/**
 * Typed client of the audit backend (`/api/audit`).
 *
 * Frontend: `new AuditClient({ discoveryApi, fetchApi })`.
 * Backend: `new AuditClient({ discoveryApi: discovery })` and pass a `token`
 * from `auth.getPluginRequestToken({ onBehalfOf, targetPluginId: 'audit' })`.
 */
export class AuditClient {
  private readonly discoveryApi: AuditDiscovery;
  private readonly fetchApi: AuditFetch;

  constructor(options: {
    discoveryApi: AuditDiscovery;
    fetchApi?: AuditFetch;
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...a) => fetch(...a) };
  }

  /** One page of events, newest first unless `after` / `order: 'asc'`. */
  async listEvents(
    query: AuditEventsQuery = {},
    options?: { token?: string },
  ): Promise<AuditEventsPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    const qs = params.toString();
    return this.get<AuditEventsPage>(`/events${qs ? `?${qs}` : ''}`, options);
  }

  /** Walks the whole chain on the server (this itself is audited). */
  async verify(options?: { token?: string }): Promise<VerifyResult> {
    return this.get<VerifyResult>('/verify', options);
  }

  private async get<T>(path: string, options?: { token?: string }): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('audit');
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, {
      headers: options?.token
        ? { Authorization: `Bearer ${options.token}` }
        : undefined,
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
