import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { AdjustableClock } from '@internal/clock';
import type { Detection } from '@internal/detection-rules';
import { DetectionsStore } from '../store/DetectionsStore';
import { ALICE, EVE, NOW, grantOf } from '../__testUtils__/fixtures';
import { AlertNotifier } from './AlertNotifier';
import { LiveGrantIndex } from './liveGrants';
import { SentinelImport } from './SentinelImport';

jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const EXEC = 'k8s-exec-research-namespace';
const BULK = 'weight-store-bulk-read';
const min = (m: number) => NOW.getTime() + m * 60_000;

function det(rule: string, principal: string, time: number, id: string, severity: Detection['severity'] = 'high'): Detection {
  return { rule, title: rule, severity, principal, resource: 'aks1/research-llm/pods/exec/p1', time, eventIds: [id], eventCount: 1, details: { source: 'log-analytics' } };
}

/** Unit-level fake of the reader: the rows the workspace holds, returned for any range (as a re-read would). */
class FakeReader {
  rows: Detection[] = [];
  failing = new Set<string>();
  ranges: Array<{ from: Date; to: Date }> = [];
  listRules() {
    return [EXEC, BULK].map(id => ({ id, title: id, severity: 'high' as const, kql: '' }));
  }
  async readDetections(range: { from: Date; to: Date }) {
    this.ranges.push(range);
    const detections = this.rows.filter(d => !this.failing.has(d.rule));
    return {
      detections,
      rows: { [EXEC]: detections.length },
      errors: [...this.failing].map(rule => ({ rule, error: 'query failed', partial: false })),
    };
  }
}

async function setup(knex: any) {
  const store = await DetectionsStore.create({ knex });
  const clock = new AdjustableClock({ now: () => NOW });
  const grants = new LiveGrantIndex();
  grants.replace([grantOf({ id: 'g-alice', user: { ref: 'user:default/alice', upn: ALICE } })], NOW);
  const sent: any[] = [];
  const notifier = new AlertNotifier({ send: async (n: any) => { sent.push(n); } } as any, 'group:default/security-reviewers', mockServices.logger.mock());
  const reader = new FakeReader();
  const importer = new SentinelImport({ reader, workspaceId: 'ws1', store, grants, notifier, clock, windowMinutes: 60, firstReadMinutes: 60 });
  return { store, clock, sent, notifier, reader, importer };
}

describe.each(databases.eachSupportedId())('SentinelImport on %p', databaseId => {
  it('opens alerts from the rows read, updates them with newer rows, and changes nothing when the same rows are read again', async () => {
    const t = await setup(await databases.init(databaseId));
    t.reader.rows = [det(EXEC, ALICE, min(-30), 'c1'), det(EXEC, ALICE, min(-20), 'c2'), det(BULK, EVE, min(-10), 'c3', 'critical')];
    const first = await t.importer.importOnce();
    expect(first).toMatchObject({ detections: 3, skipped: 0, alertsOpened: 2, alertsUpdated: 0 });
    expect(t.reader.ranges[0]).toEqual({ from: new Date(min(-60)), to: NOW });
    let alerts = (await t.store.listAlerts({ limit: 50 })).items;
    const exec = alerts.find(a => a.rule === EXEC)!;
    expect(exec).toMatchObject({ principal: ALICE, principalRef: 'user:default/alice', count: 2, status: 'new', lastSeen: new Date(min(-20)).toISOString() });
    await t.notifier.drain();
    expect(t.sent.map(n => n.payload.link).sort()).toEqual(alerts.map(a => `/detections/alerts/${a.id}`).sort());

    // next run: the same rows again plus a newer one in the window → the open alert is updated once
    t.clock.set(new Date(min(60)));
    t.reader.rows.push(det(EXEC, ALICE, min(30), 'c4'));
    const second = await t.importer.importOnce();
    expect(second).toMatchObject({ detections: 1, skipped: 3, alertsOpened: 0, alertsUpdated: 1 });
    expect(t.reader.ranges[1]).toEqual({ from: NOW, to: new Date(min(60)) });
    alerts = (await t.store.listAlerts({ limit: 50 })).items;
    expect(alerts).toHaveLength(2);
    expect(alerts.find(a => a.id === exec.id)).toMatchObject({ count: 3, lastSeen: new Date(min(30)).toISOString() });

    // the same rows read once more: nothing changes, nobody is told again
    t.clock.set(new Date(min(90)));
    const before = (await t.store.listAlerts({ limit: 50 })).items;
    const third = await t.importer.importOnce();
    expect(third).toMatchObject({ detections: 0, skipped: 4, alertsOpened: 0, alertsUpdated: 0 });
    expect((await t.store.listAlerts({ limit: 50 })).items).toEqual(before);
    await t.notifier.drain();
    expect(t.sent).toHaveLength(2);
  });

  it('keeps the mark of a rule whose query failed, so its rows are stored when it answers again', async () => {
    const t = await setup(await databases.init(databaseId));
    t.reader.rows = [det(EXEC, ALICE, min(-30), 'c1'), det(BULK, EVE, min(-10), 'c3')];
    t.reader.failing.add(BULK);
    expect(await t.importer.importOnce()).toMatchObject({ detections: 1, alertsOpened: 1 });
    t.clock.set(new Date(min(60)));
    t.reader.failing.clear();
    const again = await t.importer.importOnce();
    // read from the failed rule's old mark; the other rule's row is not stored twice
    expect(t.reader.ranges[1].from).toEqual(new Date(min(-60)));
    expect(again).toMatchObject({ detections: 1, skipped: 1, alertsOpened: 1, alertsUpdated: 0 });
    const alerts = (await t.store.listAlerts({ limit: 50 })).items;
    expect(alerts.map(a => [a.rule, a.count]).sort()).toEqual([[EXEC, 1], [BULK, 1]].sort());
  });
});
