/**
 * `model-scan job`: the command of the scanner container image when a scan runs as a Kubernetes
 * Job (see the README and plugins/model-scan-node). It reads, from the environment (a Secret):
 *
 * - `MODEL_SCAN_INPUT_URL`: a read-only, time-limited URL of the one file to scan (a blob SAS URL);
 * - `MODEL_SCAN_RESULT_URL`: a write-only URL valid for this scan's result only (the scan-scoped
 *   credential), where the result JSON is PUT (Azure block-blob semantics);
 * - `MODEL_SCAN_FILE_NAME` (optional): the file's name, a hint for format detection;
 * - `MODEL_SCAN_MAX_BYTES` (optional): refuse inputs larger than this;
 * - `MODEL_SCAN_REFERENCED_BY` (optional): JSON list of sibling model files naming this file as
 *   their raw tensor data (engine `referencedBy`);
 * - `MODEL_SCAN_TIME_LIMIT_SECONDS` (optional): time for download and scan together; the scan gets
 *   what the download left (engine `timeLimitMs`), so a Job delivers a SCAN_TIME_LIMIT result
 *   before its activeDeadlineSeconds would kill it without one.
 *
 * The file is downloaded into `$TMPDIR` (an emptyDir: the root file system is read-only), scanned
 * with hashing, and the FileScanResult is uploaded. Exit 0 when the result was delivered.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanFile } from '../engine';
import { SCANNER_NAME, SCANNER_VERSION, rulesetVersion } from '../version';

interface JobIo {
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

function safeName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  return cleaned && !/^\.+$/.test(cleaned) ? cleaned : 'model.bin';
}

export async function runJob(io: JobIo): Promise<number> {
  const started = Date.now();
  const input = io.env.MODEL_SCAN_INPUT_URL;
  const output = io.env.MODEL_SCAN_RESULT_URL;
  if (!input || !output) {
    io.stderr.write(
      'model-scan job: MODEL_SCAN_INPUT_URL and MODEL_SCAN_RESULT_URL must be set\n',
    );
    return 2;
  }
  const limitText = io.env.MODEL_SCAN_TIME_LIMIT_SECONDS;
  let limitSeconds: number | undefined;
  if (limitText !== undefined) {
    limitSeconds = /^\d+(\.\d+)?$/.test(limitText) ? Number(limitText) : 0;
    if (!(limitSeconds > 0)) {
      io.stderr.write(
        `model-scan job: MODEL_SCAN_TIME_LIMIT_SECONDS must be a positive number of seconds (got ${limitText})\n`,
      );
      return 2;
    }
  }
  const maxBytes = Number(io.env.MODEL_SCAN_MAX_BYTES ?? 0) || Infinity;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'model-scan-job-'));
  try {
    const file = path.join(dir, safeName(io.env.MODEL_SCAN_FILE_NAME));
    const res = await fetch(input);
    if (!res.ok || !res.body) {
      io.stderr.write(
        `model-scan job: input download failed: HTTP ${res.status}\n`,
      );
      return 1;
    }
    let size = 0;
    const out = createWriteStream(file);
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > maxBytes)
          throw new Error(`input larger than ${maxBytes} bytes`);
        if (!out.write(value))
          await new Promise<void>(r => out.once('drain', () => r()));
      }
    } finally {
      await new Promise<void>(r => out.end(() => r()));
    }
    let referencedBy: string[] | undefined;
    try {
      const parsed = JSON.parse(io.env.MODEL_SCAN_REFERENCED_BY ?? 'null');
      if (Array.isArray(parsed))
        referencedBy = parsed.filter(x => typeof x === 'string').slice(0, 100);
    } catch {
      referencedBy = undefined;
    }
    const result = await scanFile(file, {
      hash: true,
      referencedBy,
      ...(limitSeconds === undefined
        ? {}
        : {
            // what the download left of the Job's time (at least a moment, for a result)
            timeLimitMs: Math.max(
              1,
              Math.round(limitSeconds * 1000) - (Date.now() - started),
            ),
          }),
    });
    const body = JSON.stringify({
      scanner: {
        name: SCANNER_NAME,
        version: SCANNER_VERSION,
        rulesetVersion: rulesetVersion(),
      },
      result: {
        ...result,
        path: io.env.MODEL_SCAN_FILE_NAME ?? path.basename(file),
      },
    });
    const put = await fetch(output, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        'x-ms-blob-type': 'BlockBlob',
      },
      body,
    });
    if (!put.ok) {
      io.stderr.write(
        `model-scan job: result upload failed: HTTP ${put.status}\n`,
      );
      return 1;
    }
    io.stderr.write(
      `model-scan job: ${result.verdict} (${result.format}, ${size} bytes)\n`,
    );
    return 0;
  } catch (e) {
    io.stderr.write(`model-scan job: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
