import { ResponseError } from '@backstage/errors';
import type {
  DriftEvent,
  FindingHistoryEntry,
  FindingQuery,
  PostureFinding,
  PostureSummary,
  Refresh,
  StoreQuery,
  WeightFile,
  WeightStore,
} from './types';

/** The part of Backstage's DiscoveryApi / DiscoveryService the client needs. */
export interface WeightInventoryDiscovery {
  getBaseUrl(pluginId: string): Promise<string>;
}

/** The part of Backstage's FetchApi the client needs (frontend: fetchApi; backend: global fetch). */
export interface WeightInventoryFetch {
  fetch: typeof fetch;
}

/** Per-call options; `token` is a Backstage token (service-to-service calls from other backends). */
export interface WeightInventoryRequestOptions {
  token?: string;
  signal?: AbortSignal;
}

/**
 * Typed client of the weight-inventory backend (`/api/weight-inventory`).
 *
 * Frontend: `new WeightInventoryClient({ discoveryApi, fetchApi })`.
 * Backend: `new WeightInventoryClient({ discoveryApi: discovery })` and pass `{ token }` from
 * `auth.getPluginRequestToken({ onBehalfOf: await auth.getOwnServiceCredentials(), targetPluginId: 'weight-inventory' })`.
 *
 * For other families:
 * - policy exceptions: `listFindings({ entityRef, controlId, status: 'fail' })` gives findings with
 *   `controlId`, `findingKey` (`<controlId>:<subjectKey>`) and `entityRef`.
 * - detections: `listDriftEvents({ since })` (pass→fail changes, oldest first, paged by `after`)
 *   and `listStores()`.
 */
export class WeightInventoryClient {
  private readonly discoveryApi: WeightInventoryDiscovery;
  private readonly fetchApi: WeightInventoryFetch;

  constructor(options: { discoveryApi: WeightInventoryDiscovery; fetchApi?: WeightInventoryFetch }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...a) => fetch(...a) };
  }

  async listStores(query: StoreQuery = {}, options?: WeightInventoryRequestOptions): Promise<{ items: WeightStore[] }> {
    return this.request('GET', `/stores${toQuery({ ...query })}`, options);
  }

  async getStore(storeId: string, options?: WeightInventoryRequestOptions): Promise<WeightStore> {
    const body = await this.request<{ store: WeightStore }>('GET', `/stores/${encodeURIComponent(storeId)}`, options);
    return body.store;
  }

  /** The store behind a catalog entity (`resource:default/<id>`), with its current findings. */
  async getEntityPosture(entityRef: string, options?: WeightInventoryRequestOptions): Promise<{ store: WeightStore; findings: PostureFinding[] }> {
    return this.request('GET', `/posture${toQuery({ entityRef })}`, options);
  }

  /** Current findings (latest refresh), failing first. */
  async listFindings(query: FindingQuery = {}, options?: WeightInventoryRequestOptions): Promise<{ items: PostureFinding[] }> {
    return this.request('GET', `/findings${toQuery({ ...query })}`, options);
  }

  async getFindingHistory(storeId: string, findingKey?: string, options?: WeightInventoryRequestOptions): Promise<{ items: FindingHistoryEntry[] }> {
    return this.request('GET', `/stores/${encodeURIComponent(storeId)}/history${toQuery({ findingKey })}`, options);
  }

  async listWeights(storeId: string, query: { limit?: number; offset?: number } = {}, options?: WeightInventoryRequestOptions): Promise<{ items: WeightFile[]; total: number }> {
    return this.request('GET', `/stores/${encodeURIComponent(storeId)}/weights${toQuery(query)}`, options);
  }

  /** Drift events (pass→fail), oldest first; `after` is the id of the last event already seen. */
  async listDriftEvents(query: { since?: string; after?: string; storeId?: string; limit?: number } = {}, options?: WeightInventoryRequestOptions): Promise<{ items: DriftEvent[] }> {
    return this.request('GET', `/drift-events${toQuery(query)}`, options);
  }

  async getSummary(options?: WeightInventoryRequestOptions): Promise<PostureSummary> {
    return this.request('GET', '/summary', options);
  }

  async listRefreshes(query: { limit?: number } = {}, options?: WeightInventoryRequestOptions): Promise<{ items: Refresh[] }> {
    return this.request('GET', `/refreshes${toQuery(query)}`, options);
  }

  /** Starts a refresh and waits for it; needs `weight-inventory.refresh`. */
  async refresh(options?: WeightInventoryRequestOptions): Promise<Refresh> {
    const body = await this.request<{ refresh: Refresh }>('POST', '/refreshes', { ...options, json: {} });
    return body.refresh;
  }

  private async request<T>(method: string, path: string, options?: WeightInventoryRequestOptions & { json?: unknown }): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('weight-inventory');
    const headers: Record<string, string> = {};
    if (options?.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options?.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, { method, headers, body, signal: options?.signal });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
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
