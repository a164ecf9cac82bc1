import {
  copyFileSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Scan } from '@internal/plugin-model-scan-common';
import { ScanStore } from '../store/ScanStore';
import { ScanService } from './ScanService';
import { ScanQueue } from './ScanQueue';
import { WorkerScanEngine } from './ScanEngine';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const fixtures = join(
  resolvePackagePath('@internal/model-scanner', 'fixtures'),
  'formats',
);
const MODEL = 'onnx_benign_external.onnx';
const DATA = 'onnx_benign_external.onnx.data';

const dir = mkdtempSync(join(tmpdir(), 'model-scan-tensor-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder holding the fixture ONNX model and the given bytes as its external data file. */
function modelFolder(name: string, data: Buffer): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(fixtures, MODEL), join(folder, MODEL));
  writeFileSync(join(folder, DATA), data);
  return folder;
}

describe.each(databases.eachSupportedId())(
  'cross-file (tensor-data) scanning on %s',
  databaseId => {
    let service: ScanService;
    let queue: ScanQueue;

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      const store = await ScanStore.create({
        database: mockServices.database({ knex }),
      });
      const logger = mockServices.logger.mock();
      const clock = { now: () => new Date() };
      service = new ScanService({
        store,
        engine: new WorkerScanEngine({
          timeoutMs: 60_000,
          maxOldGenerationSizeMb: 256,
        }),
        logger,
        clock,
        workDir: dir,
        allowLocalPaths: true,
        acceptanceMaxDays: 30,
      });
      queue = new ScanQueue({
        store,
        service,
        logger,
        clock,
        concurrency: 1,
        leaseMs: 60_000,
      });
    });

    async function scanTarget(target: string): Promise<Scan> {
      const queued = await service.enqueue({
        target,
        trigger: 'manual',
        requestedBy: 'user:default/alice',
      });
      await queue.drain();
      await queue.idle();
      const scan = await service.getScan(queued.id);
      expect(scan?.status).toBe('completed');
      return scan!;
    }

    const dataBytes = readFileSync(join(fixtures, DATA));

    it('reads the external data of a multi-file ONNX target as tensor-data; alone it stays suspicious', async () => {
      const aloneFolder = join(dir, `alone-${databaseId}`);
      mkdirSync(aloneFolder, { recursive: true });
      const alonePath = join(aloneFolder, DATA);
      writeFileSync(alonePath, dataBytes);
      const expectAloneSuspicious = async (cached: boolean) => {
        const alone = await scanTarget(alonePath);
        expect(alone.files![0]).toMatchObject({
          format: 'unknown',
          verdict: 'suspicious',
          cached,
        });
        expect(alone.files![0].findings.map(f => f.ruleId)).toContain(
          'UNKNOWN_FORMAT',
        );
        expect(alone.verdict).toBe('suspicious');
        expect(
          (await service.evaluateGate(alonePath, new Date())).allowed,
        ).toBe(false);
      };
      // the data file alone first: its standalone result enters the cache
      await expectAloneSuspicious(false);

      const folder = modelFolder(`benign-${databaseId}`, dataBytes);
      const scan = await scanTarget(folder);
      const data = scan.files!.find(f => f.path === DATA)!;
      expect(data).toMatchObject({
        format: 'tensor-data',
        verdict: 'safe',
        cached: false,
      });
      expect(data.findings.map(f => f.ruleId)).not.toContain('UNKNOWN_FORMAT');
      expect(scan.files!.find(f => f.path === MODEL)?.verdict).toBe('safe');
      expect(scan.verdict).toBe('safe');
      expect((await service.evaluateGate(folder, new Date())).allowed).toBe(
        true,
      );

      // the hinted result did not overwrite the cached standalone one
      await expectAloneSuspicious(true);

      // the folder again, the model now from the cache: its cached references still lead to
      // the hinted reading of its data file
      const again = await scanTarget(folder);
      expect(again.files!.find(f => f.path === MODEL)?.cached).toBe(true);
      expect(again.files!.find(f => f.path === DATA)).toMatchObject({
        format: 'tensor-data',
        verdict: 'safe',
      });
      expect(again.verdict).toBe('safe');
      expect((await service.evaluateGate(folder, new Date())).allowed).toBe(
        true,
      );
    });

    it('keeps a referenced data file that starts with an ELF header malicious', async () => {
      const elf = Buffer.from(dataBytes);
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]).copy(elf);
      const folder = modelFolder(`elf-${databaseId}`, elf);
      const scan = await scanTarget(folder);
      const data = scan.files!.find(f => f.path === DATA)!;
      expect(data.verdict).toBe('malicious');
      expect(data.format).toBe('tensor-data');
      expect(data.findings.map(f => f.ruleId)).toContain(
        'TENSOR_DATA_EMBEDDED_CODE',
      );
      expect(data.severity).toBe('critical');
      expect(scan.verdict).toBe('malicious');
      expect((await service.evaluateGate(folder, new Date())).allowed).toBe(
        false,
      );
    });
  },
);
