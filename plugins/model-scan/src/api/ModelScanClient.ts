import { ResponseError } from '@backstage/errors';
import type {
  DiscoveryApi,
  FetchApi,
  IdentityApi,
} from '@backstage/frontend-plugin-api';
import { ModelScanApi } from './ModelScanApi';
import {
  Acceptance,
  GateDecision,
  ListScansQuery,
  Scan,
  ScanList,
  ScanStats,
} from './types';

/** Talks to /api/model-scan with the signed-in user's token (fetchApi). */
export class ModelScanClient implements ModelScanApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;
  private readonly identityApi?: IdentityApi;

  constructor(options: {
    discoveryApi: DiscoveryApi;
    fetchApi: FetchApi;
    identityApi?: IdentityApi;
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    this.identityApi = options.identityApi;
  }

  async listScans(query: ListScansQuery = {}): Promise<ScanList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    return this.request<ScanList>(`/scans${qs ? `?${qs}` : ''}`);
  }

  async getScan(id: string): Promise<Scan> {
    const body = await this.request<{ scan: Scan }>(
      `/scans/${encodeURIComponent(id)}`,
    );
    return body.scan;
  }

  async createScan(input: { target: string; entityRef?: string }) {
    const body = await this.request<{ scan: Scan }>('/scans', {
      method: 'POST',
      json: input,
    });
    return body.scan;
  }

  async uploadScan(
    file: Blob & { name?: string },
    options: {
      entityRef?: string;
      onProgress?: (sent: number, total: number) => void;
    } = {},
  ): Promise<Scan> {
    const url = `${await this.baseUrl()}/scans/upload`;
    const form = new FormData();
    if (options.entityRef) form.append('entityRef', options.entityRef);
    form.append('file', file, file.name ?? 'upload.bin');

    // fetch() cannot report upload progress; XMLHttpRequest can. It needs the
    // token explicitly, which the identity API gives.
    if (options.onProgress && typeof XMLHttpRequest !== 'undefined') {
      const { token } = this.identityApi
        ? await this.identityApi.getCredentials()
        : { token: undefined };
      return new Promise<Scan>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', url);
        if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
        xhr.upload.onprogress = e => {
          if (e.lengthComputable) options.onProgress!(e.loaded, e.total);
        };
        xhr.onerror = () => reject(new Error('Upload failed: network error'));
        xhr.onload = () => {
          let body: any;
          try {
            body = JSON.parse(xhr.responseText);
          } catch {
            body = undefined;
          }
          if (xhr.status >= 200 && xhr.status < 300 && body?.scan) {
            resolve(body.scan as Scan);
            return;
          }
          const message =
            body?.error?.message ??
            `Upload failed: ${xhr.status} ${xhr.statusText}`;
          reject(new Error(message));
        };
        xhr.send(form);
      });
    }

    const response = await this.fetchApi.fetch(url, {
      method: 'POST',
      body: form,
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return ((await response.json()) as { scan: Scan }).scan;
  }

  async rescan(id: string): Promise<Scan> {
    const body = await this.request<{ scan: Scan }>(
      `/scans/${encodeURIComponent(id)}/rescan`,
      { method: 'POST' },
    );
    return body.scan;
  }

  async getStats(days = 30): Promise<ScanStats> {
    return this.request<ScanStats>(`/stats?days=${days}`);
  }

  async acceptVerdict(input: {
    sha256: string;
    justification: string;
    expiresAt: string;
  }): Promise<Acceptance> {
    const body = await this.request<{ acceptance: Acceptance }>(
      '/acceptances',
      { method: 'POST', json: input },
    );
    return body.acceptance;
  }

  async listAcceptances(): Promise<{ items: Acceptance[] }> {
    return this.request('/acceptances');
  }

  async gate(target: string): Promise<GateDecision> {
    return this.request<GateDecision>(
      `/gate?target=${encodeURIComponent(target)}`,
    );
  }

  private async baseUrl() {
    return this.discoveryApi.getBaseUrl('model-scan');
  }

  private async request<T>(
    path: string,
    init: { method?: string; json?: unknown } = {},
  ): Promise<T> {
    const response = await this.fetchApi.fetch(`${await this.baseUrl()}${path}`, {
      method: init.method ?? 'GET',
      headers:
        init.json !== undefined
          ? { 'Content-Type': 'application/json' }
          : undefined,
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
  }
}
