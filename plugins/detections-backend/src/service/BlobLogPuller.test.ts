import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { AdjustableClock } from '@internal/clock';
import { DetectionEngine, resolveConfig } from '@internal/detection-rules';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '@internal/test-stand-ins';
import { DetectionsStore } from '../store/DetectionsStore';
import { AlertNotifier } from './AlertNotifier';
import { BlobLogPuller } from './BlobLogPuller';
import { IngestService } from './IngestService';
import { LiveGrantIndex } from './liveGrants';
import { NOW, T0, egressDeny, iso, podExec, weightReads } from '../__testUtils__/fixtures';

jest.setTimeout(90_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const line = (r: unknown) => `${JSON.stringify(r)}\n`;

describe('BlobLogPuller (real @azure/storage-blob against Azurite)', () => {
  let azurite: Awaited<ReturnType<typeof startAzurite>>;
  let service: BlobServiceClient;
  beforeAll(async () => {
    azurite = await startAzurite();
    service = new BlobServiceClient(azurite.endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  });
  afterAll(async () => {
    await azurite.stop();
  });

  it.each(databases.eachSupportedId())('ingests exported logs once, continues grown append blobs at whole lines, on %p', async databaseId => {
    const containerName = `insights-logs-${String(databaseId).toLowerCase().replace(/[^a-z0-9]/g, '')}`;
    const container = service.getContainerClient(containerName);
    await container.create();
    const prefix = 'resourceId=/SUBSCRIPTIONS/S/';
    const hourly = container.getAppendBlobClient(`${prefix}y=2026/m=12/d=07/h=10/m=00/PT1H.json`);
    await hourly.create();
    const partial = line(egressDeny(iso(T0, 3)));
    const first = line(egressDeny(iso(T0, 0))) + line(egressDeny(iso(T0, 1))) + line(egressDeny(iso(T0, 2))) + partial.slice(0, 20);
    await hourly.appendBlock(first, Buffer.byteLength(first));
    const wrapped = JSON.stringify({ records: weightReads(2) });
    await container.getBlockBlobClient(`${prefix}y=2026/m=12/d=07/h=09/m=00/PT1H.json`).upload(wrapped, Buffer.byteLength(wrapped));
    await container.getBlockBlobClient('other/ignored.json').upload(line(podExec()), Buffer.byteLength(line(podExec())));

    const store = await DetectionsStore.create({ knex: await databases.init(databaseId) });
    const grants = new LiveGrantIndex();
    const clock = new AdjustableClock({ now: () => NOW });
    const ingest = new IngestService({
      store, grants, engine: new DetectionEngine({ config: resolveConfig({}), grants }), clock,
      notifier: new AlertNotifier(undefined, 'group:default/security-reviewers', mockServices.logger.mock()),
      logger: mockServices.logger.mock(), maxLines: 50_000, warmupHours: 24, warmupMaxEvents: 1000,
    });
    const puller = BlobLogPuller.fromSettings(
      { accountUrl: azurite.endpoint, container: containerName, prefix, credential: { kind: 'sharedKey', accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY }, frequencyMinutes: 5 },
      { store, ingest, clock, logger: mockServices.logger.mock() },
    );

    expect(await puller.pullOnce()).toEqual({ blobs: 2, accepted: 5, duplicates: 0, rejected: 0 });
    // nothing changed: nothing read
    expect(await puller.pullOnce()).toEqual({ blobs: 0, accepted: 0, duplicates: 0, rejected: 0 });
    // the hour goes on: the cut line is completed and one more arrives
    const rest = partial.slice(20) + line(egressDeny(iso(T0, 4)));
    await hourly.appendBlock(rest, Buffer.byteLength(rest));
    expect(await puller.pullOnce()).toEqual({ blobs: 1, accepted: 2, duplicates: 0, rejected: 0 });
    const events = await store.listEvents({ limit: 50 });
    expect(events.items.map(e => e.source).sort()).toEqual([...Array(5).fill('azure_firewall'), 'storage_blob', 'storage_blob']);
    // the blob outside the prefix was never read
    expect(events.items.some(e => e.source === 'k8s_audit')).toBe(false);
    expect(await store.blobPosition(containerName, 'other/ignored.json')).toBeUndefined();
  });
});
