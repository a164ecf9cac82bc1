import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { modelScanPlugin } from './plugin';
import { targetPurl } from './domain/bom';

// The plugin's database: the default service's clients are never destroyed (Backstage's
// DatabaseManager shutdown destroys none), and their pools' timers kept the jest worker alive;
// TestDatabases destroys its clients after the backends have stopped.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

jest.setTimeout(60_000);

const workDir = mkdtempSync(join(tmpdir(), 'model-scan-bom-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** os.system("id"), protocol 2 */
const PAYLOAD = Buffer.from(
  '8002636f730a73797374656d0a5802000000696485522e',
  'hex',
);

describe('GET /scans/:id/bom', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  const auditor = mockServices.auditor.mock();
  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        modelScanPlugin,
        mockServices.rootConfig.factory({
          data: { modelScan: { workDir, maxUploadBytes: 4096 } },
        }),
        mockServices.permissions.mock({
          authorize: async (requests, options) => {
            const who = (
              options.credentials.principal as { userEntityRef?: string }
            ).userEntityRef;
            return requests.map(() => ({
              result:
                who === 'user:default/mallory'
                  ? AuthorizeResult.DENY
                  : AuthorizeResult.ALLOW,
            })) as any;
          },
        }).factory,
        auditor.factory,
      ],
    }));
  });

  const alice = mockCredentials.user.header('user:default/alice');

  async function completedScan(): Promise<string> {
    const up = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', alice)
      .attach('file', PAYLOAD, 'model.pkl');
    expect(up.status).toBe(202);
    const id = up.body.scan.id as string;
    for (let i = 0; i < 200; i++) {
      const s = await request(server)
        .get(`/api/model-scan/scans/${id}`)
        .set('Authorization', alice);
      if (s.body.scan.status === 'completed') return id;
      if (s.body.scan.status === 'failed') throw new Error(s.body.scan.error);
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error('scan did not complete');
  }

  it('downloads a CycloneDX 1.6 ML-BOM of a completed scan with its findings', async () => {
    const id = await completedScan();
    const res = await request(server)
      .get(`/api/model-scan/scans/${id}/bom`)
      .set('Authorization', alice);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(
      /^application\/vnd\.cyclonedx\+json/,
    );
    expect(res.headers['content-disposition']).toMatch(
      /attachment; filename="model-scan-.*\.cdx\.json"/,
    );
    const bom = JSON.parse(res.text);
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
    expect(bom.components).toHaveLength(1);
    expect(bom.components[0].hashes[0].alg).toBe('SHA-256');
    expect(bom.vulnerabilities.map((v: { id: string }) => v.id)).toContain(
      'PICKLE_DANGEROUS_GLOBAL',
    );
    // the same scan gives the same document
    const again = await request(server)
      .get(`/api/model-scan/scans/${id}/bom`)
      .set('Authorization', alice);
    expect(JSON.parse(again.text)).toEqual(bom);
  });

  it('applies the scan read rule: 401 without credentials, 403 without permission (audited), 404 for unknown ids', async () => {
    const id = await completedScan();
    const none = await request(server)
      .get(`/api/model-scan/scans/${id}/bom`)
      .set('Authorization', mockCredentials.none.header());
    expect(none.status).toBe(401);
    const denied = await request(server)
      .get(`/api/model-scan/scans/${id}/bom`)
      .set(
        'Authorization',
        mockCredentials.user.header('user:default/mallory'),
      );
    expect(denied.status).toBe(403);
    expect(denied.text).not.toMatch(/CycloneDX/);
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: expect.stringMatching(/denied|refus/),
      }),
    );
    const missing = await request(server)
      .get('/api/model-scan/scans/00000000-0000-0000-0000-000000000000/bom')
      .set('Authorization', alice);
    expect(missing.status).toBe(404);
  });

  it('gives Hugging Face targets a package URL', () => {
    expect(targetPurl('hf://acme/bert@0123abc')).toBe(
      'pkg:huggingface/acme/bert@0123abc',
    );
    expect(targetPurl('upload://x')).toBeUndefined();
  });
});
