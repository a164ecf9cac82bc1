import path from 'node:path';
import { InputError, NotImplementedError } from '@backstage/errors';
import { RegistryConfig } from './config';
import {
  downloadToFile,
  getJson,
  httpRequest,
  HttpRequestOptions,
  upstreamError,
} from './http';
import { DownloadWorkspace, safeRelativePath } from './workspace';

interface ModelVersion {
  name: string;
  version: string;
  source?: string;
  storage_location?: string;
  run_id?: string;
  status?: string;
}

interface ArtifactEntry {
  path: string;
  is_dir?: boolean;
  file_size?: number | string;
}

/**
 * MLflow REST client (open-source tracking server or a Databricks workspace: the model
 * registry API has the same shape under `{base}/api/2.0/mlflow/...`, with a bearer token).
 *
 * Artifact download:
 * - MLflow OSS: through the tracking server's artifact proxy (`mlflow server --serve-artifacts`,
 *   the default since MLflow 2): list `GET /api/2.0/mlflow-artifacts/artifacts?path=`,
 *   download `GET /api/2.0/mlflow-artifacts/artifacts/<path>`.
 * - Databricks: `GET /api/2.0/mlflow/model-versions/list-artifacts` and
 *   `GET /api/2.0/mlflow/model-versions/get-signed-download-uri` (what MLflow's own
 *   DatabricksModelsArtifactRepository uses).
 */
export class MlflowRestClient {
  constructor(
    readonly kind: 'mlflow' | 'databricks',
    private readonly registry: RegistryConfig,
    private readonly timeoutMs: number,
  ) {}

  get baseUrl() {
    return this.registry.baseUrl;
  }

  private authorization(): Record<string, string> {
    const { token, username, password } = this.registry;
    if (token) return { Authorization: `Bearer ${token}` };
    if (username && password !== undefined) {
      return {
        Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString(
          'base64',
        )}`,
      };
    }
    return {};
  }

  private opts(signal?: AbortSignal): HttpRequestOptions {
    return {
      headers: this.authorization(),
      signal,
      timeoutMs: this.timeoutMs,
    };
  }

  private api(p: string, query: Record<string, string>) {
    return `${this.baseUrl}/api/2.0/${p}?${new URLSearchParams(
      query,
    ).toString()}`;
  }

  async getModelVersion(name: string, version: string, signal?: AbortSignal) {
    const body = await getJson<{ model_version?: ModelVersion }>(
      this.api('mlflow/model-versions/get', { name, version }),
      `${this.kind} model ${name} version ${version}`,
      this.opts(signal),
    );
    if (!body.model_version) {
      throw new InputError(
        `${this.kind} returned no model_version for ${name}/${version}`,
      );
    }
    return body.model_version;
  }

  async getDownloadUri(name: string, version: string, signal?: AbortSignal) {
    const body = await getJson<{ artifact_uri?: string }>(
      this.api('mlflow/model-versions/get-download-uri', { name, version }),
      `download URI of ${name}/${version}`,
      this.opts(signal),
    );
    return body.artifact_uri;
  }

  async runArtifactUri(runId: string, signal?: AbortSignal) {
    const body = await getJson<{ run?: { info?: { artifact_uri?: string } } }>(
      this.api('mlflow/runs/get', { run_id: runId }),
      `run ${runId}`,
      this.opts(signal),
    );
    return body.run?.info?.artifact_uri;
  }

  /** `POST /api/2.0/mlflow/model-versions/set-tag`. */
  async setModelVersionTag(
    name: string,
    version: string,
    key: string,
    value: string,
    signal?: AbortSignal,
  ) {
    const o = this.opts(signal);
    const r = await httpRequest(
      `${this.baseUrl}/api/2.0/mlflow/model-versions/set-tag`,
      {
        ...o,
        method: 'POST',
        headers: { ...o.headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, version, key, value }),
      },
    );
    if ((r.res.statusCode ?? 0) >= 300)
      throw await upstreamError(`set-tag ${key}`, r);
    r.res.resume();
  }

  /** Turns an artifact URI into a path for the mlflow-artifacts proxy, or undefined. */
  proxyPath(uri: string | undefined): string | undefined {
    if (!uri) return undefined;
    const m = uri.match(/^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/);
    if (m) return m[1].replace(/\/+$/, '');
    const proxyPrefix = `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/`;
    if (uri.startsWith(proxyPrefix))
      return uri.slice(proxyPrefix.length).replace(/\/+$/, '');
    return undefined;
  }

  /** Where the files of a model version live, as an artifact-proxy path. */
  async artifactProxyPath(
    mv: ModelVersion,
    signal?: AbortSignal,
  ): Promise<string> {
    const candidates: Array<string | undefined> = [
      mv.storage_location,
      mv.source,
    ];
    for (const c of candidates) {
      const p = this.proxyPath(c);
      if (p !== undefined) return p;
    }
    const runs = mv.source?.match(/^runs:\/([^/]+)\/?(.*)$/);
    if (runs) {
      const base = this.proxyPath(await this.runArtifactUri(runs[1], signal));
      if (base !== undefined) return [base, runs[2]].filter(Boolean).join('/');
    }
    const dl = this.proxyPath(
      await this.getDownloadUri(mv.name, mv.version, signal).catch(
        () => undefined,
      ),
    );
    if (dl !== undefined) return dl;
    throw new NotImplementedError(
      `Model ${mv.name}/${mv.version} is stored at ${
        mv.storage_location ?? mv.source
      }, which is not reachable through the MLflow artifact proxy; run the tracking server with --serve-artifacts`,
    );
  }

  private async walk(
    list: (dir: string) => Promise<ArtifactEntry[]>,
    root: string,
    onFile: (rel: string, size?: number) => Promise<void>,
  ) {
    const queue: Array<{ dir: string; depth: number }> = [
      { dir: root, depth: 0 },
    ];
    while (queue.length) {
      const { dir, depth } = queue.shift()!;
      if (depth > 32)
        throw new InputError('Artifact tree is nested too deeply');
      for (const entry of await list(dir)) {
        // entries are either basenames (artifact proxy) or paths relative to the root
        const raw = String(entry.path ?? '');
        const full =
          dir && raw.startsWith(`${dir}/`)
            ? raw
            : [dir, path.posix.basename(raw)].filter(Boolean).join('/');
        safeRelativePath(
          path.posix.basename(raw) || raw,
          `${this.kind} artifact name`,
        );
        if (entry.is_dir) queue.push({ dir: full, depth: depth + 1 });
        else {
          const rel = root ? full.slice(root.length + 1) : full;
          const size =
            entry.file_size === undefined ? undefined : Number(entry.file_size);
          await onFile(rel, size);
        }
      }
    }
  }

  /** Downloads every file of a model version into the workspace. */
  async downloadModelVersion(
    name: string,
    version: string,
    ws: DownloadWorkspace,
    signal?: AbortSignal,
  ) {
    const mv = await this.getModelVersion(name, version, signal);
    const what = (rel: string) => `${this.kind}://${name}/${version}/${rel}`;
    if (this.kind === 'databricks') {
      const list = async (dir: string) => {
        const out: ArtifactEntry[] = [];
        let token: string | undefined;
        do {
          const q: Record<string, string> = { name, version, path: dir };
          if (token) q.page_token = token;
          const page = await getJson<{
            files?: ArtifactEntry[];
            next_page_token?: string;
          }>(
            this.api('mlflow/model-versions/list-artifacts', q),
            `artifacts of ${name}/${version}`,
            this.opts(signal),
          );
          out.push(...(page.files ?? []));
          token = page.next_page_token || undefined;
        } while (token);
        return out;
      };
      await this.walk(list, '', async (rel, size) => {
        const local = await ws.allocate(rel, size);
        const signed = await getJson<{
          signed_uri?: string;
          headers?: Array<{ name: string; value: string }>;
        }>(
          this.api('mlflow/model-versions/get-signed-download-uri', {
            name,
            version,
            path: rel,
          }),
          `download URL of ${what(rel)}`,
          this.opts(signal),
        );
        if (!signed.signed_uri || !/^https?:\/\//.test(signed.signed_uri)) {
          throw new InputError(
            `Databricks returned no signed download URL for ${what(rel)}`,
          );
        }
        const headers: Record<string, string> = {};
        for (const h of signed.headers ?? []) headers[h.name] = h.value;
        const bytes = await downloadToFile(
          signed.signed_uri,
          local,
          what(rel),
          ws.remainingBytes,
          {
            headers,
            signal,
            timeoutMs: this.timeoutMs,
          },
        );
        ws.add(rel, local, bytes);
      });
      return mv;
    }
    const root = await this.artifactProxyPath(mv, signal);
    const list = async (dir: string) => {
      const body = await getJson<{ files?: ArtifactEntry[] }>(
        `${
          this.baseUrl
        }/api/2.0/mlflow-artifacts/artifacts?${new URLSearchParams({
          path: dir,
        })}`,
        `artifact listing ${dir}`,
        this.opts(signal),
      );
      return body.files ?? [];
    };
    const rootEntries = await list(root);
    if (rootEntries.length === 0) {
      // the source may be a single file rather than a directory
      const name1 = path.posix.basename(root);
      const local = await ws.allocate(name1);
      const bytes = await downloadToFile(
        `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${root
          .split('/')
          .map(encodeURIComponent)
          .join('/')}`,
        local,
        what(name1),
        ws.remainingBytes,
        this.opts(signal),
      );
      ws.add(name1, local, bytes);
      return mv;
    }
    await this.walk(list, root, async (rel, size) => {
      const local = await ws.allocate(rel, size);
      const full = `${root}/${rel}`.replace(/^\//, '');
      const bytes = await downloadToFile(
        `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${full
          .split('/')
          .map(encodeURIComponent)
          .join('/')}`,
        local,
        what(rel),
        ws.remainingBytes,
        this.opts(signal),
      );
      ws.add(rel, local, bytes);
    });
    return mv;
  }
}
