import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '@backstage/errors';
import { findUnsafeCharacter } from '@internal/input-validation';

/** True when `s` contains a control character (or, with `orSpace`, a space). */
/**
 * True when a name from a remote source (repo file, revision, registry model) contains a
 * character a reader could be fooled by: the shared single-line rule of
 * `@internal/input-validation` (C0/C1 controls, DEL, ANSI escapes, bidirectional overrides and
 * isolates, line breaks, unpaired surrogates), or a space when `orSpace`.
 */
export function hasControlChars(s: string, orSpace = false): boolean {
  return findUnsafeCharacter(s, { singleLine: true }) !== undefined || (orSpace && s.includes(' '));
}

/**
 * Checks a relative file name from a remote listing (hub sibling, MLflow artifact, blob
 * name) and returns it normalised. Absolute paths, `..`, `.`, empty segments,
 * backslashes and control characters are refused: a listing must never place a file
 * outside the download directory.
 */
export function safeRelativePath(name: string, what = 'file name'): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 1024 ||
    hasControlChars(name) ||
    name.includes('\\') ||
    name.startsWith('/')
  ) {
    throw new InputError(`Refusing unsafe ${what} ${JSON.stringify(name)}`);
  }
  const parts = name.split('/');
  if (parts.some(p => p === '' || p === '.' || p === '..')) {
    throw new InputError(`Refusing unsafe ${what} ${JSON.stringify(name)}`);
  }
  return parts.join('/');
}

export interface ResolvedFile {
  /** Path of the file inside the target (e.g. "model/weights.pt"). */
  name: string;
  /** Absolute local path of the downloaded copy. */
  path: string;
}

/**
 * A fresh temporary directory under the work dir that one resolution downloads into.
 * Keeps the byte and file budgets of the whole target.
 */
export class DownloadWorkspace {
  readonly files: ResolvedFile[] = [];
  private bytesLeft: number;

  private constructor(
    readonly dir: string,
    maxBytes: number,
    private readonly maxFiles: number,
  ) {
    this.bytesLeft = maxBytes;
  }

  static async create(workDir: string, maxBytes: number, maxFiles: number) {
    const base = path.join(workDir, 'downloads');
    await fs.promises.mkdir(base, { recursive: true, mode: 0o700 });
    const dir = await fs.promises.mkdtemp(path.join(base, 'src-'));
    return new DownloadWorkspace(dir, maxBytes, maxFiles);
  }

  /** Bytes still allowed for this target. */
  get remainingBytes(): number {
    return this.bytesLeft;
  }

  /** Reserves a local path for `name`; creates parent directories. */
  async allocate(name: string, declaredSize?: number): Promise<string> {
    const rel = safeRelativePath(name);
    if (this.files.length >= this.maxFiles) {
      throw new InputError(
        `Target has more than ${this.maxFiles} files (modelScan.sources.maxFiles)`,
      );
    }
    if (declaredSize !== undefined && declaredSize > this.bytesLeft) {
      throw new InputError(
        `Target is larger than the download limit (modelScan.sources.maxDownloadBytes)`,
      );
    }
    const local = path.resolve(this.dir, 'files', ...rel.split('/'));
    if (!local.startsWith(path.join(this.dir, 'files') + path.sep)) {
      throw new InputError(`Refusing unsafe file name ${JSON.stringify(name)}`);
    }
    await fs.promises.mkdir(path.dirname(local), { recursive: true });
    return local;
  }

  /** Records a finished download. */
  add(name: string, local: string, bytes: number) {
    this.bytesLeft -= bytes;
    this.files.push({ name: safeRelativePath(name), path: local });
  }

  async cleanup(): Promise<void> {
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}
