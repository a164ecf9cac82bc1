import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

/** PEM certificate and key. */
export interface CertificatePair {
  cert: string;
  key: string;
}

/** A certificate pair that also stays on disk (for child processes such as Azurite). */
export interface CertificateFiles extends CertificatePair {
  /** Temporary folder holding both files; remove it when done. */
  dir: string;
  certFile: string;
  keyFile: string;
}

/**
 * A throw-away self-signed certificate for 127.0.0.1/localhost (EC P-256, one day), made by
 * the openssl CLI, written into a fresh temporary folder that the caller removes.
 */
export function selfSignedCertificateFiles(): CertificateFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  return {
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
    dir,
    certFile,
    keyFile,
  };
}

/** A throw-away self-signed certificate for 127.0.0.1/localhost, held in memory only. */
export function selfSignedCertificate(): CertificatePair {
  const files = selfSignedCertificateFiles();
  try {
    return { cert: files.cert, key: files.key };
  } finally {
    fs.rmSync(files.dir, { recursive: true, force: true });
  }
}

/**
 * Trusts `cert` for every TLS client in this (test) process, as NODE_EXTRA_CA_CERTS would at
 * start-up: for clients (Azure SDKs) that take no CA option.
 */
export function trustCertificateInThisProcess(cert: string): void {
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), cert]);
}
