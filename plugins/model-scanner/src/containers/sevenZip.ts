/**
 * 7z, RAR, xz, LZMA ("alone", joblib's `lzma` compressor) and bzip2 through 7-Zip compiled to
 * WebAssembly (npm `7z-wasm`, 7-Zip 24.09; no native code, nothing downloaded at install).
 *
 * 7-Zip runs synchronously inside its own WASM instance (a fresh one per call, so nothing of one
 * archive survives into the next). The archive is read through an Emscripten NODEFS mount of its
 * folder (never loaded whole); output goes to a private temporary folder whose writes are counted:
 * past the byte budget the write fails with ENOSPC and 7-Zip stops. Symbolic links cannot be
 * created. Passwords are never prompted for (a dummy `-p` is always given).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/* eslint-disable @typescript-eslint/no-explicit-any */
type SevenZipModule = any;

let wasmBinary: Buffer | undefined;
let factory:
  | ((opts: Record<string, unknown>) => Promise<SevenZipModule>)
  | undefined;

function loadFactory() {
  if (!factory) {
    // loaded lazily: the CLI only pays for 7-Zip when it meets such a container
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('7z-wasm');
    factory = (mod.default ?? mod) as typeof factory;
    wasmBinary = fs.readFileSync(
      path.join(path.dirname(require.resolve('7z-wasm')), '7zz.wasm'),
    );
  }
  return factory!;
}

/** Lines of 7-Zip output kept: a `-slt` listing prints about 10 lines per member, so this covers the default member limit (100 k) and a truncated listing is itself too many members. */
const MAX_LINES = 1_300_000;

/** Emscripten errno values (WASI numbering). */
const ENOSPC = 51;
const EPERM = 63;

export class OutputLimitError extends Error {}

export interface SevenZipRun {
  /** 7-Zip's exit code (0 ok, 1 warning, 2 fatal error); -1 when the WASM module itself failed. */
  code: number;
  stdout: string[];
  stderr: string[];
  /** Bytes written to the output (files or stdout sink). */
  written: number;
  /** The byte budget was reached and 7-Zip was stopped. */
  limitHit: boolean;
  /** 7-Zip printed more lines than are kept (a listing of a huge number of members). */
  outputTruncated: boolean;
}

interface RunOptions {
  /** Host folder mounted at /in (read access for the archive). */
  inDir: string;
  /** Host folder mounted at /out (extraction target). */
  outDir?: string;
  args: string[];
  /** Bytes allowed to be written (files and stdout sink together). */
  maxOutput: number;
  /** Receives what 7-Zip writes to standard output (`-so`); written to this host fd. */
  stdoutFd?: number;
}

/** Runs one 7-Zip command in a fresh WASM instance. */
export async function run7z(opts: RunOptions): Promise<SevenZipRun> {
  const make = loadFactory();
  const truncated = { value: false };
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sz = await make({
    print: (s: string) => {
      if (stdout.length < MAX_LINES) stdout.push(s);
      else truncated.value = true;
    },
    printErr: (s: string) => {
      if (stderr.length < 1000) stderr.push(s);
    },
    wasmBinary,
    // never read a password from the terminal
    stdin: () => null,
  });
  const run: SevenZipRun = {
    code: -1,
    stdout,
    stderr,
    written: 0,
    limitHit: false,
    outputTruncated: false,
  };
  const budget = (n: number) => {
    if (run.written + n > opts.maxOutput) {
      run.limitHit = true;
      throw new sz.FS.ErrnoError(ENOSPC);
    }
    run.written += n;
  };
  const nodeWrite = sz.NODEFS.stream_ops.write;
  sz.NODEFS.stream_ops.write = (
    stream: unknown,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ) => {
    budget(length);
    return nodeWrite(stream, buffer, offset, length, position);
  };
  sz.NODEFS.node_ops.symlink = () => {
    throw new sz.FS.ErrnoError(EPERM);
  };
  sz.FS.mkdir('/in');
  sz.FS.mount(sz.NODEFS, { root: opts.inDir }, '/in');
  if (opts.outDir) {
    sz.FS.mkdir('/out');
    sz.FS.mount(sz.NODEFS, { root: opts.outDir }, '/out');
  }
  if (opts.stdoutFd !== undefined) {
    const fd = opts.stdoutFd;
    const s = sz.FS.getStream(1);
    s.tty = undefined;
    s.stream_ops = {
      ...s.stream_ops,
      write: (_s: unknown, buf: Uint8Array, off: number, len: number) => {
        budget(len);
        let done = 0;
        while (done < len)
          done += fs.writeSync(fd, buf, off + done, len - done);
        return len;
      },
    };
  }
  sz.FS.chdir('/in');
  try {
    const code = sz.callMain(['-bd', ...opts.args]);
    run.code = typeof code === 'number' ? code : 0;
    run.outputTruncated = truncated.value;
  } catch (e) {
    // 7-Zip's C++ exceptions surface as non-Error values; an abort is an Error
    run.code = -1;
    stderr.push(
      `7-Zip stopped: ${e instanceof Error ? e.message : 'internal error'}`,
    );
  }
  return run;
}

export interface ArchiveEntry {
  path: string;
  size?: number;
  packedSize?: number;
  isDir: boolean;
  isLink: boolean;
  encrypted: boolean;
  method?: string;
}

/** Parses `7zz l -slt -ba` output: blocks of `Key = Value` lines separated by blank lines. */
export function parseListing(lines: string[]): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [];
  let cur: Record<string, string> = {};
  const flush = () => {
    if (cur.Path !== undefined) {
      const attr = cur.Attributes ?? '';
      const num = (v?: string) =>
        v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
      entries.push({
        path: cur.Path,
        size: num(cur.Size),
        packedSize: num(cur['Packed Size']),
        isDir:
          cur.Folder === '+' || /^D/.test(attr) || /\sd[rwx-]{9}/.test(attr),
        isLink:
          /\sl[rwx-]{9}/.test(attr) ||
          (cur['Symbolic Link'] ?? '') !== '' ||
          (cur['Hard Link'] ?? '') !== '' ||
          (cur.Link ?? '') !== '',
        encrypted: cur.Encrypted === '+',
        method: cur.Method,
      });
    }
    cur = {};
  };
  for (const line of lines) {
    if (line === '') {
      flush();
      continue;
    }
    const eq = line.indexOf(' = ');
    if (eq > 0) cur[line.slice(0, eq)] = line.slice(eq + 3);
    else if (line.endsWith(' =')) cur[line.slice(0, -2)] = '';
  }
  flush();
  return entries;
}

/** Prefix of the scanner's temporary folders (with the process id: one process's folders are findable). */
export const TEMP_PREFIX = `fg-model-scan-${process.pid}-`;

/** A private temporary folder, removed by `dispose`. */
export function makeTempDir(): { dir: string; dispose: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), TEMP_PREFIX));
  return {
    dir,
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Regular files under `dir` (links and special files are never followed), relative paths. */
export function listExtracted(dir: string, max: number): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), {
      withFileTypes: true,
    })) {
      if (out.length >= max) return;
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else if (d.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** 7-Zip archive type switches for the containers detected by magic. */
export type SevenZipKind = '7z' | 'rar' | 'rar5' | 'xz' | 'lzma' | 'bzip2';
