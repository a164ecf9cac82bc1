import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { Request, Response } from 'express';
import Router from 'express-promise-router';
import type {
  AuditorService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { modelScanCreatePermission } from '@internal/plugin-model-scan-common';
import {
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  downloadToFile,
  encodeRepoPath,
  httpRequest,
  HuggingFaceHubClient,
  parseHfRepo,
  parseHfRevision,
  safeRelativePath,
} from '../sources';
import { authorizeRequest, principalRef } from '../authorization';
import { markAudited, refuseUnsafeInput } from '@internal/backend-input-guard';
import { Clock, ScanServiceLike } from './types';

/** `/hf/<repo>/resolve/<rev>/<file>` — repo is "org/name" or a legacy one-segment name. */
const RESOLVE_PATH = /^\/hf\/((?:[^/]+\/)?[^/]+)\/resolve\/([^/]+)\/(.+)$/;
const MODELS_API_PATH = /^\/hf\/api\/models\/(.+)$/;

/** Upstream headers the hub client reads on errors (huggingface_hub's hf_raise_for_status). */
const ERROR_HEADERS = [
  'x-error-code',
  'x-error-message',
  'x-repo-commit',
  'x-request-id',
];

interface UpstreamMeta {
  commit: string;
  etag: string;
  size?: number;
}

interface CachedVerdict {
  verdict: 'safe' | 'suspicious' | 'malicious' | 'error';
  sha256: string;
  scanId: string;
  acceptedUntil?: string;
}

export class UpstreamAnswer extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    message: string,
  ) {
    super(message);
  }
}

function decodeSegment(s: string, what: string) {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new InputError(`Invalid ${what} encoding`);
  }
}

function isAllowed(v: CachedVerdict, now: Date): boolean {
  if (v.verdict === 'safe') return true;
  return (
    v.verdict === 'suspicious' &&
    !!v.acceptedUntil &&
    new Date(v.acceptedUntil).getTime() > now.getTime()
  );
}

/**
 * A Hugging Face-compatible download endpoint (point `HF_ENDPOINT` at
 * `<backend>/api/model-scan/hf`). Model metadata is proxied as is; every file is
 * downloaded from the upstream hub into a cache keyed by repo, commit, path and ETag,
 * scanned, and served only when its verdict is safe (or suspicious with a valid
 * acceptance). Anything else gets 403 `{ error: { name: 'ModelBlocked', ... } }`.
 *
 * Upstream credentials: `X-Upstream-Authorization` from the client when allowed, else
 * `modelScan.huggingFace.token`. The client's own `Authorization` header carries its
 * Backstage token and is never forwarded. Every request checks upstream access with a
 * HEAD first, so the shared cache never serves a private file to someone the hub refuses.
 */
export function createHfProxyRouter(opts: {
  hub: HuggingFaceHubClient;
  scanService: ScanServiceLike;
  auditor: AuditorService;
  logger: LoggerService;
  httpAuth?: HttpAuthService;
  /** When given (with httpAuth), every /hf request needs model-scan.scan.create. */
  permissions?: PermissionsService;
  cacheDir: string;
  /** Cached files beyond this total are removed, least recently used first. */
  cacheMaxBytes?: number;
  maxDownloadBytes: number;
  timeoutMs: number;
  allowUpstreamAuthorizationHeader: boolean;
  clock: Clock;
}): express.Router {
  const { hub, scanService, auditor, logger, clock } = opts;
  const router = Router();
  if (opts.permissions && opts.httpAuth) {
    const { permissions, httpAuth } = opts;
    // a download through the proxy starts a scan, so it needs the right to start one;
    // a refusal is audited like a blocked download
    router.use('/hf', async req => {
      try {
        await authorizeRequest(
          { httpAuth, permissions },
          req,
          modelScanCreatePermission,
        );
      } catch (error) {
        const event = await auditor.createEvent({
          eventId: 'hf-download',
          severityLevel: 'medium',
          request: req,
          meta: { path: `${req.baseUrl}${req.path}`.slice(0, 512) },
        });
        await event.fail({
          error: error as Error,
          meta: { decision: 'refused' },
        });
        throw markAudited(error);
      }
      return 'next';
    });
  }
  // after authentication: no control characters, NUL or bidi overrides in the path or query
  // (repo ids, revisions and file names reach the store and the hub); refused → 400, audited
  router.use('/hf', async req => {
    try {
      refuseUnsafeInput(req);
    } catch (error) {
      const event = await auditor.createEvent({
        eventId: 'hf-download',
        severityLevel: 'medium',
        request: req,
        meta: { path: `${req.baseUrl}${req.path}`.slice(0, 512) },
      });
      await event.fail({ error: error as Error, meta: { decision: 'refused' } });
      throw markAudited(error);
    }
    return 'next';
  });
  const inFlight = new Map<string, Promise<void>>();
  /** Cache entries a request is using right now (never evicted). */
  const active = new Map<string, number>();
  let evicting = false;

  /** Removes least recently used cache entries until the cache fits cacheMaxBytes. */
  async function evict() {
    const max = opts.cacheMaxBytes;
    if (max === undefined || evicting) return;
    evicting = true;
    try {
      const entries: Array<{
        key: string;
        dir: string;
        size: number;
        used: number;
      }> = [];
      for (const l1 of await fs.promises
        .readdir(opts.cacheDir)
        .catch(() => [])) {
        const l1dir = path.join(opts.cacheDir, l1);
        for (const key of await fs.promises.readdir(l1dir).catch(() => [])) {
          const dir = path.join(l1dir, key);
          const st = await fs.promises
            .stat(path.join(dir, 'data'))
            .catch(() => undefined);
          if (st) entries.push({ key, dir, size: st.size, used: st.mtimeMs });
        }
      }
      let total = entries.reduce((n, e) => n + e.size, 0);
      entries.sort((a, b) => a.used - b.used);
      for (const e of entries) {
        if (total <= max) break;
        if (active.has(e.key) || inFlight.has(e.key)) continue;
        await fs.promises.rm(e.dir, { recursive: true, force: true });
        total -= e.size;
      }
    } finally {
      evicting = false;
    }
  }

  const hold = (key: string) => active.set(key, (active.get(key) ?? 0) + 1);
  const release = (key: string) => {
    const n = (active.get(key) ?? 1) - 1;
    if (n <= 0) active.delete(key);
    else active.set(key, n);
  };

  const upstreamAuth = (req: Request) => {
    const given = req.header('x-upstream-authorization');
    if (given && opts.allowUpstreamAuthorizationHeader) return given;
    return undefined;
  };

  const requestedBy = async (req: Request) => {
    if (!opts.httpAuth) return 'unknown';
    try {
      return principalRef(await opts.httpAuth.credentials(req));
    } catch {
      return 'unknown';
    }
  };

  function parseResolve(req: Request) {
    const m = req.path.match(RESOLVE_PATH);
    if (!m) throw new InputError('Invalid resolve path');
    const repo = parseHfRepo(decodeSegment(m[1], 'repository'));
    const revision = parseHfRevision(decodeSegment(m[2], 'revision'));
    const file = safeRelativePath(
      m[3]
        .split('/')
        .map(s => decodeSegment(s, 'file path'))
        .join('/'),
      'file path',
    );
    return { repo, revision, file };
  }

  /** HEAD upstream; follows same-origin redirects (renamed repos), stops at the CDN hop. */
  async function upstreamMeta(
    repo: string,
    revision: string,
    file: string,
    auth: string | undefined,
  ): Promise<UpstreamMeta> {
    let url = hub.resolveUrl(repo, revision, file);
    for (let hop = 0; hop < 5; hop++) {
      const r = await httpRequest(url, {
        method: 'HEAD',
        followRedirects: false,
        headers: { ...hub.authHeaders(auth), 'Accept-Encoding': 'identity' },
        timeoutMs: opts.timeoutMs,
      });
      r.res.resume();
      const status = r.res.statusCode ?? 502;
      const h = r.res.headers;
      const location = typeof h.location === 'string' ? h.location : undefined;
      if (status >= 300 && status < 400 && location) {
        const next = new URL(location, url);
        if (next.origin === new URL(url).origin && !h['x-linked-etag']) {
          url = next.toString();
          continue;
        }
      }
      if (status >= 400) {
        const headers: Record<string, string> = {};
        for (const k of ERROR_HEADERS)
          if (typeof h[k] === 'string') headers[k] = h[k] as string;
        throw new UpstreamAnswer(
          status,
          headers,
          `Upstream hub answered HTTP ${status} for ${repo}/${file}`,
        );
      }
      const commit = h['x-repo-commit'];
      const etag = (h['x-linked-etag'] ?? h.etag) as string | undefined;
      const sizeHeader = (h['x-linked-size'] ?? h['content-length']) as
        | string
        | undefined;
      if (
        typeof commit !== 'string' ||
        !/^[0-9a-f]{40}$/.test(commit) ||
        !etag
      ) {
        throw new ServiceUnavailableError(
          `Upstream hub gave no commit or ETag for ${repo}/${file}`,
        );
      }
      const size = sizeHeader !== undefined ? Number(sizeHeader) : undefined;
      return { commit, etag, size: Number.isFinite(size) ? size : undefined };
    }
    throw new ServiceUnavailableError(
      `Too many redirects from the hub for ${repo}/${file}`,
    );
  }

  function cachePaths(repo: string, meta: UpstreamMeta, file: string) {
    const key = crypto
      .createHash('sha256')
      .update([repo, meta.commit, file, meta.etag].join('\0'))
      .digest('hex');
    const dir = path.join(opts.cacheDir, key.slice(0, 2), key);
    return {
      key,
      dir,
      data: path.join(dir, 'data'),
      verdict: path.join(dir, 'verdict.json'),
    };
  }

  async function readVerdict(p: string): Promise<CachedVerdict | undefined> {
    try {
      return JSON.parse(await fs.promises.readFile(p, 'utf8'));
    } catch {
      return undefined;
    }
  }

  async function ensureDownloaded(
    repo: string,
    meta: UpstreamMeta,
    file: string,
    auth: string | undefined,
  ) {
    const c = cachePaths(repo, meta, file);
    if (fs.existsSync(c.data)) return c;
    let pending = inFlight.get(c.key);
    if (!pending) {
      pending = (async () => {
        await fs.promises.mkdir(c.dir, { recursive: true });
        const part = `${c.data}.part-${crypto.randomUUID()}`;
        try {
          await downloadToFile(
            hub.resolveUrl(repo, meta.commit, file),
            part,
            `hf://${repo}@${meta.commit}/${file}`,
            opts.maxDownloadBytes,
            { headers: hub.authHeaders(auth), timeoutMs: opts.timeoutMs },
          );
          await fs.promises.rename(part, c.data);
        } finally {
          await fs.promises.rm(part, { force: true });
        }
      })().finally(() => {
        inFlight.delete(c.key);
        evict().catch(e =>
          logger.warn(`Hub proxy cache eviction failed: ${e}`),
        );
      });
      inFlight.set(c.key, pending);
    }
    await pending;
    return c;
  }

  function fileHeaders(meta: UpstreamMeta): Record<string, string> {
    const h: Record<string, string> = {
      ETag: meta.etag,
      'X-Repo-Commit': meta.commit,
      'X-Linked-Etag': meta.etag,
    };
    if (meta.size !== undefined) h['X-Linked-Size'] = String(meta.size);
    return h;
  }

  function sendUpstreamError(res: Response, e: UpstreamAnswer, head: boolean) {
    res.status(e.status).set(e.headers);
    if (head) res.end();
    else res.json({ error: { name: 'UpstreamError', message: e.message } });
  }

  function blockedBody(file: string, v: CachedVerdict) {
    return {
      error: {
        name: 'ModelBlocked',
        message: `${file} was not served: its scan verdict is ${v.verdict}`,
        verdict: v.verdict,
        sha256: v.sha256,
      },
      scanId: v.scanId,
    };
  }

  function sendBlocked(
    res: Response,
    file: string,
    v: CachedVerdict,
    head: boolean,
  ) {
    const body = blockedBody(file, v);
    res.status(403).set({
      'X-Error-Code': 'ModelBlocked',
      'X-Error-Message': body.error.message,
    });
    if (head) res.end();
    else res.json(body);
  }

  router.head(RESOLVE_PATH, async (req, res) => {
    const { repo, revision, file } = parseResolve(req);
    let meta: UpstreamMeta;
    try {
      meta = await upstreamMeta(repo, revision, file, upstreamAuth(req));
    } catch (e) {
      if (e instanceof UpstreamAnswer) return sendUpstreamError(res, e, true);
      throw e;
    }
    const known = await readVerdict(cachePaths(repo, meta, file).verdict);
    if (known && !isAllowed(known, clock.now()))
      return sendBlocked(res, file, known, true);
    res.status(200).set({
      ...fileHeaders(meta),
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      ...(meta.size !== undefined
        ? { 'Content-Length': String(meta.size) }
        : {}),
    });
    return res.end();
  });

  router.get(RESOLVE_PATH, async (req, res) => {
    const { repo, revision, file } = parseResolve(req);
    const auth = upstreamAuth(req);
    let meta: UpstreamMeta;
    try {
      meta = await upstreamMeta(repo, revision, file, auth);
    } catch (e) {
      if (e instanceof UpstreamAnswer) return sendUpstreamError(res, e, false);
      throw e;
    }
    const target = `hf://${repo}@${meta.commit}`;
    const who = await requestedBy(req);
    const event = await auditor.createEvent({
      eventId: 'hf-download',
      severityLevel: 'medium',
      request: req,
      meta: { repo, revision, commit: meta.commit, file, target },
    });
    const cacheKey = cachePaths(repo, meta, file).key;
    hold(cacheKey);
    try {
      const c = await ensureDownloaded(repo, meta, file, auth);
      const touched = new Date();
      await fs.promises.utimes(c.data, touched, touched).catch(() => undefined);
      const { scan, file: result } = await scanService.scanLocalFile({
        path: c.data,
        name: file,
        target,
        trigger: 'download',
        requestedBy: who,
      });
      const verdict: CachedVerdict = {
        verdict: result.verdict,
        sha256: result.sha256,
        scanId: scan.id,
        acceptedUntil: result.acceptedUntil,
      };
      await fs.promises.writeFile(c.verdict, JSON.stringify(verdict));
      if (!isAllowed(verdict, clock.now())) {
        logger.warn(
          `Blocked download of ${target} ${file}: verdict ${verdict.verdict}`,
        );
        await event.fail({
          error: new NotAllowedError(`Blocked: verdict ${verdict.verdict}`),
          meta: {
            decision: 'blocked',
            verdict: verdict.verdict,
            sha256: verdict.sha256,
            scanId: scan.id,
          },
        });
        return sendBlocked(res, file, verdict, false);
      }
      await event.success({
        meta: {
          decision: 'served',
          verdict: verdict.verdict,
          sha256: verdict.sha256,
          scanId: scan.id,
        },
      });
      return await new Promise<void>((resolve, reject) => {
        res.sendFile(
          c.data,
          {
            headers: {
              ...fileHeaders(meta),
              'Content-Type': 'application/octet-stream',
            },
            acceptRanges: true,
            etag: false,
            lastModified: false,
            cacheControl: false,
            dotfiles: 'allow',
          },
          err => {
            // the audit event already says "served"; a broken connection is only logged
            if (err) logger.warn(`Serving ${target} ${file} failed: ${err}`);
            if (err && !res.headersSent) reject(err);
            else resolve();
          },
        );
      }).catch(() => {
        if (!res.headersSent) res.status(500).end();
      });
    } catch (e) {
      await event.fail({ error: e as Error, meta: { decision: 'error' } });
      throw e;
    } finally {
      release(cacheKey);
    }
  });

  /** Model metadata (`/api/models/{repo}[/revision/{rev}]`, tree listings): proxied as is. */
  router.get(MODELS_API_PATH, async (req, res) => {
    const rest = req.path.match(MODELS_API_PATH)![1];
    const segments = rest.split('/').map(s => decodeSegment(s, 'path'));
    if (
      segments.some(
        s => s === '' || s === '.' || s === '..' || s.includes('\\'),
      )
    ) {
      throw new InputError('Invalid model API path');
    }
    const query = req.originalUrl.includes('?')
      ? req.originalUrl.slice(req.originalUrl.indexOf('?'))
      : '';
    const r = await httpRequest(
      `${hub.endpoint}/api/models/${encodeRepoPath(
        segments.join('/'),
      )}${query}`,
      {
        headers: {
          ...hub.authHeaders(upstreamAuth(req)),
          Accept: 'application/json',
          'Accept-Encoding': 'identity',
        },
        timeoutMs: opts.timeoutMs,
      },
    );
    const headers: Record<string, string> = {};
    for (const k of [
      ...ERROR_HEADERS,
      'content-type',
      'content-length',
      'link',
      'etag',
    ]) {
      const v = r.res.headers[k];
      if (typeof v === 'string') headers[k] = v;
    }
    if (headers.link) {
      // pagination links must keep pointing at this proxy, not at the upstream hub
      const self = `${req.protocol}://${req.get('host')}${req.baseUrl}/hf`;
      headers.link = headers.link.split(hub.endpoint).join(self);
    }
    res.status(r.res.statusCode ?? 502).set(headers);
    r.res.pipe(res);
    await new Promise<void>((resolve, reject) => {
      r.res.on('end', resolve);
      r.res.on('error', reject);
    });
  });

  return router;
}
