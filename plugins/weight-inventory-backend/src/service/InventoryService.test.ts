import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { parseKubeYaml, resolveConfig, storageAccountFromLive } from '@internal/posture-checks';
import { InventoryStore } from '../store/InventoryStore';
import { InventoryService } from './InventoryService';
import type { DiscoveredStore, InventorySource } from '../sources/types';
import { recordingAuditor } from '@internal/test-stand-ins';
import { DemoSource } from '../sources/demo';

jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/** A source whose account can be changed between refreshes (a config change in Azure). */
class MutableSource implements InventorySource {
  readonly name = 'azure:sub';
  props: Record<string, unknown> = { publicNetworkAccess: 'Disabled', allowSharedKeyAccess: false };
  fail = false;
  async discover(): Promise<DiscoveredStore[]> {
    if (this.fail) throw new Error('ARM unreachable');
    const model = storageAccountFromLive({ account: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct', name: 'acct', ...this.props } });
    return [{ id: 'storage-acct', kind: 'storage-account', name: 'acct', source: 'azure', demo: false, owner: 'group:default/ml-platform', tags: {}, project: { storageAccounts: [model], kubernetes: [] }, weights: [{ container: 'w', path: 'a.safetensors', bytes: 10, format: 'safetensors', detectedBy: 'extension' }] }];
  }
}

describe.each(databases.eachSupportedId())('InventoryService on %p', databaseId => {
  it('stores each refresh, keeps history, and turns pass→fail into an audited, notified drift event', async () => {
    const knex = await databases.init(databaseId);
    const store = await InventoryStore.create({ database: mockServices.database({ knex }) });
    const source = new MutableSource();
    const auditor = recordingAuditor();
    const notified: any[] = [];
    let now = new Date('2026-12-07T10:00:00Z');
    const service = new InventoryService({
      store, sources: [source], posture: resolveConfig({}), clock: { now: () => now }, logger: mockServices.logger.mock(), auditor,
      notifier: { notify: async (s, events) => { notified.push({ store: s.id, events }); } },
    });

    const first = await service.refresh('manual', 'user:default/dave');
    expect(first).toMatchObject({ status: 'succeeded', stores: 1, driftEvents: 0, requestedBy: 'user:default/dave' });
    const [s1] = await store.listStores();
    expect(s1).toMatchObject({ id: 'storage-acct', posture: 'failing', weights: { files: 1, bytes: 10 } });
    const pna1 = (await store.listFindings({ storeId: 'storage-acct' })).find(f => f.controlId === 'FG-STORAGE-PUBLIC-NETWORK')!;
    expect(pna1).toMatchObject({ status: 'pass', lastChangedAt: '2026-12-07T10:00:00.000Z', path: 'properties.publicNetworkAccess' });

    // someone opens the account to the internet and enables keys
    now = new Date('2026-12-07T11:00:00Z');
    source.props = { publicNetworkAccess: 'Enabled', allowSharedKeyAccess: true };
    const second = await service.refresh('schedule');
    expect(second.driftEvents).toBe(2);
    const drift = await store.listDriftEvents({});
    expect(drift.map(d => [d.controlId, d.from, d.to, d.entityRef]).sort()).toEqual([
      ['FG-STORAGE-PUBLIC-NETWORK', 'pass', 'fail', 'resource:default/storage-acct'],
      ['FG-STORAGE-SHARED-KEY', 'pass', 'fail', 'resource:default/storage-acct'],
    ]);
    expect(auditor.events.filter(e => e.eventId === 'posture-drift' && e.outcome === 'success')).toHaveLength(2);
    expect(notified).toHaveLength(1);
    expect(notified[0].events).toHaveLength(2);

    const findings = await store.listFindings({ storeId: 'storage-acct' });
    const pna2 = findings.find(f => f.controlId === 'FG-STORAGE-PUBLIC-NETWORK')!;
    expect(pna2).toMatchObject({ status: 'fail', lastChangedAt: '2026-12-07T11:00:00.000Z' });
    const tls = findings.find(f => f.controlId === 'FG-STORAGE-MIN-TLS')!;
    expect(tls.lastChangedAt).toBe('2026-12-07T10:00:00.000Z'); // failed both times: unchanged
    expect(findings[0].status).toBe('fail'); // failing first
    const history = await store.history('storage-acct', pna2.findingKey);
    expect(history.map(h => h.status)).toEqual(['fail', 'pass']);

    // paging drift events by id; nothing after the last
    expect(await store.listDriftEvents({ after: drift[1].id })).toEqual([]);
    expect((await store.listDriftEvents({ after: drift[0].id })).map(d => d.id)).toEqual([drift[1].id]);

    // fail → pass is no drift event; a failing source keeps the last result
    now = new Date('2026-12-07T12:00:00Z');
    source.props = { publicNetworkAccess: 'Disabled', allowSharedKeyAccess: false };
    expect((await service.refresh('schedule')).driftEvents).toBe(0);
    source.fail = true;
    const failed = await service.refresh('schedule');
    expect(failed).toMatchObject({ status: 'failed', errors: ['azure:sub: ARM unreachable'] });
    expect(await store.getStore('storage-acct')).toBeDefined();
    expect((await store.listRefreshes()).map(r => r.status)).toEqual(['failed', 'succeeded', 'succeeded', 'succeeded']);
    await knex.destroy();
  });

  it('evaluates the demo source (stores and a cluster in several postures) and summarizes', async () => {
    const knex = await databases.init(databaseId);
    const store = await InventoryStore.create({ database: mockServices.database({ knex }) });
    const service = new InventoryService({ store, sources: [new DemoSource()], posture: resolveConfig({}), clock: { now: () => new Date('2026-12-07T10:00:00Z') }, logger: mockServices.logger.mock(), auditor: recordingAuditor() });
    await service.refresh('startup');
    const stores = await store.listStores();
    expect(stores.map(s => [s.id, s.posture, s.demo])).toEqual([
      ['storage-legacyweights', 'failing', true],
      ['cluster-training', 'failing', true],
      ['storage-evalcheckpoints', 'failing', true],
      ['storage-frontierweights', 'passing', true],
    ]);
    expect(await store.summary()).toMatchObject({ storageAccounts: { passing: 1, failing: 2, unknown: 0 }, clusters: { failing: 1 } });
    const filtered = await store.listStores({ kind: 'kubernetes-cluster' });
    expect(filtered.map(s => s.id)).toEqual(['cluster-training']);
    const weights = await store.listWeights('storage-frontierweights', 2, 0);
    expect(weights.total).toBe(3);
    expect(weights.items[0].path).toBe('rc1/consolidated.00.pth'); // largest first
    await knex.destroy();
  });
});

describe('config cluster name in findings', () => {
  it('keeps Kubernetes subject keys stable between IaC and live', () => {
    const items = parseKubeYaml('apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n', 'x').items;
    expect(items[0].object.metadata.name).toBe('a');
  });
});
