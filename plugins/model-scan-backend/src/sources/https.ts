import path from 'node:path';
import { downloadToFile } from './http';
import { SsrfGuard } from './ssrf';
import { DownloadWorkspace } from './workspace';

/** Name for a plain URL download: the last path segment, made safe. */
export function fileNameFromUrl(url: URL): string {
  let base = '';
  try {
    base = path.posix.basename(decodeURIComponent(url.pathname));
  } catch {
    base = path.posix.basename(url.pathname);
  }
  base = [...base]
    .map(ch =>
      ch.charCodeAt(0) < 0x20 || ch === '\\' || ch === '/' ? '_' : ch,
    )
    .join('');
  if (!base || base === '.' || base === '..') return 'download';
  return base.slice(0, 255);
}

/** Plain http(s) download of one file, through the SSRF guard (redirects included). */
export async function resolveHttps(
  url: URL,
  ws: DownloadWorkspace,
  guard: SsrfGuard,
  timeoutMs: number,
  signal?: AbortSignal,
) {
  const name = fileNameFromUrl(url);
  const local = await ws.allocate(name);
  const bytes = await downloadToFile(
    url.toString(),
    local,
    url.origin + url.pathname,
    ws.remainingBytes,
    {
      guard,
      signal,
      timeoutMs,
    },
  );
  ws.add(name, local, bytes);
}
