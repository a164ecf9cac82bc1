/** How a scan target is read. */
export type TargetKind = 'upload' | 'local' | 'remote';

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Uploads are stored content-addressed: `upload://<sha256>/<file name>`. */
export function uploadTarget(sha256: string, fileName: string): string {
  return `upload://${sha256}/${fileName}`;
}

export function parseUploadTarget(
  target: string,
): { sha256: string; fileName: string } | undefined {
  const m = /^upload:\/\/([0-9a-f]{64})\/(.+)$/.exec(target);
  return m ? { sha256: m[1], fileName: m[2] } : undefined;
}

/** Classifies a target: uploads, paths on the backend host (file:// or no scheme), or remote sources. */
export function classifyTarget(target: string): TargetKind {
  const m = SCHEME.exec(target);
  if (!m) return 'local';
  const scheme = m[1].toLowerCase();
  if (scheme === 'upload') return 'upload';
  if (scheme === 'file') return 'local';
  return 'remote';
}

/** A safe file name for storing an upload (no folders, no control characters). */
export function sanitizeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return cleaned.slice(0, 200) || 'upload.bin';
}

function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The one spelling of a target, used wherever targets are stored or compared (scans, the
 * gate's model versions, lookups by target). Two spellings of the same model give the same
 * canonical target:
 * - `mlflow://` / `databricks://`: the model name percent-decoded, then encoded with
 *   `encodeURIComponent` (what the webhooks produce), so `mlflow://fraud model/7` and
 *   `mlflow://fraud%20model/7` are both `mlflow://fraud%20model/7`;
 * - `hf://org/repo[@rev]`: the revision decoded and re-encoded (slashes kept), `@main` when absent;
 * - `http(s)://` URLs (also Azure blob URLs): as the WHATWG URL parser normalizes them
 *   (lower-case scheme and host, default port dropped, unsafe characters percent-encoded);
 * - everything else (uploads, local paths) and anything unparsable: trimmed, otherwise unchanged.
 */
export function canonicalTarget(target: string): string {
  const t = target.trim();
  const registry = /^(mlflow|databricks):\/\/(.+)\/(\d{1,10})$/i.exec(t);
  if (registry) {
    const name = decodeOrKeep(registry[2]);
    return `${registry[1].toLowerCase()}://${encodeURIComponent(name)}/${
      registry[3]
    }`;
  }
  const hf = /^hf:\/\/([^@]+)(?:@(.*))?$/i.exec(t);
  if (hf) {
    const revision = hf[2] === undefined ? 'main' : decodeOrKeep(hf[2]);
    if (!revision) return t;
    return `hf://${hf[1]}@${encodeURIComponent(revision).replace(
      /%2F/gi,
      '/',
    )}`;
  }
  if (/^https?:\/\//i.test(t)) {
    try {
      return new URL(t).href;
    } catch {
      return t;
    }
  }
  return t;
}
