/** ClamAV daemon client: streams a file with INSTREAM over a unix socket or TCP. */
import type * as NetModule from 'node:net';
import { createReadStream } from 'node:fs';

export interface ClamdTarget {
  socket?: string;
  host?: string;
  port?: number;
  timeoutMs?: number;
}

export interface ClamdResult {
  found: boolean;
  signature?: string;
  raw: string;
}

export async function clamdScanFile(
  filePath: string,
  target: ClamdTarget,
): Promise<ClamdResult> {
  const timeoutMs = target.timeoutMs ?? 120_000;
  return new Promise<ClamdResult>((resolve, reject) => {
    const sock = target.socket
      ? net().createConnection(target.socket)
      : net().createConnection(target.port ?? 3310, target.host ?? '127.0.0.1');
    let response = '';
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(timeoutMs, () =>
      fail(new Error(`clamd did not answer within ${timeoutMs} ms`)),
    );
    sock.on('error', fail);
    sock.on('data', d => {
      response += d.toString('utf8');
    });
    sock.on('close', () => {
      if (settled) return;
      settled = true;
      const raw = response.replace(/\0/g, '').trim();
      const m = /^stream: (.+) FOUND$/m.exec(raw);
      if (m) resolve({ found: true, signature: m[1], raw });
      else if (/stream: OK$/m.test(raw)) resolve({ found: false, raw });
      else reject(new Error(`unexpected clamd answer: ${raw || '(empty)'}`));
    });
    sock.on('connect', () => {
      sock.write('zINSTREAM\0');
      const rs = createReadStream(filePath, { highWaterMark: 1 << 20 });
      rs.on('error', fail);
      rs.on('data', (chunk: string | Buffer) => {
        const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        // clamd's StreamMaxLength applies per chunk sum; send in <= 1 MiB chunks
        const len = Buffer.alloc(4);
        len.writeUInt32BE(c.length, 0);
        if (!sock.write(Buffer.concat([len, c]))) {
          rs.pause();
          sock.once('drain', () => rs.resume());
        }
      });
      rs.on('end', () => {
        sock.write(Buffer.from([0, 0, 0, 0]));
      });
    });
  });
}

/** node:net loaded on first use (the CLI without clamd never needs it). */
function net(): typeof NetModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:net');
}
