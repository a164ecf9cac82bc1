import http from 'node:http';
import { readBody, startServer } from './servers';

export interface FakeModelVersion {
  name: string;
  version: string;
  source: string;
  storage_location?: string;
  run_id?: string;
}

/**
 * A stand-in for the MLflow tracking server REST API (model-versions/get, the
 * mlflow-artifacts proxy, model-versions/set-tag) and, with `kind: 'databricks'`, the
 * Databricks workspace registry (list-artifacts, get-signed-download-uri, set-tag).
 * Artifacts are a flat map of paths (relative to the artifact root) to contents.
 */
export async function startFakeMlflow(opts: {
  kind?: 'mlflow' | 'databricks';
  token?: string;
  /** require HTTP basic auth (MLflow's basic-auth app) instead of a bearer token */
  basic?: { username: string; password: string };
  versions: FakeModelVersion[];
  artifacts: Record<string, Buffer>;
}) {
  const tags: Array<{
    name: string;
    version: string;
    key: string;
    value: string;
    auth?: string;
  }> = [];
  const seen: string[] = [];
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const listDir = (dir: string, basenames: boolean) => {
    const prefix = dir ? `${dir}/` : '';
    const entries = new Map<
      string,
      { path: string; is_dir: boolean; file_size?: number }
    >();
    for (const [p, data] of Object.entries(opts.artifacts)) {
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      const [head, ...tail] = rest.split('/');
      const full = prefix + head;
      const shown = basenames ? head : full;
      entries.set(
        head,
        tail.length
          ? { path: shown, is_dir: true }
          : { path: shown, is_dir: false, file_size: data.length },
      );
    }
    return [...entries.values()];
  };

  const server = await startServer(async (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const u = new URL(req.url!, 'http://x');
    if (u.pathname.startsWith('/signed/')) {
      // "cloud storage": no bearer token expected, a signature in the query
      if (u.searchParams.get('sig') !== 'ok' || req.headers.authorization) {
        res.writeHead(403).end();
        return;
      }
      const p = decodeURIComponent(u.pathname.slice('/signed/'.length));
      const data = opts.artifacts[p];
      if (!data) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Length': data.length });
      res.end(data);
      return;
    }
    const expectedAuth = opts.token
      ? `Bearer ${opts.token}`
      : opts.basic &&
        `Basic ${Buffer.from(
          `${opts.basic.username}:${opts.basic.password}`,
        ).toString('base64')}`;
    if (expectedAuth && req.headers.authorization !== expectedAuth) {
      json(res, 401, { error_code: 'UNAUTHENTICATED', message: 'bad token' });
      return;
    }
    if (u.pathname === '/api/2.0/mlflow/model-versions/get') {
      const mv = opts.versions.find(
        v =>
          v.name === u.searchParams.get('name') &&
          v.version === u.searchParams.get('version'),
      );
      if (!mv) {
        json(res, 404, {
          error_code: 'RESOURCE_DOES_NOT_EXIST',
          message: 'not found',
        });
        return;
      }
      json(res, 200, { model_version: { ...mv, status: 'READY' } });
      return;
    }
    if (
      u.pathname === '/api/2.0/mlflow/model-versions/set-tag' &&
      req.method === 'POST'
    ) {
      const body = JSON.parse((await readBody(req)).toString('utf8'));
      tags.push({ ...body, auth: req.headers.authorization });
      json(res, 200, {});
      return;
    }
    if (opts.kind !== 'databricks') {
      if (u.pathname === '/api/2.0/mlflow-artifacts/artifacts') {
        json(res, 200, {
          files: listDir(u.searchParams.get('path') ?? '', true),
        });
        return;
      }
      if (u.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
        const p = u.pathname
          .slice('/api/2.0/mlflow-artifacts/artifacts/'.length)
          .split('/')
          .map(decodeURIComponent)
          .join('/');
        const data = opts.artifacts[p];
        if (!data) {
          json(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST' });
          return;
        }
        res.writeHead(200, {
          'Content-Length': data.length,
          'Content-Type': 'application/octet-stream',
        });
        res.end(data);
        return;
      }
    } else {
      if (u.pathname === '/api/2.0/mlflow/model-versions/list-artifacts') {
        json(res, 200, {
          files: listDir(u.searchParams.get('path') ?? '', false),
        });
        return;
      }
      if (
        u.pathname === '/api/2.0/mlflow/model-versions/get-signed-download-uri'
      ) {
        const p = u.searchParams.get('path') ?? '';
        json(res, 200, {
          signed_uri: `${server.url}/signed/${encodeURIComponent(p)}?sig=ok`,
          headers: [{ name: 'x-ms-blob-type', value: 'BlockBlob' }],
        });
        return;
      }
    }
    json(res, 404, { error_code: 'ENDPOINT_NOT_FOUND' });
  });
  return { url: server.url, tags, seen, close: () => server.close() };
}
