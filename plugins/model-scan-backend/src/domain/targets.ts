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
