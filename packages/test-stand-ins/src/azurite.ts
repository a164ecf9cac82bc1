import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Azurite's documented development account (public, emulator only). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /**
   * Serve HTTPS with this certificate (files on disk, e.g. from `selfSignedCertificateFiles`)
   * instead of plain HTTP.
   */
  tls?: { certFile: string; keyFile: string };
  /**
   * `--oauth basic` (needs `tls`): any well-formed Bearer token for storage is accepted
   * (see `azuriteToken`), so a TokenCredential path runs unchanged.
   */
  oauth?: boolean;
}

/**
 * Starts the real Azurite blob emulator (npm `azurite`) in a child process on an ephemeral
 * port with a throw-away data directory.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<{
  endpoint: string;
  stop(): Promise<void>;
}> {
  if (options.oauth && !options.tls) {
    throw new Error('Azurite OAuth needs HTTPS: pass tls as well');
  }
  const location = await fs.promises.mkdtemp(
    path.join(os.tmpdir(), 'azurite-'),
  );
  const main = require.resolve('azurite/dist/src/blob/main.js');
  const args = [
    main,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--location',
    location,
    '--silent',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--loose',
  ];
  if (options.oauth) args.push('--oauth', 'basic');
  if (options.tls) {
    args.push('--cert', options.tls.certFile, '--key', options.tls.keyFile);
  }
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`Azurite did not start: ${out}`)),
      30_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listens on https?:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', code => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}: ${out}`));
    });
  });
  const scheme = options.tls ? 'https' : 'http';
  return {
    endpoint: `${scheme}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
    async stop() {
      await new Promise<void>(resolve => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
      await fs.promises.rm(location, { recursive: true, force: true });
    },
  };
}

/** A JWT-shaped token Azurite's basic OAuth check accepts for storage (audience, issuer, expiry). */
export function azuriteToken(): string {
  const b64 = (o: object) =>
    Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
    aud: 'https://storage.azure.com',
    iss: 'https://sts.windows.net/ab1f708d-50f6-404c-a006-d71b2ac7a606/',
    nbf: now - 60,
    iat: now - 60,
    exp: now + 3600,
  })}.sig`;
}
