import { ServiceUnavailableError } from '@backstage/errors';
import { RegistryConfig } from './config';
import { downloadToFile, getJson, HttpRequestOptions } from './http';
import { DownloadWorkspace, safeRelativePath } from './workspace';

/** Encodes each segment of a repo file path for a URL. */
export function encodeRepoPath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

interface ModelInfo {
  sha?: string;
  siblings?: Array<{ rfilename?: string; size?: number }>;
}

/** Minimal Hugging Face Hub client: model info and file resolution. */
export class HuggingFaceHubClient {
  constructor(
    private readonly hub: RegistryConfig,
    private readonly timeoutMs: number,
  ) {}

  get endpoint() {
    return this.hub.baseUrl;
  }

  authHeaders(upstreamAuthorization?: string): Record<string, string> {
    if (upstreamAuthorization) return { Authorization: upstreamAuthorization };
    return this.hub.token ? { Authorization: `Bearer ${this.hub.token}` } : {};
  }

  /** `GET /api/models/{repo}/revision/{rev}`: the commit sha and the file list. */
  async modelInfo(repo: string, revision: string, signal?: AbortSignal) {
    const info = await getJson<ModelInfo>(
      `${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(
        revision,
      )}`,
      `Hugging Face model ${repo}@${revision}`,
      { headers: this.authHeaders(), signal, timeoutMs: this.timeoutMs },
    );
    if (
      !info.sha ||
      !/^[0-9a-f]{40}$/.test(info.sha) ||
      !Array.isArray(info.siblings)
    ) {
      throw new ServiceUnavailableError(
        `Hugging Face answered without a commit sha or file list for ${repo}@${revision}`,
      );
    }
    return {
      sha: info.sha,
      files: info.siblings.map(s =>
        safeRelativePath(
          String(s.rfilename ?? ''),
          'Hugging Face sibling name',
        ),
      ),
    };
  }

  resolveUrl(repo: string, revision: string, file: string) {
    return `${this.endpoint}/${repo}/resolve/${encodeURIComponent(
      revision,
    )}/${encodeRepoPath(file)}`;
  }

  requestOptions(
    signal?: AbortSignal,
    upstreamAuthorization?: string,
  ): HttpRequestOptions {
    return {
      headers: this.authHeaders(upstreamAuthorization),
      signal,
      timeoutMs: this.timeoutMs,
    };
  }
}

/** Downloads every file of `repo` at `revision` (pinned to the commit the hub reports). */
export async function resolveHuggingFace(
  client: HuggingFaceHubClient,
  ws: DownloadWorkspace,
  repo: string,
  revision: string,
  signal?: AbortSignal,
): Promise<{ commit: string }> {
  const { sha, files } = await client.modelInfo(repo, revision, signal);
  for (const file of files) {
    const local = await ws.allocate(file);
    const bytes = await downloadToFile(
      client.resolveUrl(repo, sha, file),
      local,
      `hf://${repo}@${sha}/${file}`,
      ws.remainingBytes,
      client.requestOptions(signal),
    );
    ws.add(file, local, bytes);
  }
  return { commit: sha };
}
