/**
 * 7z, RAR, xz, LZMA ("alone", joblib's `lzma` compressor) and bzip2 through 7-Zip compiled to
 * WebAssembly (npm `7z-wasm`, 7-Zip 24.09; no native code, nothing downloaded at install).
 *
 * 7-Zip runs synchronously inside its own WASM instance (a fresh one per call, so nothing of one
 * archive survives into the next), on a worker thread of its own that is terminated when the scan is
 * aborted or reaches its time limit. The archive is read through an Emscripten NODEFS mount of its
 * folder (never loaded whole); output goes to a private temporary folder whose writes are counted:
 * past the byte budget the write fails with ENOSPC and 7-Zip stops. Symbolic links cannot be
 * created. Passwords are never prompted for (a dummy `-p` is always given).
 */
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let modulePath: string | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;

/** Where 7-Zip's JS glue is (resolved lazily: the CLI only pays for 7-Zip when it meets such a container). */
function gluePath(): string {
  modulePath ??= require.resolve('7z-wasm');
  return modulePath;
}

/** 7-Zip's WASM, compiled once per process (while a thread starts); each command instantiates it afresh. */
function wasmModule(): Promise<WebAssembly.Module> {
  compiled ??= fsp
    .readFile(path.join(path.dirname(gluePath()), '7zz.wasm'))
    .then(bytes => WebAssembly.compile(bytes));
  return compiled;
}

/** Lines of 7-Zip output kept: a `-slt` listing prints about 10 lines per member, so this covers the default member limit (100 k) and a truncated listing is itself too many members. */
const MAX_LINES = 1_300_000;

export class OutputLimitError extends Error {}

export interface SevenZipRun {
  /** 7-Zip's exit code (0 ok, 1 warning, 2 fatal error); -1 when the WASM module itself failed or was stopped. */
  code: number;
  stdout: string[];
  stderr: string[];
  /** Bytes written to the output (files or stdout sink). */
  written: number;
  /** The byte budget was reached and 7-Zip was stopped. */
  limitHit: boolean;
  /** 7-Zip printed more lines than are kept (a listing of a huge number of members). */
  outputTruncated: boolean;
  /** The abort signal fired while 7-Zip ran: its thread was terminated, nothing of the run is complete. */
  aborted?: boolean;
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
  /** Stops 7-Zip mid-run (the scan's abort signal or time limit). */
  signal?: AbortSignal;
}

/**
 * One 7-Zip command in a fresh WASM instance (plain JavaScript in a string, so that it can run on a
 * thread started with `eval`, and the bundled CLI needs no extra file): counts and caps writes,
 * refuses links, runs the command and returns the run. `make` is 7-Zip's module factory, `d` the
 * command and the compiled module, `fs` node:fs.
 */
const RUN_SOURCE = String.raw`async (make, d, fs) => {
const ENOSPC = 51; // Emscripten errno values (WASI numbering)
const EPERM = 63;
const stdout = [];
const stderr = [];
const run = { code: -1, stdout, stderr, written: 0, limitHit: false, outputTruncated: false };
let fail;
const failed = new Promise((_, reject) => {
  fail = reject;
});
try {
  const sz = await Promise.race([failed, make({
    print: s => {
      if (stdout.length < d.maxLines) stdout.push(s);
      else run.outputTruncated = true;
    },
    printErr: s => {
      if (stderr.length < 1000) stderr.push(s);
    },
    // a fresh instance of the module compiled once in the parent
    instantiateWasm: (imports, receive) => {
      WebAssembly.instantiate(d.wasmModule, imports).then(
        instance => receive(instance, d.wasmModule),
        e => fail(e),
      );
      return {};
    },
    // never read a password from the terminal
    stdin: () => null,
  })]);
  const budget = n => {
    if (run.written + n > d.maxOutput) {
      run.limitHit = true;
      throw new sz.FS.ErrnoError(ENOSPC);
    }
    run.written += n;
  };
  const nodeWrite = sz.NODEFS.stream_ops.write;
  sz.NODEFS.stream_ops.write = (stream, buffer, offset, length, position) => {
    budget(length);
    return nodeWrite(stream, buffer, offset, length, position);
  };
  sz.NODEFS.node_ops.symlink = () => {
    throw new sz.FS.ErrnoError(EPERM);
  };
  sz.FS.mkdir('/in');
  sz.FS.mount(sz.NODEFS, { root: d.inDir }, '/in');
  if (d.outDir) {
    sz.FS.mkdir('/out');
    sz.FS.mount(sz.NODEFS, { root: d.outDir }, '/out');
  }
  if (d.stdoutFd !== undefined) {
    const s = sz.FS.getStream(1);
    s.tty = undefined;
    s.stream_ops = Object.assign({}, s.stream_ops, {
      write: (_s, buf, off, len) => {
        budget(len);
        let done = 0;
        while (done < len) done += fs.writeSync(d.stdoutFd, buf, off + done, len - done);
        return len;
      },
    });
  }
  sz.FS.chdir('/in');
  try {
    const code = sz.callMain(['-bd'].concat(d.args));
    run.code = typeof code === 'number' ? code : 0;
  } catch (e) {
    // 7-Zip's C++ exceptions surface as non-Error values; an abort is an Error
    run.code = -1;
    stderr.push('7-Zip stopped: ' + (e instanceof Error ? e.message : 'internal error'));
  }
} catch (e) {
  run.code = -1;
  stderr.push('7-Zip stopped: ' + (e && e.message ? e.message : String(e)));
}
return run;
}`;

/** The 7-Zip thread: runs each command it is sent (RUN_SOURCE) and posts the run back. */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const glue = require(workerData.modulePath);
const make = glue.default || glue;
const runCommand = ${RUN_SOURCE};
parentPort.on('message', d => runCommand(make, d, fs).then(run => parentPort.postMessage(run)));
`;

type RunCommand = (
  make: unknown,
  d: Record<string, unknown>,
  files: typeof fs,
) => Promise<SevenZipRun>;
let inThread: RunCommand | undefined;

/** A command that nothing can abort runs on this thread (no thread start-up: the CLI's default). */
async function runHere(d: Record<string, unknown>): Promise<SevenZipRun> {
  // our own constant source (RUN_SOURCE), the same code the 7-Zip thread runs
  // eslint-disable-next-line no-new-func
  inThread ??= new Function(`return ${RUN_SOURCE}`)() as RunCommand;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const glue = require(gluePath());
  return inThread(glue.default ?? glue, d, fs);
}

type ThreadWorker = import('node:worker_threads').Worker;

/** A 7-Zip thread left from the last command (kept briefly: thread start-up costs tens of ms). */
let idleThread: ThreadWorker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
/** Forgets the idle thread if it exits while idle (never hand out a dead thread). */
const forgetIdle = () => {
  idleThread = undefined;
};
const IDLE_MS = 2000;

function takeThread(): ThreadWorker {
  clearTimeout(idleTimer);
  const reuse = idleThread;
  idleThread = undefined;
  if (reuse) {
    reuse.off('exit', forgetIdle);
    reuse.ref();
    return reuse;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker } =
    require('node:worker_threads') as typeof import('node:worker_threads');
  return new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { modulePath: gluePath() },
    stdout: false,
    stderr: false,
  });
}

/** Keeps a thread whose command finished normally for the next command (never holds the process open). */
function releaseThread(worker: ThreadWorker) {
  if (idleThread) {
    worker.terminate().catch(() => {});
    return;
  }
  worker.unref();
  worker.once('exit', forgetIdle);
  idleThread = worker;
  idleTimer = setTimeout(() => {
    if (idleThread === worker) idleThread = undefined;
    worker.terminate().catch(() => {});
  }, IDLE_MS);
  idleTimer.unref();
}

/**
 * Runs one 7-Zip command in a fresh WASM instance on a thread of its own (one started for it, or the
 * idle one the previous command left). 7-Zip runs synchronously, so the thread is what lets the
 * scan's abort signal (and with it the time limit) stop a long extraction: the thread is terminated
 * and the run comes back `aborted`.
 */
export async function run7z(opts: RunOptions): Promise<SevenZipRun> {
  const aborted = (): SevenZipRun => ({
    code: -1,
    stdout: [],
    stderr: ['7-Zip stopped: scan aborted'],
    written: 0,
    limitHit: false,
    outputTruncated: false,
    aborted: true,
  });
  if (opts.signal?.aborted) return aborted();
  const command = {
    inDir: opts.inDir,
    outDir: opts.outDir,
    args: opts.args,
    maxOutput: opts.maxOutput,
    stdoutFd: opts.stdoutFd,
    maxLines: MAX_LINES,
  };
  if (!opts.signal)
    return runHere({ ...command, wasmModule: await wasmModule() });
  // the thread boots while the module compiles (the first time)
  const worker = takeThread();
  let compiledModule: WebAssembly.Module;
  try {
    compiledModule = await wasmModule();
  } catch (e) {
    releaseThread(worker);
    throw e;
  }
  return new Promise<SevenZipRun>(resolve => {
    let settled = false;
    let stopping = false;
    const listening = new AbortController();
    const onMessage = (run: SevenZipRun) => {
      // a run that ends while its thread is being stopped is not complete, nor is the thread reusable
      if (stopping || settled) return;
      // eslint-disable-next-line @typescript-eslint/no-use-before-define
      finish(run);
      releaseThread(worker);
    };
    const onError = (e: Error) => {
      // eslint-disable-next-line @typescript-eslint/no-use-before-define
      finish({
        ...aborted(),
        aborted: false,
        stderr: [`7-Zip stopped: ${e.message}`],
      });
      worker.terminate().catch(() => {});
    };
    const onExit = () =>
      // eslint-disable-next-line @typescript-eslint/no-use-before-define
      finish({
        ...aborted(),
        aborted: opts.signal?.aborted ?? false,
        stderr: ['7-Zip stopped: its thread exited'],
      });
    const finish = (run: SevenZipRun) => {
      if (settled) return;
      settled = true;
      listening.abort();
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(run);
    };
    opts.signal?.addEventListener(
      'abort',
      () => {
        // resolve once the thread is gone: nothing writes into the folders after this returns
        stopping = true;
        worker.off('exit', onExit);
        worker.terminate().then(
          () => finish(aborted()),
          () => finish(aborted()),
        );
      },
      { once: true, signal: listening.signal },
    );
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage({ ...command, wasmModule: compiledModule });
  });
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
