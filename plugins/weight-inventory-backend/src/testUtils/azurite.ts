import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Azurite's documented development account (public, emulator only). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * Starts the real Azurite blob emulator over HTTPS with OAuth (`--oauth basic`: any well-formed
 * Bearer token for storage is accepted), so the inventory's TokenCredential path runs unchanged.
 */
export async function startAzurite(tlsFiles: { certFile: string; keyFile: string }): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const location = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'azurite-wi-'));
  const main = require.resolve('azurite/dist/src/blob/main.js');
  const child = spawn(process.execPath, [main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location, '--silent', '--skipApiVersionCheck', '--disableTelemetry', '--loose', '--oauth', 'basic', '--cert', tlsFiles.certFile, '--key', tlsFiles.keyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listens on https?:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', code => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}: ${out}`));
    });
  });
  return {
    endpoint: `https://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
    async stop() {
      await new Promise<void>(resolve => {
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
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ aud: 'https://storage.azure.com', iss: 'https://sts.windows.net/ab1f708d-50f6-404c-a006-d71b2ac7a606/', nbf: now - 60, iat: now - 60, exp: now + 3600 })}.sig`;
}
