import { createHash } from 'node:crypto';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { canonicalTarget } from '../domain/targets';
import { FileScanResult } from '@internal/plugin-model-scan-common';
import { ScanStore } from './ScanStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sha = (c: string) => c.repeat(64);
const t0 = new Date('2026-06-01T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

function safeFile(sha256: string): FileScanResult {
  return {
    path: 'model.bin',
    sha256,
    size: 1,
    format: 'pickle',
    verdict: 'safe',
    severity: 'none',
    findings: [],
    errors: [],
  };
}

const migrationsDir = resolvePackagePath(
  '@internal/plugin-model-scan-backend',
  'migrations',
);
const {
  canonical: migrationCanonical,
} = require('../../migrations/20261125160000_canonical_targets.js');

describe('the canonical-targets migration', () => {
  it('spells targets exactly as canonicalTarget does', () => {
    for (const target of [
      'mlflow://fraud model/7',
      'mlflow://fraud%20model/7',
      'mlflow://100%/1',
      'databricks://main.ml.fraud/model/12',
      'DATABRICKS://x/1',
      'hf://org/model',
      'hf://org/model@refs%2Fpr%2F1',
      'hf://org/model@',
      'HTTPS://Example.COM:443/a b/model.bin',
      'https://acct.blob.core.windows.net/c/release/v3/',
      'https://[bad',
      ` upload://${'a'.repeat(64)}/m.pkl `,
      '/etc/passwd',
      'mlflow://x/latest',
    ]) {
      expect({ target, canonical: migrationCanonical(target) }).toEqual({
        target,
        canonical: canonicalTarget(target),
      });
    }
  });
});

describe.each(databases.eachSupportedId())(
  'ScanStore targets, webhook deliveries and uploads on %s',
  databaseId => {
    let store: ScanStore;

    it('rewrites targets stored before canonical targets existed, keeping the latest version per model', async () => {
      const knex = await databases.init(databaseId);
      await knex.migrate.up({ directory: migrationsDir }); // init
      await knex.migrate.up({ directory: migrationsDir }); // webhook_deliveries
      const hash = (t: string) => createHash('sha256').update(t).digest('hex');
      const scan = (id: string, target: string, minutes: number) => ({
        id,
        target,
        trigger: 'manual',
        status: 'completed',
        requested_by: 'user:default/alice',
        created_at: at(minutes),
      });
      await knex('model_scan_scans').insert([
        scan('s1', 'mlflow://fraud model/7', 0),
        scan('s2', 'mlflow://fraud%20model/7', 5),
        scan('s3', 'hf://org/model', 1),
      ]);
      const version = (scanId: string, target: string, minutes: number) => ({
        target_hash: hash(target),
        target,
        scan_id: scanId,
        sha256s_json: '[]',
        recorded_at: at(minutes),
      });
      await knex('model_scan_model_versions').insert([
        version('s1', 'mlflow://fraud model/7', 0),
        version('s2', 'mlflow://fraud%20model/7', 5),
        version('s3', 'hf://org/model', 1),
      ]);

      await knex.migrate.latest({ directory: migrationsDir });
      const migrated = await ScanStore.create({
        database: mockServices.database({ knex }),
      });
      expect(
        (await knex('model_scan_scans').orderBy('id')).map(r => r.target),
      ).toEqual([
        'mlflow://fraud%20model/7',
        'mlflow://fraud%20model/7',
        'hf://org/model@main',
      ]);
      expect(
        (await knex('model_scan_model_versions').orderBy('scan_id')).map(
          r => r.scan_id,
        ),
      ).toEqual(['s2', 's3']);
      expect(
        (await migrated.getLatestCompletedScan('mlflow://fraud model/7'))?.id,
      ).toBe('s2');
      expect(
        (await migrated.getLatestCompletedScan('hf://org/model'))?.id,
      ).toBe('s3');
      await knex.migrate.rollback({ directory: migrationsDir }, true);
      expect(await knex.schema.hasTable('webhook_deliveries')).toBe(false);
    });

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      store = await ScanStore.create({
        database: mockServices.database({ knex }),
      });
    });

    it('stores and looks up targets canonically: both spellings of a registry model name are one model', async () => {
      const scan = await store.insertScan(
        {
          target: 'mlflow://fraud model/7',
          trigger: 'manual',
          requestedBy: 'user:default/alice',
        },
        at(0),
      );
      expect(scan.target).toBe('mlflow://fraud%20model/7');
      await store.completeScan({
        id: scan.id,
        files: [
          {
            result: safeFile(sha('a')),
            scannerVersion: '1',
            rulesetVersion: 'r',
            cached: false,
          },
        ],
        verdict: 'safe',
        severity: 'none',
        scannerVersion: '1',
        rulesetVersion: 'r',
        now: at(1),
      });
      for (const spelling of [
        'mlflow://fraud%20model/7',
        'mlflow://fraud model/7',
        ' mlflow://fraud%20model/7 ',
      ]) {
        expect((await store.getLatestCompletedScan(spelling))?.id).toBe(
          scan.id,
        );
        const list = await store.listScans({
          limit: 10,
          offset: 0,
          target: spelling,
        });
        expect(list.items.map(s => s.id)).toEqual([scan.id]);
      }
      // another version, another model, another registry: not the same target
      for (const other of [
        'mlflow://fraud model/8',
        'mlflow://fraud-model/7',
        'databricks://fraud model/7',
      ]) {
        expect(await store.getLatestCompletedScan(other)).toBeUndefined();
      }

      // a webhook spelling scanned later replaces the version the gate judges
      const again = await store.insertScan(
        {
          target: 'mlflow://fraud%20model/7',
          trigger: 'webhook',
          requestedBy: 'webhook:mlflow',
        },
        at(2),
      );
      await store.completeScan({
        id: again.id,
        files: [
          {
            result: safeFile(sha('b')),
            scannerVersion: '1',
            rulesetVersion: 'r',
            cached: false,
          },
        ],
        verdict: 'safe',
        severity: 'none',
        scannerVersion: '1',
        rulesetVersion: 'r',
        now: at(3),
      });
      expect(
        (await store.getLatestCompletedScan('mlflow://fraud model/7'))?.id,
      ).toBe(again.id);
    });

    it('records a webhook delivery once: concurrent inserts of the same key let exactly one through', async () => {
      const delivery = { source: 'mlflow', key: 'delivery-1' };
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          store.recordWebhookDelivery(delivery, at(0), 60_000),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      // the same id from another source is another delivery
      expect(
        await store.recordWebhookDelivery(
          { source: 'databricks', key: 'delivery-1' },
          at(0),
          60_000,
        ),
      ).toBe(true);
      // still a replay just before the TTL, accepted again after it
      expect(await store.recordWebhookDelivery(delivery, at(0.9), 60_000)).toBe(
        false,
      );
      expect(await store.recordWebhookDelivery(delivery, at(2), 60_000)).toBe(
        true,
      );
      // forgotten (processing failed): the sender's retry is accepted
      await store.forgetWebhookDelivery(delivery);
      expect(await store.recordWebhookDelivery(delivery, at(2), 60_000)).toBe(
        true,
      );
    });

    it('deletes deliveries older than a cutoff and keeps newer ones', async () => {
      await store.recordWebhookDelivery(
        { source: 'huggingface', key: 'old' },
        at(-120),
        60_000,
      );
      await store.recordWebhookDelivery(
        { source: 'huggingface', key: 'new' },
        at(10),
        60_000,
      );
      const deleted = await store.deleteWebhookDeliveriesBefore(at(-60));
      expect(deleted).toBe(1);
      // "new" is still there, so a replay is refused; "old" is gone
      expect(
        await store.recordWebhookDelivery(
          { source: 'huggingface', key: 'new' },
          at(10),
          24 * 60 * 60_000,
        ),
      ).toBe(false);
      expect(
        await store.recordWebhookDelivery(
          { source: 'huggingface', key: 'old' },
          at(10),
          24 * 60 * 60_000,
        ),
      ).toBe(true);
    });

    it('lists the uploads that queued or running scans still need', async () => {
      const queued = await store.insertScan(
        {
          target: `upload://${sha('c')}/queued.pkl`,
          trigger: 'upload',
          requestedBy: 'user:default/alice',
          uploadPath: `/data/uploads/${sha('c')}/queued.pkl`,
          uploadName: 'queued.pkl',
        },
        at(20),
      );
      const done = await store.insertScan(
        {
          target: `upload://${sha('d')}/done.pkl`,
          trigger: 'upload',
          requestedBy: 'user:default/alice',
        },
        at(20),
      );
      await store.failScan(done.id, 'boom', at(21));
      const rescan = await store.insertScan(
        {
          target: `upload://${sha('e')}/again.pkl`,
          trigger: 'manual',
          requestedBy: 'user:default/bob',
        },
        at(22),
      );
      expect(queued.status).toBe('queued');
      expect(rescan.status).toBe('queued');
      const inUse = await store.listUploadsInUse();
      expect([...inUse].sort()).toEqual([sha('c'), sha('e')]);
    });
  },
);
