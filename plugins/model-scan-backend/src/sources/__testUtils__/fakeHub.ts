import crypto from 'node:crypto';
import http from 'node:http';
import { startServer } from './servers';

export interface FakeRepo {
  sha: string;
  /** file path → content */
  files: Record<string, Buffer>;
  /** files served like LFS/xet files: a 302 redirect to a CDN on another origin */
  lfs?: string[];
  /** raw sibling names to report instead of the keys of `files` (for traversal tests) */
  siblings?: string[];
}

export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
}

/**
 * A stand-in for the Hugging Face Hub, answering like huggingface.co does for the calls
 * huggingface_hub makes: model info, and resolve with ETag / X-Repo-Commit, a 302 to a
 * CDN (another origin) for LFS files with X-Linked-Etag / X-Linked-Size, X-Error-Code on errors.
 */
export async function startFakeHub(
  repos: Record<string, FakeRepo>,
  opts: { token?: string } = {},
) {
  const seen: SeenRequest[] = [];
  const cdnSeen: SeenRequest[] = [];
  const blobs = new Map<string, Buffer>();

  const cdn = await startServer((req, res) => {
    cdnSeen.push({
      method: req.method!,
      url: req.url!,
      authorization: req.headers.authorization,
    });
    const key = new URL(req.url!, 'http://x').pathname.replace(
      /^\/blobs\//,
      '',
    );
    const data = blobs.get(key);
    if (!data) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Length': data.length,
      'Content-Type': 'application/octet-stream',
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  });

  const findRepo = (repoId: string, rev: string) => {
    const repo = repos[repoId];
    if (!repo) return undefined;
    if (rev !== 'main' && rev !== repo.sha) return null;
    return repo;
  };

  const hub = await startServer(
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.push({
        method: req.method!,
        url: req.url!,
        authorization: req.headers.authorization,
      });
      if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
        res.writeHead(401, {
          'X-Error-Code': 'RepoNotFound',
          'X-Error-Message': 'Invalid credentials',
        });
        res.end(JSON.stringify({ error: 'Invalid credentials' }));
        return;
      }
      const u = new URL(req.url!, 'http://x');
      const info = u.pathname.match(
        /^\/api\/models\/(.+?)(?:\/revision\/([^/]+))?$/,
      );
      if (info && req.method === 'GET') {
        const repoId = info[1];
        const rev = info[2] ? decodeURIComponent(info[2]) : 'main';
        const repo = findRepo(repoId, rev);
        if (!repo) {
          res.writeHead(repo === null ? 404 : 401, {
            'Content-Type': 'application/json',
            'X-Error-Code': repo === null ? 'RevisionNotFound' : 'RepoNotFound',
          });
          res.end(JSON.stringify({ error: 'Repository not found' }));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            id: repoId,
            modelId: repoId,
            sha: repo.sha,
            private: false,
            siblings: (repo.siblings ?? Object.keys(repo.files)).map(
              rfilename => ({ rfilename }),
            ),
          }),
        );
        return;
      }
      const resolve = u.pathname.match(/^\/(.+?)\/resolve\/([^/]+)\/(.+)$/);
      if (resolve && (req.method === 'GET' || req.method === 'HEAD')) {
        const repoId = resolve[1];
        const rev = decodeURIComponent(resolve[2]);
        const file = resolve[3].split('/').map(decodeURIComponent).join('/');
        const repo = findRepo(repoId, rev);
        if (!repo) {
          res.writeHead(repo === null ? 404 : 401, {
            'X-Error-Code': repo === null ? 'RevisionNotFound' : 'RepoNotFound',
            'X-Error-Message': 'Repository not found',
          });
          res.end();
          return;
        }
        const data = repo.files[file];
        if (!data) {
          res.writeHead(404, {
            'X-Error-Code': 'EntryNotFound',
            'X-Error-Message': 'Entry not found',
            'X-Repo-Commit': repo.sha,
          });
          res.end();
          return;
        }
        if (repo.lfs?.includes(file)) {
          const sha256 = crypto.createHash('sha256').update(data).digest('hex');
          blobs.set(sha256, data);
          res.writeHead(302, {
            Location: `${cdn.url}/blobs/${sha256}`,
            'X-Repo-Commit': repo.sha,
            'X-Linked-Etag': `"${sha256}"`,
            'X-Linked-Size': String(data.length),
            'X-Xet-Hash': 'f'.repeat(64),
            Link: `<${cdn.url}/xet-auth>; rel="xet-auth"`,
            ETag: `"${crypto.createHash('sha1').update(file).digest('hex')}"`,
            'Content-Length': '0',
          });
          res.end();
          return;
        }
        const etag = `"${crypto
          .createHash('sha1')
          .update(data)
          .digest('hex')}"`;
        res.writeHead(200, {
          ETag: etag,
          'X-Repo-Commit': repo.sha,
          'Content-Length': data.length,
          'Content-Type': 'application/octet-stream',
        });
        res.end(req.method === 'HEAD' ? undefined : data);
        return;
      }
      res.writeHead(404).end();
    },
  );

  return {
    url: hub.url,
    cdnUrl: cdn.url,
    seen,
    cdnSeen,
    async close() {
      await hub.close();
      await cdn.close();
    },
  };
}
