import https from 'node:https';
import fs from 'node:fs';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  kubernetesUnauthorized,
  recordingAuditor,
  selfSignedCertificate,
  selfSignedCertificateFiles,
  startAzurite,
  startHttpsServer,
} from './index';

jest.setTimeout(60_000);

function get(url: string, ca: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    https
      .get(url, { ca, headers }, res => {
        let body = '';
        res.on('data', d => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

describe('test stand-ins', () => {
  it('serves HTTPS with the self-signed certificate, records requests and refuses a wrong Kubernetes token', async () => {
    const tls = selfSignedCertificate();
    const server = await startHttpsServer(tls, req =>
      kubernetesUnauthorized(req, 'good') ?? { status: 200, body: { path: req.path, origin: req.origin } },
    );
    try {
      const ok = await get(`${server.url}/api/v1/pods?limit=1`, tls.cert, { authorization: 'Bearer good' });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ path: '/api/v1/pods', origin: server.url });
      const refused = await get(`${server.url}/api/v1/pods`, tls.cert, { authorization: 'Bearer bad' });
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      expect(server.requests.map(r => r.query.get('limit'))).toEqual(['1', null]);
      // an untrusted client is refused by TLS (the certificate is really self-signed)
      await expect(get(server.url, '')).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('runs the real Azurite over HTTP and refuses OAuth without TLS', async () => {
    await expect(startAzurite({ oauth: true })).rejects.toThrow(/HTTPS/);
    const azurite = await startAzurite();
    try {
      const client = new BlobServiceClient(azurite.endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
      await client.getContainerClient('stand-in').create();
      const names: string[] = [];
      for await (const c of client.listContainers()) names.push(c.name);
      expect(names).toEqual(['stand-in']);
    } finally {
      await azurite.stop();
    }
  });

  it('keeps certificate files until the caller removes them', () => {
    const files = selfSignedCertificateFiles();
    expect(fs.readFileSync(files.certFile, 'utf8')).toBe(files.cert);
    fs.rmSync(files.dir, { recursive: true, force: true });
    expect(fs.existsSync(files.certFile)).toBe(false);
  });

  it('records audit events with the meta given at creation and at the outcome', async () => {
    const auditor = recordingAuditor();
    const ok = await auditor.createEvent({ eventId: 'a', meta: { actor: 'alice' } });
    await ok.success({ meta: { decision: 'allowed' } });
    const refused = await auditor.createEvent({ eventId: 'b', severityLevel: 'high', meta: { actor: 'bob' } });
    await refused.fail({ error: new Error('no'), meta: { status: 403 } });
    await auditor.createEvent({ eventId: 'c' });
    expect(auditor.events).toEqual([
      { eventId: 'a', severityLevel: 'low', meta: { actor: 'alice', decision: 'allowed' }, outcome: 'success' },
      { eventId: 'b', severityLevel: 'high', meta: { actor: 'bob', status: 403 }, outcome: 'fail', error: 'no' },
      { eventId: 'c', severityLevel: 'low', meta: {} },
    ]);
  });
});
