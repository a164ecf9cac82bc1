import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { FileScanResult } from '@internal/plugin-model-scan-common';
import { ScanStore } from './ScanStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sha = (c: string) => c.repeat(64);
const t0 = new Date('2026-06-01T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

const severityOf = {
  malicious: 'critical',
  suspicious: 'medium',
  safe: 'none',
  error: 'none',
} as const;

function result(
  sha256: string,
  verdict: FileScanResult['verdict'],
  findings: FileScanResult['findings'] = [],
): FileScanResult {
  return {
    path: `${sha256.slice(0, 4)}.pkl`,
    sha256,
    size: 42,
    format: 'pickle',
    verdict,
    severity: severityOf[verdict],
    findings,
    errors: [],
  };
}

describe.each(databases.eachSupportedId())('ScanStore on %s', databaseId => {
  let store: ScanStore;

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    store = await ScanStore.create({
      database: mockServices.database({ knex }),
    });
  });

  it('runs the migrations down and up again', async () => {
    const knex = await databases.init(databaseId);
    const directory = resolvePackagePath(
      '@internal/plugin-model-scan-backend',
      'migrations',
    );
    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('model_scan_scans')).toBe(true);
    await knex.migrate.rollback({ directory }, true);
    expect(await knex.schema.hasTable('model_scan_scans')).toBe(false);
    expect(await knex.schema.hasTable('model_scan_file_results')).toBe(false);
    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('model_scan_acceptances')).toBe(true);
  });

  it('claims a queued job exactly once, and re-claims it after its lease expires', async () => {
    const scan = await store.insertScan(
      {
        target: 'hf://org/claim',
        trigger: 'manual',
        requestedBy: 'user:default/alice',
      },
      at(0),
    );
    expect(scan.status).toBe('queued');
    const claims = await Promise.all([
      store.claimNextJob('replica-a', at(1), 60_000),
      store.claimNextJob('replica-b', at(1), 60_000),
    ]);
    const won = claims.filter(c => c?.id === scan.id);
    expect(won).toHaveLength(1);
    // lease still valid: nobody else gets it
    expect(
      await store.claimNextJob('replica-c', at(1.5), 60_000),
    ).toBeUndefined();
    const owner = claims[0]?.id === scan.id ? 'replica-a' : 'replica-b';
    expect(
      await store.updateProgress(
        scan.id,
        owner,
        { filesDone: 0, filesTotal: 2, bytesDone: 5, bytesTotal: 10 },
        at(2),
      ),
    ).toBe(true);
    const running = await store.getScan(scan.id);
    expect(running?.status).toBe('running');
    expect(running?.progress).toEqual({
      filesDone: 0,
      filesTotal: 2,
      bytesDone: 5,
      bytesTotal: 10,
    });
    // the owner crashed: lease expires at(2), another replica takes over
    const again = await store.claimNextJob('replica-c', at(3), 60_000);
    expect(again?.id).toBe(scan.id);
    expect(again?.attempts).toBe(2);
    // the old owner lost the lease and can neither write progress nor complete
    expect(
      await store.updateProgress(
        scan.id,
        owner,
        { filesDone: 1, filesTotal: 2, bytesDone: 5, bytesTotal: 10 },
        at(4),
      ),
    ).toBe(false);
    expect(
      await store.completeScan({
        id: scan.id,
        owner,
        files: [],
        verdict: 'safe',
        severity: 'none',
        scannerVersion: '1',
        rulesetVersion: 'r',
        now: at(4),
      }),
    ).toBe(false);
    expect(await store.failScan(scan.id, 'boom', at(5), 'replica-c')).toBe(
      true,
    );
    expect((await store.getScan(scan.id))?.status).toBe('failed');
  });

  it('records files, caches results per hash and scanner, and tracks the latest version of a target', async () => {
    const target = 'hf://org/model@v1';
    const finding = {
      ruleId: 'PICKLE_DANGEROUS_GLOBAL',
      severity: 'critical' as const,
      message: 'os.system',
      atlas: ['AML.T0010.003', 'AML.T0011.000'],
      cwe: ['CWE-502'],
    };
    const first = await store.insertScan(
      { target, trigger: 'manual', requestedBy: 'user:default/alice' },
      at(10),
    );
    const claimed = await store.claimNextJob('r', at(10), 60_000);
    expect(claimed?.id).toBe(first.id);
    expect(
      await store.completeScan({
        id: first.id,
        owner: 'r',
        files: [
          {
            result: result(sha('1'), 'malicious', [finding]),
            scannerVersion: '1',
            rulesetVersion: 'r',
            cached: false,
          },
          {
            result: result(sha('2'), 'safe'),
            scannerVersion: '1',
            rulesetVersion: 'r',
            cached: false,
          },
          {
            result: { ...result(sha('3'), 'error'), errors: ['timed out'] },
            scannerVersion: '1',
            rulesetVersion: 'r',
            cached: false,
            transientError: true,
          },
        ],
        verdict: 'malicious',
        severity: 'critical',
        scannerVersion: '1',
        rulesetVersion: 'r',
        now: at(11),
      }),
    ).toBe(true);

    const cached = await store.getCachedResult({
      sha256: sha('1'),
      scannerVersion: '1',
      rulesetVersion: 'r',
    });
    expect(cached?.verdict).toBe('malicious');
    expect(cached?.findings[0].atlas).toEqual([
      'AML.T0010.003',
      'AML.T0011.000',
    ]);
    // another scanner version has no cached result
    expect(
      await store.getCachedResult({
        sha256: sha('1'),
        scannerVersion: '2',
        rulesetVersion: 'r',
      }),
    ).toBeUndefined();
    // errors are not cached
    expect(
      await store.getCachedResult({
        sha256: sha('3'),
        scannerVersion: '1',
        rulesetVersion: 'r',
      }),
    ).toBeUndefined();

    const latest = await store.getLatestCompletedScan(target);
    expect(latest?.id).toBe(first.id);
    expect(latest?.verdict).toBe('malicious');
    expect(latest?.files?.map(f => [f.path, f.verdict])).toEqual([
      ['1111.pkl', 'malicious'],
      ['2222.pkl', 'safe'],
      ['3333.pkl', 'error'],
    ]);
    expect(latest?.files?.[2].errors).toEqual(['timed out']);
    expect(latest?.files?.[0].findings[0].ruleId).toBe(
      'PICKLE_DANGEROUS_GLOBAL',
    );

    // a second scan of the same target replaces the version the gate judges
    const second = await store.insertScan(
      { target, trigger: 'periodic', requestedBy: 'service:x' },
      at(20),
    );
    await store.completeScan({
      id: second.id,
      files: [
        {
          result: result(sha('2'), 'safe'),
          scannerVersion: '1',
          rulesetVersion: 'r',
          cached: true,
        },
      ],
      verdict: 'safe',
      severity: 'none',
      scannerVersion: '1',
      rulesetVersion: 'r',
      now: at(21),
    });
    const newest = await store.getLatestCompletedScan(target);
    expect(newest?.id).toBe(second.id);
    expect(newest?.files?.[0].cached).toBe(true);
    expect(
      await store.getLatestCompletedScan('hf://org/other'),
    ).toBeUndefined();

    const list = await store.listScans({
      limit: 10,
      offset: 0,
      verdict: 'malicious',
    });
    expect(list.items.map(s => s.id)).toContain(first.id);
    expect(list.items.every(s => s.verdict === 'malicious')).toBe(true);

    const stats = await store.getStats(at(0));
    expect(stats.filesScanned).toBe(4);
    expect(stats.byVerdict).toEqual({
      safe: 2,
      suspicious: 0,
      malicious: 1,
      error: 1,
    });
    expect(stats.bySeverity.critical).toBe(1);
    expect(stats.byDay).toEqual([
      { day: '2026-06-01', safe: 2, suspicious: 0, malicious: 1, error: 1 },
    ]);
    expect(stats.byAtlas).toEqual(
      expect.arrayContaining([
        { technique: 'AML.T0010.003', count: 1 },
        { technique: 'AML.T0011.000', count: 1 },
      ]),
    );
    expect(stats.topRules).toEqual([
      { ruleId: 'PICKLE_DANGEROUS_GLOBAL', count: 1 },
    ]);
    // window excludes older files
    expect((await store.getStats(at(15))).filesScanned).toBe(1);
  });

  it('stores acceptances with their expiry', async () => {
    const a = await store.insertAcceptance(
      {
        sha256: sha('9'),
        justification: 'Reviewed the custom layer; it only reshapes tensors.',
        acceptedBy: 'user:default/bob',
        expiresAt: '2026-06-20T00:00:00.000Z',
        scannerVersion: '1',
        rulesetVersion: 'r',
      },
      at(30),
    );
    const listed = await store.listAcceptances({ sha256s: [sha('9')] });
    expect(listed).toEqual([a]);
    expect(listed[0].expiresAt).toBe('2026-06-20T00:00:00.000Z');
    expect(await store.listAcceptances({ sha256s: [] })).toEqual([]);
  });

  it('groups statistics by UTC day', async () => {
    const late = new Date('2026-07-03T23:59:00Z');
    const early = new Date('2026-07-04T00:00:30Z');
    for (const [when, verdict, c] of [
      [late, 'safe', '4'],
      [late, 'suspicious', '5'],
      [early, 'safe', '6'],
    ] as const) {
      const scan = await store.insertScan(
        {
          target: `hf://org/day-${c}`,
          trigger: 'manual',
          requestedBy: 'user:default/erin',
        },
        when,
      );
      await store.completeScan({
        id: scan.id,
        files: [
          {
            result: result(sha(c), verdict),
            scannerVersion: '1',
            rulesetVersion: 'r',
            cached: false,
          },
        ],
        verdict,
        severity: 'none',
        scannerVersion: '1',
        rulesetVersion: 'r',
        now: when,
      });
    }
    const stats = await store.getStats(new Date('2026-07-03T00:00:00Z'));
    expect(stats.byDay).toEqual([
      { day: '2026-07-03', safe: 1, suspicious: 1, malicious: 0, error: 0 },
      { day: '2026-07-04', safe: 1, suspicious: 0, malicious: 0, error: 0 },
    ]);
    expect(stats.filesScanned).toBe(3);
  });
});
