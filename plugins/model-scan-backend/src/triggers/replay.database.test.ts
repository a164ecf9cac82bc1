import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ScanStore } from '../store/ScanStore';
import { DatabaseReplayStore, splitReplayKey } from './replayStore';
import { MLFLOW_SECRET, mlflowDelivery, startTriggersApp } from './__testUtils__/harness';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const mvCreated = `{"entity": "model_version", "action": "created", "timestamp": "2026-11-25T10:00:00+00:00", "data": {"name": "fraud model", "version": "7", "source": "models:/m-1", "run_id": "r1", "tags": {}, "description": ""}}`;

describe.each(databases.eachSupportedId())(
  'webhook replay protection in the database (%s), shared by replicas',
  databaseId => {
    let workDir: string;
    let replicas: Array<Awaited<ReturnType<typeof startTriggersApp>>>;

    beforeAll(async () => {
      workDir = await fs.promises.mkdtemp(
        path.join(os.tmpdir(), 'model-scan-replay-'),
      );
      const knex = await databases.init(databaseId);
      const database = mockServices.database({ knex });
      // two replicas: each its own store object and router, one database
      replicas = [];
      for (let i = 0; i < 2; i++) {
        const store = await ScanStore.create({ database });
        replicas.push(
          await startTriggersApp(
            { workDir, webhooks: { mlflow: { secret: MLFLOW_SECRET } } },
            { replayStore: new DatabaseReplayStore(store) },
          ),
        );
      }
    });
    afterAll(async () => {
      await Promise.all(replicas.map(r => r.close()));
      await fs.promises.rm(workDir, { recursive: true, force: true });
    });

    const deliver = (replica: number, headers: Record<string, string>) =>
      fetch(`${replicas[replica].url}/webhooks/mlflow`, {
        method: 'POST',
        body: mvCreated,
        headers,
      });

    it('two concurrent deliveries of the same id to two replicas: exactly one 202 and one 409', async () => {
      const headers = mlflowDelivery(mvCreated);
      const answers = await Promise.all([
        deliver(0, headers),
        deliver(1, headers),
      ]);
      expect(answers.map(a => a.status).sort()).toEqual([202, 409]);
      const refused = answers.find(a => a.status === 409)!;
      expect((await refused.json()).error.message).toMatch(/replay/);
      const queued = replicas.flatMap(r => r.scanService.enqueued);
      expect(queued).toEqual([
        {
          target: 'mlflow://fraud%20model/7',
          trigger: 'webhook',
          requestedBy: 'webhook:mlflow',
        },
      ]);
    });

    it('a later replay to either replica is refused; a new delivery id is accepted', async () => {
      const headers = mlflowDelivery(mvCreated);
      expect((await deliver(0, headers)).status).toBe(202);
      expect((await deliver(1, headers)).status).toBe(409);
      expect((await deliver(0, headers)).status).toBe(409);
      const fresh = mlflowDelivery(mvCreated);
      expect((await deliver(1, fresh)).status).toBe(202);
    });

    it('forgets a delivery whose scan could not be queued, so the retry is accepted', async () => {
      const headers = mlflowDelivery(mvCreated);
      replicas[0].scanService.failEnqueue = true;
      expect((await deliver(0, headers)).status).toBe(500);
      replicas[0].scanService.failEnqueue = false;
      expect((await deliver(1, headers)).status).toBe(202);
    });
  },
);

describe('splitReplayKey', () => {
  it('splits the source off and hashes keys longer than the column', () => {
    expect(splitReplayKey('mlflow:abc')).toEqual({
      source: 'mlflow',
      key: 'abc',
    });
    const long = splitReplayKey(`mlflow:${'x'.repeat(500)}`);
    expect(long.source).toBe('mlflow');
    expect(long.key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(splitReplayKey('no-source')).toEqual({
      source: 'unknown',
      key: 'no-source',
    });
  });
});
