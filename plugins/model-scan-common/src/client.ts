import { ResponseError } from '@backstage/errors';
import {
  Acceptance,
  CreateAcceptanceResponse,
  GateDecision,
  Scan,
  ScanList,
  Stats,
  Verdict,
} from './types';
import { CreateAcceptanceRequest, CreateScanRequest, ReviewRequestBody } from './schemas';

/** The part of Backstage's DiscoveryApi / DiscoveryService the client needs. */
export interface ModelScanDiscovery {
  getBaseUrl(pluginId: string): Promise<string>;
}

/** The part of Backstage's FetchApi the client needs (frontend: fetchApi; backend: global fetch). */
export interface ModelScanFetch {
  fetch: typeof fetch;
}

/** Per-call options; `token` is a Backstage token (service-to-service calls from other backends). */
export interface ModelScanRequestOptions {
  token?: string;
  signal?: AbortSignal;
}

/**
 * Typed client of the model-scan backend (`/api/model-scan`).
 *
 * Frontend: `new ModelScanClient({ discoveryApi, fetchApi })` (fetchApi adds the user's token).
 * Backend: `new ModelScanClient({ discoveryApi: discovery })` and pass
 * `{ token }` from `auth.getPluginRequestToken({ onBehalfOf, targetPluginId: 'model-scan' })`.
 */
export class ModelScanClient {
  private readonly discoveryApi: ModelScanDiscovery;
  private readonly fetchApi: ModelScanFetch;

  constructor(options: {
    discoveryApi: ModelScanDiscovery;
    fetchApi?: ModelScanFetch;
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...a) => fetch(...a) };
  }

  async createScan(
    request: CreateScanRequest,
    options?: ModelScanRequestOptions,
  ): Promise<Scan> {
    const body = await this.request<{ scan: Scan }>('POST', '/scans', {
      ...options,
      json: request,
    });
    return body.scan;
  }

  /** Uploads one file (multipart field `file`) and queues its scan. */
  async uploadScan(
    file: Blob,
    fileName: string,
    extra?: { entityRef?: string },
    options?: ModelScanRequestOptions,
  ): Promise<Scan> {
    const form = new FormData();
    if (extra?.entityRef) form.append('entityRef', extra.entityRef);
    form.append('file', file, fileName);
    const body = await this.request<{ scan: Scan }>('POST', '/scans/upload', {
      ...options,
      body: form,
    });
    return body.scan;
  }

  async listScans(
    query: {
      limit?: number;
      offset?: number;
      verdict?: Verdict;
      entityRef?: string;
      target?: string;
    } = {},
    options?: ModelScanRequestOptions,
  ): Promise<ScanList> {
    return this.request<ScanList>('GET', `/scans${toQuery(query)}`, options);
  }

  async getScan(id: string, options?: ModelScanRequestOptions): Promise<Scan> {
    const body = await this.request<{ scan: Scan }>(
      'GET',
      `/scans/${encodeURIComponent(id)}`,
      options,
    );
    return body.scan;
  }

  async rescan(id: string, options?: ModelScanRequestOptions): Promise<Scan> {
    const body = await this.request<{ scan: Scan }>(
      'POST',
      `/scans/${encodeURIComponent(id)}/rescan`,
      options,
    );
    return body.scan;
  }

  /** Asks the security reviewers to look at a suspicious or malicious scan (its requester only). */
  async requestReview(
    id: string,
    request: ReviewRequestBody,
    options?: ModelScanRequestOptions,
  ): Promise<Scan> {
    const body = await this.request<{ scan: Scan }>(
      'POST',
      `/scans/${encodeURIComponent(id)}/review-request`,
      { ...options, json: request },
    );
    return body.scan;
  }

  /**
   * The CycloneDX 1.6 ML-BOM of a completed scan (`GET /scans/:id/bom`), as the file the
   * backend serves and the name it suggests.
   */
  async getBom(
    id: string,
    options?: ModelScanRequestOptions,
  ): Promise<{ blob: Blob; fileName: string }> {
    const response = await this.send('GET', `/scans/${encodeURIComponent(id)}/bom`, options);
    const disposition = response.headers.get('content-disposition') ?? '';
    const fileName = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? `model-scan-${id}.cdx.json`;
    return { blob: await response.blob(), fileName };
  }

  async getStats(
    query: { days?: number } = {},
    options?: ModelScanRequestOptions,
  ): Promise<Stats> {
    return this.request<Stats>('GET', `/stats${toQuery(query)}`, options);
  }

  /**
   * Files the acceptance of a suspicious verdict. Since acceptances are exceptions
   * (policy-exceptions), the answer carries the exception request that another reviewer
   * approves; `acceptance` is there only where the exception service is not used.
   */
  async createAcceptance(
    request: CreateAcceptanceRequest,
    options?: ModelScanRequestOptions,
  ): Promise<CreateAcceptanceResponse> {
    return this.request<CreateAcceptanceResponse>('POST', '/acceptances', {
      ...options,
      json: request,
    });
  }

  async listAcceptances(
    options?: ModelScanRequestOptions,
  ): Promise<{ items: Acceptance[] }> {
    return this.request<{ items: Acceptance[] }>(
      'GET',
      '/acceptances',
      options,
    );
  }

  async getGate(
    target: string,
    options?: ModelScanRequestOptions,
  ): Promise<GateDecision> {
    return this.request<GateDecision>(
      'GET',
      `/gate${toQuery({ target })}`,
      options,
    );
  }

  private async request<T>(
    method: string,
    path: string,
    options?: ModelScanRequestOptions & { json?: unknown; body?: FormData },
  ): Promise<T> {
    const response = await this.send(method, path, options);
    return (await response.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    options?: ModelScanRequestOptions & { json?: unknown; body?: FormData },
  ): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl('model-scan');
    const headers: Record<string, string> = {};
    if (options?.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | FormData | undefined = options?.body;
    if (options?.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: options?.signal,
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }
}

function toQuery(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
