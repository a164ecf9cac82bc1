import { ResponseError } from '@backstage/errors';
import {
  ExceptionDetails,
  ExceptionSubject,
  ExceptionsExport,
  IsExceptedResult,
  PolicyException,
} from './types';
import { CreateExceptionBody, ExportFormat, ListExceptionsQuery, ReviewBody, ReviseExceptionBody } from './schemas';

/** An optional time as ISO text for the query/body. */
function isoOf(at: Date | string | undefined): string | undefined {
  if (at === undefined) return undefined;
  return typeof at === 'string' ? at : at.toISOString();
}

/** Minimal DiscoveryApi shape (frontend DiscoveryApi and backend DiscoveryService both fit). */
export interface PolicyExceptionsDiscovery {
  getBaseUrl(pluginId: string): Promise<string>;
}

export interface PolicyExceptionsFetch {
  fetch: typeof fetch;
}

/** Per-call options: a token for backend callers (service or on-behalf-of credentials). */
export interface CallOptions {
  token?: string;
}

/**
 * Typed client for /api/policy-exceptions. In the frontend pass the FetchApi (adds the user
 * token); from another backend plugin pass `{ token }` from
 * `auth.getPluginRequestToken({ onBehalfOf: await auth.getOwnServiceCredentials(), targetPluginId: 'policy-exceptions' })`.
 */
export class PolicyExceptionsClient {
  private readonly discoveryApi: PolicyExceptionsDiscovery;
  private readonly fetchApi: PolicyExceptionsFetch;

  constructor(options: { discoveryApi: PolicyExceptionsDiscovery; fetchApi?: PolicyExceptionsFetch }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...args) => fetch(...args) };
  }

  private async call<T>(method: string, path: string, body?: unknown, o?: CallOptions): Promise<T> {
    const base = await this.discoveryApi.getBaseUrl('policy-exceptions');
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (o?.token) headers.Authorization = `Bearer ${o.token}`;
    const res = await this.fetchApi.fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  private static qs(params: Record<string, string | number | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  /**
   * The one answer to "is this finding covered?": whether an approved exception to `controlId`
   * covers `subject` at time `at` (default: the server's now).
   */
  isExcepted(controlId: string, subject: ExceptionSubject, at?: Date | string, o?: CallOptions) {
    return this.call<IsExceptedResult>(
      'GET',
      `/is-excepted${PolicyExceptionsClient.qs({
        controlId,
        entityRef: subject.entityRef,
        findingKey: subject.findingKey,
        at: isoOf(at),
      })}`,
      undefined,
      o,
    );
  }

  /** isExcepted for several subjects at one time (one round trip; results in query order). */
  async isExceptedMany(
    queries: Array<{ controlId: string } & ExceptionSubject>,
    at?: Date | string,
    o?: CallOptions,
  ): Promise<IsExceptedResult[]> {
    const body = await this.call<{ items: IsExceptedResult[] }>(
      'POST',
      '/is-excepted',
      { queries, at: isoOf(at) },
      o,
    );
    return body.items;
  }

  listExceptions(params: ListExceptionsQuery = {}, o?: CallOptions) {
    return this.call<{ items: PolicyException[] }>(
      'GET',
      `/exceptions${PolicyExceptionsClient.qs(params as Record<string, string | number | undefined>)}`,
      undefined,
      o,
    );
  }

  getException(id: string, o?: CallOptions) {
    return this.call<ExceptionDetails>('GET', `/exceptions/${encodeURIComponent(id)}`, undefined, o);
  }

  createException(body: CreateExceptionBody, o?: CallOptions) {
    return this.call<{ exception: PolicyException }>('POST', '/exceptions', body, o);
  }

  /** Edit: a draft is changed in place; a submitted or decided exception gets a new revision. */
  reviseException(id: string, body: ReviseExceptionBody, o?: CallOptions) {
    return this.call<{ exception: PolicyException }>(
      'POST', `/exceptions/${encodeURIComponent(id)}/revisions`, body, o);
  }

  submit(id: string, o?: CallOptions) {
    return this.call<{ exception: PolicyException }>('POST', `/exceptions/${encodeURIComponent(id)}/submit`, {}, o);
  }

  review(id: string, body: ReviewBody, o?: CallOptions) {
    return this.call<{ exception: PolicyException }>(
      'POST', `/exceptions/${encodeURIComponent(id)}/reviews`, body, o);
  }

  withdraw(id: string, o?: CallOptions) {
    return this.call<{ exception: PolicyException }>('POST', `/exceptions/${encodeURIComponent(id)}/withdraw`, {}, o);
  }

  revoke(id: string, reason: string, o?: CallOptions) {
    return this.call<{ exception: PolicyException }>(
      'POST', `/exceptions/${encodeURIComponent(id)}/revoke`, { reason }, o);
  }

  /** A reviewer's periodic re-review of an approved exception (resets the cadence). */
  reReview(id: string, comment: string, o?: CallOptions) {
    return this.call<{ exception: PolicyException }>(
      'POST', `/exceptions/${encodeURIComponent(id)}/re-review`, { comment }, o);
  }

  /** Active exceptions at `at` (default now) as JSON. */
  exportActive(at?: Date | string, o?: CallOptions) {
    return this.call<ExceptionsExport>(
      'GET',
      `/export${PolicyExceptionsClient.qs({ format: 'json', at: isoOf(at) })}`,
      undefined,
      o,
    );
  }

  /** OSCAL POA&M (`oscal-poam`) or assessment results (`oscal-ar`) document. */
  exportOscal(format: Exclude<ExportFormat, 'json'>, at?: Date | string, o?: CallOptions) {
    return this.call<Record<string, unknown>>(
      'GET',
      `/export${PolicyExceptionsClient.qs({ format, at: isoOf(at) })}`,
      undefined,
      o,
    );
  }
}
