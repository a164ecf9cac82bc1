import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { ScanStore } from '../store/ScanStore';
import { ScanService } from './ScanService';
import { ScanQueue } from './ScanQueue';
import { SafeEngine } from './__testUtils__/SafeEngine';
import { UploadRetention } from './UploadRetention';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const DAY = 24 * 60 * 60 * 1000;

describe.each(databases.eachSupportedId())(
  'upload retention and canonical gate targets on %s',
  databaseId => {
    let workDir: string;
    let store: ScanStore;
    let service: ScanService;
    let queue: ScanQueue;
    const clock = { current: new Date(), now: () => new Date(clock.current) };
    const logger = mockServices.logger.mock();

    beforeAll(async () => {
      workDir = await fs.mkdtemp(join(tmpdir(), 'model-scan-retention-'));
      const knex = await databases.init(databaseId);
      store = await ScanStore.create({
        database: mockServices.database({ knex }),
      });
      service = new ScanService({
        store,
        engine: new SafeEngine(),
        logger,
        clock,
        workDir,
        allowLocalPaths: false,
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
    afterAll(() => fs.rm(workDir, { recursive: true, force: true }));

    /** Stores bytes the way UploadReceiver does, with the file's mtime set to `receivedAt`. */
    async function storeUpload(
      name: string,
      content: string,
      receivedAt: Date,
    ) {
      const sha256 = createHash('sha256').update(content).digest('hex');
      const dir = join(service.uploadsDir, sha256);
      await fs.mkdir(dir, { recursive: true });
      const path = join(dir, name);
      await fs.writeFile(path, content);
      await fs.utimes(path, receivedAt, receivedAt);
      return { sha256, path, name, target: `upload://${sha256}/${name}` };
    }

    const retention = () =>
      new UploadRetention({
        uploadsDir: service.uploadsDir,
        retentionDays: 30,
        uploadsInUse: () => store.listUploadsInUse(),
        clock,
        logger,
      });

    it('deletes uploads past the retention period unless a queued scan needs them; results stay, a rescan says "upload expired"', async () => {
      const start = new Date('2026-01-10T12:00:00Z');
      clock.current = start;
      // A: uploaded and scanned on day 0
      const a = await storeUpload('a.pkl', 'bytes of a', start);
      const scanA = await service.enqueue({
        target: a.target,
        trigger: 'upload',
        requestedBy: 'user:default/alice',
        uploadedFile: { name: a.name, path: a.path },
      });
      await queue.drain();
      await queue.idle();
      expect((await service.getScan(scanA.id))?.status).toBe('completed');
      // B: uploaded on day 0 too, its scan still queued (never claimed here)
      const b = await storeUpload('b.pkl', 'bytes of b', start);
      await store.insertScan(
        {
          target: b.target,
          trigger: 'upload',
          requestedBy: 'user:default/alice',
          uploadPath: b.path,
          uploadName: b.name,
        },
        start,
      );
      // C: uploaded on day 20
      const c = await storeUpload(
        'c.pkl',
        'bytes of c',
        new Date(start.getTime() + 20 * DAY),
      );

      // day 29: nothing is old enough
      clock.current = new Date(start.getTime() + 29 * DAY);
      expect((await retention().run()).deleted).toEqual([]);

      // day 31: A is deleted; B is kept (queued scan), C is 11 days old
      clock.current = new Date(start.getTime() + 31 * DAY);
      const result = await retention().run();
      expect(result.deleted).toEqual([a.sha256]);
      const left = (await fs.readdir(service.uploadsDir)).sort();
      expect(left).toEqual([b.sha256, c.sha256].sort());

      // the scan page still shows A's results
      const shown = await service.getScan(scanA.id);
      expect(shown?.verdict).toBe('safe');
      expect(shown?.files?.map(f => f.sha256)).toEqual([a.sha256]);

      // a rescan of A is refused at once, clearly
      const rescan = service.rescan(scanA.id, 'user:default/bob');
      await expect(rescan).rejects.toThrow(InputError);
      await expect(rescan).rejects.toThrow(/^target: upload expired/);
      // C can still be rescanned
      await expect(
        service.enqueue({
          target: c.target,
          trigger: 'manual',
          requestedBy: 'user:default/bob',
        }),
      ).resolves.toMatchObject({ status: 'queued' });
    });

    it('fails a queued job whose upload vanished with "upload expired"', async () => {
      clock.current = new Date('2026-03-01T00:00:00Z');
      const d = await storeUpload('d.pkl', 'bytes of d', clock.current);
      const scan = await service.enqueue({
        target: d.target,
        trigger: 'manual',
        requestedBy: 'user:default/bob',
      });
      await fs.rm(join(service.uploadsDir, d.sha256), {
        recursive: true,
        force: true,
      });
      await queue.drain();
      await queue.idle();
      const failed = await service.getScan(scan.id);
      expect(failed?.status).toBe('failed');
      expect(failed?.error).toMatch(/^upload expired/);
    });

    it('the gate answers both spellings of a registry model name with the same scan', async () => {
      const file = join(workDir, 'model.bin');
      await fs.writeFile(file, 'weights');
      const { scan } = await service.scanLocalFile({
        path: file,
        name: 'model.bin',
        target: 'mlflow://fraud model/7',
        trigger: 'download',
        requestedBy: 'user:default/alice',
      });
      for (const spelling of [
        'mlflow://fraud model/7',
        'mlflow://fraud%20model/7',
      ]) {
        const decision = await service.evaluateGate(spelling, clock.now());
        expect({ spelling, allowed: decision.allowed }).toEqual({
          spelling,
          allowed: true,
        });
        expect(decision.scanId).toBe(scan.id);
      }
      const other = await service.evaluateGate(
        'mlflow://fraud model/8',
        clock.now(),
      );
      expect(other.allowed).toBe(false);
    });
  },
);
