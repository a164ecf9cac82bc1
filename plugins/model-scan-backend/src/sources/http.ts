import http, { IncomingMessage } from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { SsrfGuard } from './ssrf';

export interface HttpRequestOptions {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string | undefined>;
  body?: string;
  /** When set, every hop (including redirects) must pass the guard. */
  guard?: SsrfGuard;
  /** Follow 3xx redirects (default true). Authorization is dropped when the origin changes. */
  followRedirects?: boolean;
  maxRedirects?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface HttpResponse {
  res: IncomingMessage;
  /** The URL that produced `res` (after redirects). */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function once(url: URL, opts: HttpRequestOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (v !== undefined) headers[k] = v;
    }
    const req = mod.request(url, {
      method: opts.method ?? 'GET',
      headers,
      signal: opts.signal,
      timeout: opts.timeoutMs ?? 60_000,
      lookup: opts.guard?.lookupFor(url.hostname),
      // a fresh connection per request so an earlier lookup is never reused for a new host
      agent: false,
    });
    req.on('response', resolve);
    req.on('timeout', () =>
      req.destroy(
        new ServiceUnavailableError(`Timed out talking to ${url.origin}`),
      ),
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One HTTP request with optional redirect following; the caller consumes `res`. */
export async function httpRequest(
  target: string,
  opts: HttpRequestOptions = {},
): Promise<HttpResponse> {
  let url = new URL(target);
  const headers = { ...opts.headers };
  const maxRedirects = opts.maxRedirects ?? 5;
  for (let hop = 0; ; hop++) {
    opts.guard?.checkUrl(url);
    const res = await once(url, { ...opts, headers });
    const location = res.headers.location;
    if (
      opts.followRedirects === false ||
      !REDIRECTS.has(res.statusCode ?? 0) ||
      !location
    ) {
      return { res, url: url.toString() };
    }
    res.resume();
    if (hop >= maxRedirects) {
      throw new ServiceUnavailableError(`Too many redirects from ${target}`);
    }
    const next = new URL(location, url);
    if (next.origin !== url.origin) {
      delete headers.Authorization;
      delete headers.authorization;
    }
    url = next;
  }
}

async function readText(
  res: IncomingMessage,
  limit = 64 * 1024,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Maps a non-2xx upstream answer to a Backstage error (never echoing tokens). */
export async function upstreamError(
  what: string,
  r: HttpResponse,
): Promise<Error> {
  const status = r.res.statusCode ?? 0;
  const text = (await readText(r.res).catch(() => '')).slice(0, 300);
  const origin = new URL(r.url).origin;
  const detail = text ? `: ${text}` : '';
  if (status === 404)
    return new NotFoundError(`${what} not found at ${origin}${detail}`);
  if (status === 401 || status === 403) {
    return new NotAllowedError(
      `${origin} refused access to ${what} (HTTP ${status})${detail}`,
    );
  }
  return new ServiceUnavailableError(
    `${origin} answered HTTP ${status} for ${what}${detail}`,
  );
}

/** GET a JSON document; errors become Backstage errors. */
export async function getJson<T>(
  url: string,
  what: string,
  opts: HttpRequestOptions = {},
): Promise<T> {
  const r = await httpRequest(url, {
    ...opts,
    headers: { Accept: 'application/json', ...opts.headers },
  });
  if ((r.res.statusCode ?? 0) >= 300) throw await upstreamError(what, r);
  const text = await readText(r.res, 32 * 1024 * 1024);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ServiceUnavailableError(
      `${new URL(r.url).origin} returned invalid JSON for ${what}`,
    );
  }
}

/** Counts bytes and fails the stream once more than `maxBytes` pass. */
export function byteLimit(maxBytes: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > maxBytes) {
        cb(
          new InputError(
            `${what} is larger than the download limit of ${maxBytes} bytes (modelScan.sources.maxDownloadBytes)`,
          ),
        );
        return;
      }
      cb(null, chunk);
    },
  });
}

/**
 * Streams a readable into `dest` (created exclusively), enforcing `maxBytes`. Returns the
 * number of bytes written. A partial file is removed on failure.
 */
export async function streamToFile(
  body: NodeJS.ReadableStream,
  dest: string,
  maxBytes: number,
  what: string,
  signal?: AbortSignal,
): Promise<number> {
  let written = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      body,
      byteLimit(maxBytes, what),
      counter,
      fs.createWriteStream(dest, { flags: 'wx', mode: 0o600 }),
      { signal },
    );
  } catch (e) {
    await fs.promises.rm(dest, { force: true });
    throw e;
  }
  return written;
}

/** Downloads `url` into `dest`. Non-2xx answers become Backstage errors. */
export async function downloadToFile(
  url: string,
  dest: string,
  what: string,
  maxBytes: number,
  opts: HttpRequestOptions = {},
): Promise<number> {
  const r = await httpRequest(url, {
    ...opts,
    headers: { 'Accept-Encoding': 'identity', ...opts.headers },
  });
  if ((r.res.statusCode ?? 0) >= 300) throw await upstreamError(what, r);
  const declared = Number(r.res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    r.res.destroy();
    throw new InputError(
      `${what} is ${declared} bytes, more than the download limit of ${maxBytes} bytes (modelScan.sources.maxDownloadBytes)`,
    );
  }
  return streamToFile(r.res, dest, maxBytes, what, opts.signal);
}
