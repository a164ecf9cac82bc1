import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { AdjustableClock } from '@internal/clock';
import { DetectionEngine, resolveConfig } from '@internal/detection-rules';
import { DetectionsStore } from '../store/DetectionsStore';
import { AlertNotifier } from './AlertNotifier';
import { IngestService } from './IngestService';
import { LiveGrantIndex } from './liveGrants';
import { ALICE, EVE, NOW, T0, egressDeny, grantOf, iso, ndjson, podExec, signIn, weightReads } from '../__testUtils__/fixtures';

jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

async function setup(knex: any, opts: { grants?: boolean } = {}) {
  const store = await DetectionsStore.create({ knex });
  const clock = new AdjustableClock({ now: () => NOW });
  const grants = new LiveGrantIndex();
  if (opts.grants) grants.replace([grantOf({ id: 'g-alice', user: { ref: 'user:default/alice', upn: ALICE } })], NOW);
  const sent: any[] = [];
  const notifier = new AlertNotifier({ send: async (n: any) => { sent.push(n); } } as any, 'group:default/security-reviewers', mockServices.logger.mock());
  const engine = () => new DetectionEngine({ config: resolveConfig({}), grants });
  const service = (e = engine()) =>
    new IngestService({ store, engine: e, grants, notifier, clock, logger: mockServices.logger.mock(), maxLines: 100, warmupHours: 24, warmupMaxEvents: 100_000 });
  return { store, clock, grants, sent, notifier, engine, service: service(), newService: service };
}

describe.each(databases.eachSupportedId())('IngestService on %p', databaseId => {
  it('stores good lines, reports bad ones by line number, opens alerts and notifies reviewers of high ones', async () => {
    const t = await setup(await databases.init(databaseId));
    const body = [
      ...weightReads(4).map(r => JSON.stringify(r)),
      'not json at all',
      JSON.stringify({ hello: 'world' }),
      '',
      JSON.stringify(podExec()),
      JSON.stringify(signIn(T0, EVE, 'GB')),
      JSON.stringify(egressDeny(T0)),
    ].join('\n');
    const r = await t.service.ingest(body);
    expect(r).toMatchObject({ accepted: 7, duplicates: 0, alertsUpdated: 0 });
    expect(r.rejected).toEqual([
      { line: 5, error: expect.stringContaining('not JSON') },
      { line: 6, error: expect.stringContaining('unrecognised record') },
    ]);
    expect(r.detections).toBeGreaterThanOrEqual(2);
    const { items, totalCount } = await t.store.listAlerts({ limit: 50 });
    expect(totalCount).toBe(r.alertsOpened);
    const bulk = items.find(a => a.rule === 'weight-store-bulk-read');
    expect(bulk).toMatchObject({ principal: EVE, resource: 'wacct/weights', status: 'new' });
    const exec = items.find(a => a.rule === 'k8s-exec-research-namespace');
    expect(exec).toMatchObject({ principal: ALICE, severity: 'high' });
    await t.notifier.drain();
    const highs = items.filter(a => a.severity === 'high' || a.severity === 'critical');
    expect(t.sent.map(n => n.payload.link).sort()).toEqual(highs.map(a => `/detections/alerts/${a.id}`).sort());
    expect(t.sent[0]).toMatchObject({ recipients: { type: 'entity', entityRef: 'group:default/security-reviewers' }, payload: { topic: 'detections' } });
    // the events behind the alert are linked
    const events = await t.store.alertEvents(bulk!.id, 50);
    expect(events.items.length).toBeGreaterThan(0);
    expect(events.items.every(e => e.source === 'storage_blob')).toBe(true);
  });

  it('is idempotent on re-delivery: duplicates counted, no new events or alerts', async () => {
    const t = await setup(await databases.init(databaseId));
    const body = ndjson([...weightReads(4), podExec()]);
    const first = await t.service.ingest(body);
    expect(first.accepted).toBe(5);
    const again = await t.service.ingest(body);
    expect(again).toEqual({ accepted: 0, duplicates: 5, rejected: [], detections: 0, alertsOpened: 0, alertsUpdated: 0 });
    // a line repeated inside one batch is a duplicate as well
    const twice = await t.service.ingest(ndjson([egressDeny(T0), egressDeny(T0)]));
    expect(twice).toMatchObject({ accepted: 1, duplicates: 1 });
    expect((await t.store.listEvents({ limit: 100 })).items).toHaveLength(6);
    expect((await t.store.listAlerts({ limit: 50 })).totalCount).toBe(first.alertsOpened);
  });

  it('updates the open alert within the window and opens a new one after it', async () => {
    const t = await setup(await databases.init(databaseId));
    await t.service.ingest(ndjson([podExec(ALICE, T0)]));
    const second = await t.service.ingest(ndjson([podExec(ALICE, iso(T0, 30))]));
    expect(second).toMatchObject({ alertsOpened: 0, alertsUpdated: 1 });
    let alerts = (await t.store.listAlerts({ limit: 50, rule: 'k8s-exec-research-namespace' })).items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ count: 2, firstSeen: T0, lastSeen: iso(T0, 30) });
    const third = await t.service.ingest(ndjson([podExec(ALICE, iso(T0, 200))]));
    expect(third).toMatchObject({ alertsOpened: 1, alertsUpdated: 0 });
    alerts = (await t.store.listAlerts({ limit: 50, rule: 'k8s-exec-research-namespace' })).items;
    expect(alerts.map(a => a.count)).toEqual([1, 2]);
  });

  it('reports a read of a weight store without a grant only once grants are known, and not for a grant holder', async () => {
    const t = await setup(await databases.init(databaseId));
    await t.service.ingest(ndjson(weightReads(1, 'nogrant@corp.example')));
    expect((await t.store.listAlerts({ limit: 50, rule: 'weight-store-read-without-grant' })).totalCount).toBe(0);
    t.grants.replace([grantOf({ id: 'g1' })], NOW);
    await t.service.ingest(ndjson([...weightReads(1, 'nogrant@corp.example', iso(T0, 5)), ...weightReads(1, EVE, iso(T0, 5))]));
    const alerts = (await t.store.listAlerts({ limit: 50, rule: 'weight-store-read-without-grant' })).items;
    expect(alerts.map(a => a.principal)).toEqual(['nogrant@corp.example']);
  });

  it('warms a new engine from stored events so a window spanning a restart still fires', async () => {
    const t = await setup(await databases.init(databaseId));
    await t.service.ingest(ndjson(weightReads(2, EVE, T0)));
    expect((await t.store.listAlerts({ limit: 50, rule: 'weight-store-bulk-read' })).totalCount).toBe(0);
    const restarted = t.newService();
    expect(await restarted.warmUp()).toEqual({ events: 2 });
    await restarted.ingest(ndjson(weightReads(2, EVE, iso(T0, 10))));
    expect((await t.store.listAlerts({ limit: 50, rule: 'weight-store-bulk-read' })).totalCount).toBe(1);
    // a cold engine with the same two new reads stays under the threshold
    const cold = t.newService();
    await cold.ingest(ndjson(weightReads(2, 'other@corp.example', iso(T0, 10))));
    expect((await t.store.listAlerts({ limit: 50, principal: 'other@corp.example' })).totalCount).toBe(0);
  });

  it('runs two batches in flight at once in arrival order, with the alerts of sending them one after the other', async () => {
    const first = ndjson([...weightReads(2, EVE, T0), signIn(T0, EVE, 'GB'), podExec(ALICE, T0)]);
    const second = ndjson([...weightReads(2, EVE, iso(T0, 10)), signIn(iso(T0, 30), EVE, 'US'), podExec(ALICE, iso(T0, 200))]);
    const alertsOf = async (t: Awaited<ReturnType<typeof setup>>) =>
      (await t.store.listAlerts({ limit: 50 })).items.map(a => [a.rule, a.principal, a.severity, a.count, a.firstSeen, a.lastSeen].join(' ')).sort();

    const oneByOne = await setup(await databases.init(databaseId));
    const expected = [await oneByOne.service.ingest(first), await oneByOne.service.ingest(second)];
    const expectedAlerts = await alertsOf(oneByOne);
    expect(expectedAlerts.length).toBeGreaterThanOrEqual(3);

    // the order matters: the second batch before the first gives other alerts
    const reversed = await setup(await databases.init(databaseId));
    await reversed.service.ingest(second);
    await reversed.service.ingest(first);
    expect(await alertsOf(reversed)).not.toEqual(expectedAlerts);

    // overlapping calls
    const overlapping = await setup(await databases.init(databaseId));
    expect(await Promise.all([overlapping.service.ingest(first), overlapping.service.ingest(second)])).toEqual(expected);
    expect(await alertsOf(overlapping)).toEqual(expectedAlerts);

    // places taken on arrival (as the router does), the second body ready first
    const arrival = await setup(await databases.init(databaseId));
    const [placeA, placeB] = [arrival.service.reserve(), arrival.service.reserve()];
    const secondDone = arrival.service.ingest(second, placeB);
    await new Promise(r => setTimeout(r, 50));
    const firstDone = arrival.service.ingest(first, placeA);
    expect(await Promise.all([firstDone, secondDone])).toEqual(expected);
    expect(await alertsOf(arrival)).toEqual(expectedAlerts);

    // a place given up (a request that ended without a batch) does not hold the ones after it
    const [gone, next] = [arrival.service.reserve(), arrival.service.reserve()];
    gone.release();
    gone.release();
    await expect(arrival.service.ingest(first, next)).resolves.toMatchObject({ accepted: 0, duplicates: 4 });
    await expect(next.run(async () => 1)).rejects.toThrow('already used');
  });

  it('refuses a batch over the line limit before storing anything', async () => {
    const t = await setup(await databases.init(databaseId));
    const body = ndjson(Array.from({ length: 101 }, (_, i) => egressDeny(iso(T0, i))));
    await expect(t.service.ingest(body)).rejects.toThrow('101 lines in one batch; at most 100');
    expect((await t.store.listEvents({ limit: 10 })).items).toEqual([]);
  });
});
