import type {
  DiscoveryApi,
  FetchApi,
  IdentityApi,
} from '@backstage/frontend-plugin-api';
import { ModelScanClient as ModelScanHttpClient } from '@internal/plugin-model-scan-common';
import { ModelScanApi } from './ModelScanApi';
import { ListScansQuery, Scan } from './types';

/**
 * The portal's model-scan API: the typed client of
 * @internal/plugin-model-scan-common (with fetchApi, which adds the user's
 * token), plus uploads with progress, which fetch() cannot report.
 */
export class ModelScanClient implements ModelScanApi {
  private readonly client: ModelScanHttpClient;
  private readonly discoveryApi: DiscoveryApi;
  private readonly identityApi?: IdentityApi;

  constructor(options: {
    discoveryApi: DiscoveryApi;
    fetchApi: FetchApi;
    identityApi?: IdentityApi;
  }) {
    this.discoveryApi = options.discoveryApi;
    this.identityApi = options.identityApi;
    this.client = new ModelScanHttpClient({
      discoveryApi: options.discoveryApi,
      fetchApi: options.fetchApi,
    });
  }

  listScans(query: ListScansQuery = {}) {
    return this.client.listScans(query);
  }

  getScan(id: string) {
    return this.client.getScan(id);
  }

  createScan(input: { target: string; entityRef?: string }) {
    return this.client.createScan(input);
  }

  async uploadScan(
    file: Blob & { name?: string },
    options: {
      entityRef?: string;
      onProgress?: (sent: number, total: number) => void;
    } = {},
  ): Promise<Scan> {
    const fileName = file.name || 'upload.bin';
    if (!options.onProgress || typeof XMLHttpRequest === 'undefined') {
      return this.client.uploadScan(file, fileName, {
        entityRef: options.entityRef,
      });
    }
    const url = `${await this.discoveryApi.getBaseUrl('model-scan')}/scans/upload`;
    const form = new FormData();
    if (options.entityRef) form.append('entityRef', options.entityRef);
    form.append('file', file, fileName);
    const token = this.identityApi
      ? (await this.identityApi.getCredentials()).token
      : undefined;
    const onProgress = options.onProgress;
    return new Promise<Scan>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.upload.onprogress = e => {
        if (e.lengthComputable) onProgress(e.loaded, e.total);
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
        reject(
          new Error(
            body?.error?.message ??
              `Upload failed: ${xhr.status} ${xhr.statusText}`,
          ),
        );
      };
      xhr.send(form);
    });
  }

  rescan(id: string) {
    return this.client.rescan(id);
  }

  requestReview(id: string, note: string) {
    return this.client.requestReview(id, { note });
  }

  getBom(id: string) {
    return this.client.getBom(id);
  }

  getStats(days = 30) {
    return this.client.getStats({ days });
  }

  acceptVerdict(input: {
    sha256: string;
    justification: string;
    expiresAt: string;
  }) {
    return this.client.createAcceptance(input);
  }

  listAcceptances() {
    return this.client.listAcceptances();
  }

  gate(target: string) {
    return this.client.getGate(target);
  }
}
