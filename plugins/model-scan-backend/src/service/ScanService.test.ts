import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import { mockServices } from '@backstage/backend-test-utils';
import { Scan } from '@internal/plugin-model-scan-common';
import { ScanStore } from '../store/ScanStore';
import { ScanService } from './ScanService';
import { ScanQueue } from './ScanQueue';
import { WorkerScanEngine } from './ScanEngine';
import { SafeEngine } from './__testUtils__/SafeEngine';

jest.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'model-scan-service-'));
// Destroyed at the end: a knex pool's reaping timer otherwise keeps the jest worker alive.
const knexClients: Knex[] = [];
afterAll(() => Promise.all(knexClients.map(k => k.destroy())));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const malicious = Buffer.concat([
  Buffer.from([0x80, 0x02]),
  Buffer.from("cposix\nsystem\n(S'id'\ntR.", 'latin1'),
]);
const benign = Buffer.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x2e]); // []

async function newStore() {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: join(dir, `db-${Math.random()}.sqlite`) },
    useNullAsDefault: true,
  });
  knexClients.push(knex);
  return ScanStore.create({ database: mockServices.database({ knex }) });
}

describe('ScanService with the real engine in worker threads', () => {
  it('scanLocalFile scans synchronously, caches by sha256 and notifies listeners', async () => {
    const store = await newStore();
    const engine = new WorkerScanEngine({
      timeoutMs: 60_000,
      maxOldGenerationSizeMb: 256,
    });
    const service = new ScanService({
      store,
      engine,
      logger: mockServices.logger.mock(),
      clock: { now: () => new Date() },
      workDir: dir,
      allowLocalPaths: false,
      acceptanceMaxDays: 30,
    });
    const seen: Scan[] = [];
    service.onScanCompleted(scan => {
      seen.push(scan);
    });
    const path = join(dir, 'pytorch_model.bin');
    writeFileSync(path, malicious);
    const first = await service.scanLocalFile({
      path,
      name: 'pytorch_model.bin',
      target: 'hf://org/repo@abc/pytorch_model.bin',
      trigger: 'download',
      requestedBy: 'user:default/alice',
    });
    expect(first.scan).toMatchObject({
      status: 'completed',
      verdict: 'malicious',
      trigger: 'download',
    });
    expect(first.file).toMatchObject({
      path: 'pytorch_model.bin',
      verdict: 'malicious',
      cached: false,
    });
    const second = await service.scanLocalFile({
      path,
      name: 'pytorch_model.bin',
      target: 'hf://org/repo@abc/pytorch_model.bin',
      trigger: 'download',
      requestedBy: 'user:default/erin',
    });
    expect(second.file).toMatchObject({
      verdict: 'malicious',
      cached: true,
      sha256: first.file.sha256,
    });
    expect(seen.map(s => s.id)).toEqual([first.scan.id, second.scan.id]);
    const gate = await service.evaluateGate(
      'hf://org/repo@abc/pytorch_model.bin',
      new Date(),
    );
    expect(gate.allowed).toBe(false);
  });
});

describe('ScanService and ScanQueue', () => {
  it('refuses local paths unless allowLocalPaths is set, and scans a folder when it is', async () => {
    const store = await newStore();
    const engine = new SafeEngine(20);
    const common = {
      store,
      engine,
      logger: mockServices.logger.mock(),
      clock: { now: () => new Date() },
      workDir: dir,
      acceptanceMaxDays: 30,
    };
    const closed = new ScanService({ ...common, allowLocalPaths: false });
    await expect(
      closed.enqueue({
        target: dir,
        trigger: 'manual',
        requestedBy: 'user:default/alice',
      }),
    ).rejects.toThrow(/allowLocalPaths/);

    const folder = join(dir, 'model');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'a.pkl'), benign);
    writeFileSync(
      join(folder, 'sub', 'b.pkl'),
      Buffer.concat([benign, Buffer.from('x')]),
    );
    const open = new ScanService({ ...common, allowLocalPaths: true });
    const queue = new ScanQueue({
      store,
      service: open,
      logger: common.logger,
      clock: common.clock,
      concurrency: 1,
      leaseMs: 60_000,
    });
    const scan = await open.enqueue({
      target: folder,
      trigger: 'periodic',
      requestedBy: 'service:scheduler',
    });
    await queue.drain();
    await queue.idle();
    const done = await open.getScan(scan.id);
    expect(done?.status).toBe('completed');
    expect(done?.files?.map(f => f.path)).toEqual([
      'a.pkl',
      join('sub', 'b.pkl'),
    ]);
    expect(done?.progress).toMatchObject({
      filesDone: 2,
      filesTotal: 2,
      bytesTotal: benign.length * 2 + 1,
    });
  });

  it('fails a remote target clearly when no source is configured for it', async () => {
    const store = await newStore();
    const service = new ScanService({
      store,
      engine: new SafeEngine(20),
      logger: mockServices.logger.mock(),
      clock: { now: () => new Date() },
      workDir: dir,
      allowLocalPaths: false,
      acceptanceMaxDays: 30,
    });
    const queue = new ScanQueue({
      store,
      service,
      logger: mockServices.logger.mock(),
      clock: { now: () => new Date() },
      concurrency: 1,
      leaseMs: 60_000,
    });
    const scan = await service.enqueue({
      target: 'mlflow://m/1',
      trigger: 'webhook',
      requestedBy: 'service:mlflow',
    });
    await queue.drain();
    await queue.idle();
    const failed = await service.getScan(scan.id);
    expect(failed).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/source type not configured/),
    });
  });

  it('shares the queue between replicas: every job runs exactly once', async () => {
    const store = await newStore();
    const engine = new SafeEngine(20);
    const logger = mockServices.logger.mock();
    const clock = { now: () => new Date() };
    const folder = join(dir, 'many');
    mkdirSync(folder, { recursive: true });
    const make = () =>
      new ScanService({
        store,
        engine,
        logger,
        clock,
        workDir: dir,
        allowLocalPaths: true,
        acceptanceMaxDays: 30,
      });
    const serviceA = make();
    const serviceB = make();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      // distinct bytes so that no result comes from the cache
      const path = join(folder, `f${i}.pkl`);
      writeFileSync(path, Buffer.concat([benign, Buffer.from(String(i))]));
      ids.push(
        (
          await serviceA.enqueue({
            target: path,
            trigger: 'manual',
            requestedBy: 'user:default/alice',
          })
        ).id,
      );
    }
    const replicaA = new ScanQueue({
      store,
      service: serviceA,
      logger,
      clock,
      concurrency: 2,
      leaseMs: 60_000,
    });
    const replicaB = new ScanQueue({
      store,
      service: serviceB,
      logger,
      clock,
      concurrency: 2,
      leaseMs: 60_000,
    });
    await Promise.all([replicaA.drain(), replicaB.drain()]);
    await Promise.all([replicaA.idle(), replicaB.idle()]);
    const scans = await Promise.all(ids.map(id => serviceA.getScan(id)));
    expect(scans.every(s => s?.status === 'completed')).toBe(true);
    expect(engine.runs).toBe(8);
  });

  it("takes over a crashed replica's job after its lease, and gives up after repeated crashes", async () => {
    const store = await newStore();
    const engine = new SafeEngine(20);
    const logger = mockServices.logger.mock();
    let now = new Date('2026-06-01T10:00:00Z');
    const clock = { now: () => now };
    const service = new ScanService({
      store,
      engine,
      logger,
      clock,
      workDir: dir,
      allowLocalPaths: true,
      acceptanceMaxDays: 30,
    });
    const path = join(dir, 'takeover.pkl');
    writeFileSync(path, Buffer.concat([benign, Buffer.from('takeover')]));
    const scan = await service.enqueue({
      target: path,
      trigger: 'manual',
      requestedBy: 'user:default/alice',
    });
    // replica "dead" claims it and never finishes
    expect((await store.claimNextJob('dead', now, 60_000))?.id).toBe(scan.id);
    const queue = new ScanQueue({
      store,
      service,
      logger,
      clock,
      concurrency: 1,
      leaseMs: 60_000,
    });
    await queue.drain();
    await queue.idle();
    expect((await service.getScan(scan.id))?.status).toBe('running');
    now = new Date(now.getTime() + 61_000);
    await queue.drain();
    await queue.idle();
    expect(await service.getScan(scan.id)).toMatchObject({
      status: 'completed',
      verdict: 'safe',
    });

    // a job whose replicas keep dying is failed instead of retried for ever
    const poison = await service.enqueue({
      target: path,
      trigger: 'manual',
      requestedBy: 'user:default/alice',
    });
    for (let i = 0; i < 3; i++) {
      expect((await store.claimNextJob(`dead-${i}`, now, 1000))?.id).toBe(
        poison.id,
      );
      now = new Date(now.getTime() + 2000);
    }
    await queue.drain();
    await queue.idle();
    expect(await service.getScan(poison.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/abandoned after 3 attempts/),
    });
  });
});
