import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { FileScanResult } from '@internal/plugin-model-scan-common';
import {
  modelScanRunnerExtensionPoint,
  ScanRunner,
} from '@internal/plugin-model-scan-node';
import { modelScanPlugin } from '../plugin';
import { SizeRoutedEngine } from './runners';

// The plugin's database: the default service's clients are never destroyed (Backstage's
// DatabaseManager shutdown destroys none), and their pools' timers kept the jest worker alive;
// TestDatabases destroys its clients after the backends have stopped.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

jest.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'model-scan-runners-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A runner standing in for an isolated one: records the files and answers a fixed verdict. */
class RecordingRunner implements ScanRunner {
  readonly scanned: string[] = [];
  constructor(private readonly verdict: FileScanResult['verdict']) {}
  async identity() {
    return {
      scannerName: 'isolated',
      scannerVersion: '9',
      rulesetVersion: 'x',
    };
  }
  async scanFile(path: string): Promise<FileScanResult> {
    this.scanned.push(path);
    return {
      path,
      sha256: '',
      size: 0,
      format: 'pickle',
      verdict: this.verdict,
      severity: this.verdict === 'malicious' ? 'critical' : 'none',
      findings: [],
      errors: [],
    };
  }
}

describe('scan runners', () => {
  it('a backend module sets the runner through modelScanRunnerExtensionPoint and every scan uses it', async () => {
    const runner = new RecordingRunner('malicious');
    const { server } = await startTestBackend({
      features: [
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        modelScanPlugin,
        createBackendModule({
          pluginId: 'model-scan',
          moduleId: 'test-runner',
          register(env) {
            env.registerInit({
              deps: { runners: modelScanRunnerExtensionPoint },
              async init({ runners }) {
                runners.setRunner(runner);
              },
            });
          },
        }),
        mockServices.rootConfig.factory({
          data: { modelScan: { workDir: mkdtempSync(join(dir, 'w-')) } },
        }),
      ],
    });
    const alice = mockCredentials.user.header('user:default/alice');
    const up = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', alice)
      .attach('file', Buffer.from('not even a pickle'), 'm.pkl');
    expect(up.status).toBe(202);
    let scan: any;
    for (let i = 0; i < 100; i++) {
      scan = (
        await request(server)
          .get(`/api/model-scan/scans/${up.body.scan.id}`)
          .set('Authorization', alice)
      ).body.scan;
      if (scan.status === 'completed' || scan.status === 'failed') break;
      await new Promise(r => setTimeout(r, 100));
    }
    expect(scan).toMatchObject({
      status: 'completed',
      verdict: 'malicious',
      scannerVersion: '9',
    });
    expect(runner.scanned).toHaveLength(1);
  });

  it('refuses to start with Kubernetes Jobs but uploads on a local folder (the Job could not read them)', async () => {
    await expect(
      startTestBackend({
        features: [
          mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
          modelScanPlugin,
          mockServices.rootConfig.factory({
            data: {
              modelScan: {
                workDir: mkdtempSync(join(dir, 'w-')),
                runner: {
                  type: 'kubernetes',
                  kubernetes: {
                    url: 'https://127.0.0.1:1',
                    namespace: 'n',
                    image: 'i',
                    egressCidrs: ['10.0.0.0/8'],
                  },
                },
              },
            },
          }),
        ],
      }),
    ).rejects.toThrow(/uploads\.storage\.type azure-blob/);
  });

  it('routes files by size: small ones in-process, large ones to the isolated runner', async () => {
    const small = new RecordingRunner('safe');
    const large = new RecordingRunner('malicious');
    const engine = new SizeRoutedEngine(small, large, 1024);
    const a = join(dir, 'small.bin');
    const b = join(dir, 'large.bin');
    writeFileSync(a, Buffer.alloc(10));
    writeFileSync(b, Buffer.alloc(4096));
    expect((await engine.scanFile(a)).verdict).toBe('safe');
    expect((await engine.scanFile(b)).verdict).toBe('malicious');
    expect(small.scanned).toEqual([a]);
    expect(large.scanned).toEqual([b]);
    expect(await engine.identity()).toMatchObject({ scannerName: 'isolated' });
  });

  it('isolates every file of an untrusted origin, whatever its size', async () => {
    const small = new RecordingRunner('safe');
    const large = new RecordingRunner('malicious');
    const engine = new SizeRoutedEngine(small, large, 1 << 30, ['remote']);
    const a = join(dir, 'tiny.bin');
    writeFileSync(a, Buffer.alloc(10));
    expect((await engine.scanFile(a, { origin: 'remote' })).verdict).toBe(
      'malicious',
    );
    expect((await engine.scanFile(a, { origin: 'upload' })).verdict).toBe(
      'safe',
    );
    expect((await engine.scanFile(a)).verdict).toBe('safe');
  });

  it('passes the origin of each scanned file to the runner (uploads are "upload")', async () => {
    const seen: Array<string | undefined> = [];
    class OriginRunner extends RecordingRunner {
      async scanFile(path: string, options?: { origin?: string }) {
        seen.push(options?.origin);
        return super.scanFile(path);
      }
    }
    const { server } = await startTestBackend({
      features: [
        mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
        modelScanPlugin,
        createBackendModule({
          pluginId: 'model-scan',
          moduleId: 'origin-runner',
          register(env) {
            env.registerInit({
              deps: { runners: modelScanRunnerExtensionPoint },
              async init({ runners }) {
                runners.setRunner(new OriginRunner('safe'));
              },
            });
          },
        }),
        mockServices.rootConfig.factory({
          data: { modelScan: { workDir: mkdtempSync(join(dir, 'w-')) } },
        }),
      ],
    });
    const alice = mockCredentials.user.header('user:default/alice');
    const up = await request(server)
      .post('/api/model-scan/scans/upload')
      .set('Authorization', alice)
      .attach('file', Buffer.from('bytes'), 'm.bin');
    for (let i = 0; i < 100 && !seen.length; i++)
      await new Promise(r => setTimeout(r, 100));
    expect(up.status).toBe(202);
    expect(seen).toEqual(['upload']);
  });
});
