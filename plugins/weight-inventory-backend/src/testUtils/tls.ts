import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

/**
 * A throw-away self-signed certificate for 127.0.0.1 (openssl), trusted by this test process
 * through `tls.setDefaultCACertificates` (what NODE_EXTRA_CA_CERTS does at start-up).
 */
export function selfSignedCert(): { cert: string; key: string; dir: string; certFile: string; keyFile: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wi-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const cert = fs.readFileSync(certFile, 'utf8');
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), cert]);
  return { cert, key: fs.readFileSync(keyFile, 'utf8'), dir, certFile, keyFile };
}
