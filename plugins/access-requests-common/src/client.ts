import { ResponseError } from '@backstage/errors';
import {
  AccessRequest,
  DecisionTimeSummary,
  Grant,
  ResourceDetails,
  ResourceListItem,
  RoleSuggestion,
} from './types';
import { BreakGlassBody, CreateRequestBody, PostHocReviewBody, RenewBody, ReviewBody } from './schemas';

/** Minimal DiscoveryApi shape (frontend DiscoveryApi and backend DiscoveryService both fit). */
export interface AccessRequestsDiscovery {
  getBaseUrl(pluginId: string): Promise<string>;
}

export interface AccessRequestsFetch {
  fetch: typeof fetch;
}

/** Typed client for /api/access-requests. Use the frontend FetchApi (adds the user token) or pass a token. */
export class AccessRequestsClient {
  private readonly discoveryApi: AccessRequestsDiscovery;
  private readonly fetchApi: AccessRequestsFetch;

  constructor(options: { discoveryApi: AccessRequestsDiscovery; fetchApi?: AccessRequestsFetch }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...args) => fetch(...args) };
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string },
  ): Promise<T> {
    const base = await this.discoveryApi.getBaseUrl('access-requests');
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (options?.token) headers.Authorization = `Bearer ${options.token}`;
    const res = await this.fetchApi.fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return (await res.json()) as T;
  }

  private static qs(params: Record<string, string | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  searchResources(query: string, o?: { token?: string }) {
    return this.call<{ items: ResourceListItem[]; suggestion?: RoleSuggestion }>(
      'GET', `/resources${AccessRequestsClient.qs({ query })}`, undefined, o);
  }

  getResource(entityRef: string, o?: { token?: string }) {
    const [kind, rest] = entityRef.split(':');
    const [namespace, name] = rest.split('/');
    return this.call<ResourceDetails>(
      'GET',
      `/resources/${encodeURIComponent(kind)}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`,
      undefined, o);
  }

  createRequest(body: CreateRequestBody, o?: { token?: string }) {
    return this.call<{ request: AccessRequest }>('POST', '/requests', body, o);
  }

  listRequests(
    params: { scope?: 'mine' | 'inbox' | 'reviewed' | 'all'; resourceRef?: string; status?: string } = {},
    o?: { token?: string },
  ) {
    return this.call<{ items: AccessRequest[] }>('GET', `/requests${AccessRequestsClient.qs(params)}`, undefined, o);
  }

  getRequest(id: string, o?: { token?: string }) {
    return this.call<{ request: AccessRequest; grant?: Grant }>('GET', `/requests/${encodeURIComponent(id)}`, undefined, o);
  }

  review(id: string, body: ReviewBody, o?: { token?: string }) {
    return this.call<{ request: AccessRequest; grant?: Grant }>(
      'POST', `/requests/${encodeURIComponent(id)}/reviews`, body, o);
  }

  withdraw(id: string, o?: { token?: string }) {
    return this.call<{ request: AccessRequest }>('POST', `/requests/${encodeURIComponent(id)}/withdraw`, {}, o);
  }

  listGrants(
    params: { scope?: 'mine' | 'all'; resourceRef?: string; status?: string } = {},
    o?: { token?: string },
  ) {
    return this.call<{ items: Grant[] }>('GET', `/grants${AccessRequestsClient.qs(params)}`, undefined, o);
  }

  getGrant(id: string, o?: { token?: string }) {
    return this.call<{ grant: Grant }>('GET', `/grants/${encodeURIComponent(id)}`, undefined, o);
  }

  revokeGrant(id: string, reason: string, o?: { token?: string }) {
    return this.call<{ grant: Grant }>('POST', `/grants/${encodeURIComponent(id)}/revoke`, { reason }, o);
  }

  retryGrant(id: string, o?: { token?: string }) {
    return this.call<{ grant: Grant }>('POST', `/grants/${encodeURIComponent(id)}/retry`, {}, o);
  }

  renewGrant(id: string, body: RenewBody, o?: { token?: string }) {
    return this.call<{ request: AccessRequest }>('POST', `/grants/${encodeURIComponent(id)}/renew`, body, o);
  }

  breakGlass(body: BreakGlassBody, o?: { token?: string }) {
    return this.call<{ grant: Grant }>('POST', '/break-glass', body, o);
  }

  decisionTime(params: { resourceRef: string; policy?: string }, o?: { token?: string }) {
    return this.call<DecisionTimeSummary>('GET', `/decision-times${AccessRequestsClient.qs(params)}`, undefined, o);
  }

  postHocReview(grantId: string, body: PostHocReviewBody, o?: { token?: string }) {
    return this.call<{ grant: Grant }>(
      'POST', `/grants/${encodeURIComponent(grantId)}/post-hoc-reviews`, body, o);
  }
}
