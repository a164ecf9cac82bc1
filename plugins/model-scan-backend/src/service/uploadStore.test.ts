import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { mockServices } from '@backstage/backend-test-utils';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  startAzurite,
} from '@internal/test-stand-ins';
import { ScanStore } from '../store/ScanStore';
import { uploadTarget } from '../domain/targets';
import { ScanService } from './ScanService';
import { ScanQueue } from './ScanQueue';
import { WorkerScanEngine } from './ScanEngine';
import { UploadRetention } from './UploadRetention';
import {
  AzureBlobUploadStore,
  LocalUploadStore,
  UploadStore,
} from './uploadStore';

jest.setTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), 'model-scan-uploads-'));
// Destroyed at the end: a knex pool's reaping timer otherwise keeps the jest worker alive.
const knexClients: Knex[] = [];
afterAll(() => Promise.all(knexClients.map(k => k.destroy())));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** os.system("id"), protocol 2 */
const PAYLOAD = Buffer.from(
  '8002636f730a73797374656d0a5802000000696485522e',
  'hex',
);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let azurite: Awaited<ReturnType<typeof startAzurite>>;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

let containers = 0;
function blobStore(container = `uploads${++containers}`) {
  return new AzureBlobUploadStore({
    endpoint: azurite.endpoint,
    container,
    credential: new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  });
}

function incoming(data: Buffer): string {
  const p = join(mkdtempSync(join(dir, 'in-')), '.incoming');
  writeFileSync(p, data);
  return p;
}

describe.each([
  ['Azure blob (Azurite)', () => blobStore()],
  [
    'local folder',
    () => new LocalUploadStore(mkdtempSync(join(dir, 'local-'))),
  ],
] as Array<[string, () => UploadStore]>)('%s upload store', (_label, make) => {
  it('stores by content hash once, renews the received time, opens, lists and removes', async () => {
    const store = make();
    const hash = sha(PAYLOAD);
    const t1 = new Date('2026-01-01T00:00:00Z');
    const first = incoming(PAYLOAD);
    expect(await store.put(hash, 'model.pkl', first, t1)).toEqual({
      name: 'model.pkl',
      created: true,
    });
    expect(existsSync(first)).toBe(false); // consumed
    const t2 = new Date('2026-02-01T00:00:00Z');
    expect(
      await store.put(hash, 'other-name.pkl', incoming(PAYLOAD), t2),
    ).toEqual({ name: 'model.pkl', created: false });
    const found = await store.find(hash);
    expect(found).toMatchObject({ sha256: hash, name: 'model.pkl' });
    expect(found!.received.getTime()).toBe(t2.getTime());
    const opened = await store.open(hash, mkdtempSync(join(dir, 'scratch-')));
    expect(readFileSync(opened!.path)).toEqual(PAYLOAD);
    await opened!.cleanup();
    const listed: string[] = [];
    for await (const u of store.list()) listed.push(u.sha256);
    expect(listed).toEqual([hash]);
    await store.remove(hash);
    expect(await store.find(hash)).toBeUndefined();
    expect(await store.open(hash, dir)).toBeUndefined();
    // names that are not hashes are never looked up (no path games with the store)
    expect(await store.find('../../etc')).toBeUndefined();
  });

  it('retention deletes old uploads, keeps recent ones and those a scan still needs', async () => {
    const store = make();
    const now = new Date('2026-03-01T00:00:00Z');
    const old = Buffer.from('old');
    const busy = Buffer.from('busy');
    const fresh = Buffer.from('fresh');
    await store.put(
      sha(old),
      'a.bin',
      incoming(old),
      new Date('2026-01-01T00:00:00Z'),
    );
    await store.put(
      sha(busy),
      'b.bin',
      incoming(busy),
      new Date('2026-01-01T00:00:00Z'),
    );
    await store.put(
      sha(fresh),
      'c.bin',
      incoming(fresh),
      new Date('2026-02-25T00:00:00Z'),
    );
    const result = await new UploadRetention({
      uploadsDir: mkdtempSync(join(dir, 'incoming-')),
      store,
      retentionDays: 30,
      uploadsInUse: async () => new Set([sha(busy)]),
      clock: { now: () => now },
      logger: mockServices.logger.mock(),
    }).run();
    expect(result).toEqual({ deleted: [sha(old)], kept: 2 });
    expect(await store.find(sha(old))).toBeUndefined();
    expect(await store.find(sha(busy))).toBeDefined();
  });
});

describe('a scan queued by one replica is completed by another', () => {
  async function replica(
    name: string,
    store: ScanStore,
    uploads: UploadStore | undefined,
  ) {
    const workDir = mkdtempSync(join(dir, `${name}-`));
    const service = new ScanService({
      store,
      engine: new WorkerScanEngine({
        timeoutMs: 60_000,
        maxOldGenerationSizeMb: 256,
      }),
      logger: mockServices.logger.mock(),
      clock: { now: () => new Date() },
      workDir,
      allowLocalPaths: false,
      acceptanceMaxDays: 30,
      uploads,
    });
    return { service, workDir };
  }

  async function sharedDatabase() {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: join(dir, `db-${Math.random()}.sqlite`) },
      useNullAsDefault: true,
    });
    knexClients.push(knex);
    return ScanStore.create({ database: mockServices.database({ knex }) });
  }

  /** Replica A receives the upload and queues the scan (it runs no scans); B claims and runs it. */
  async function submitOnAThenRunOnB(
    uploadsA: UploadStore,
    uploadsB: UploadStore,
  ) {
    const db = await sharedDatabase();
    const a = await replica('replica-a', db, uploadsA);
    const b = await replica('replica-b', db, uploadsB);
    const hash = sha(PAYLOAD);
    await uploadsA.put(hash, 'model.pkl', incoming(PAYLOAD), new Date());
    const queued = await a.service.enqueue({
      target: uploadTarget(hash, 'model.pkl'),
      trigger: 'upload',
      requestedBy: 'user:default/alice',
      uploadedFile: { name: 'model.pkl', path: '' },
    });
    const queueB = new ScanQueue({
      store: db,
      service: b.service,
      logger: mockServices.logger.mock(),
      clock: { now: () => new Date() },
      concurrency: 1,
      leaseMs: 60_000,
    });
    await queueB.drain();
    await queueB.idle();
    return { scan: await a.service.getScan(queued.id), a, b };
  }

  it('with shared blob storage: B downloads the upload A received and finds the payload', async () => {
    const shared = blobStore('shared');
    const { scan, a, b } = await submitOnAThenRunOnB(shared, shared);
    expect(scan).toMatchObject({ status: 'completed', verdict: 'malicious' });
    expect(scan!.files![0].findings.map(f => f.ruleId)).toContain(
      'PICKLE_DANGEROUS_GLOBAL',
    );
    // nothing was written to A's disk, and B's downloaded copy is gone after the scan
    expect(existsSync(join(a.workDir, 'uploads'))).toBe(false);
    expect(readdirSync(join(b.workDir, 'downloads'))).toEqual([]);
  });

  it('with local folders (the single-replica default) B cannot read what A received', async () => {
    const { scan } = await submitOnAThenRunOnB(
      new LocalUploadStore(mkdtempSync(join(dir, 'a-uploads-'))),
      new LocalUploadStore(mkdtempSync(join(dir, 'b-uploads-'))),
    );
    expect(scan?.status).toBe('failed');
    expect(scan?.error).toMatch(/upload expired|no longer stored/);
  });
});
