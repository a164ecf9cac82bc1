import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { AdjustableClock } from '@internal/clock';
import type { Detection } from '@internal/detection-rules';
import { rowKey, type WorkspaceRange } from '../sentinel';
import { DetectionsStore } from '../store/DetectionsStore';
import { ALICE, EVE, NOW, grantOf } from '../__testUtils__/fixtures';
import { AlertNotifier } from './AlertNotifier';
import { LiveGrantIndex } from './liveGrants';
import { SentinelImport, readStart } from './SentinelImport';

jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const EXEC = 'k8s-exec-research-namespace';
const BULK = 'weight-store-bulk-read';
const min = (m: number) => NOW.getTime() + m * 60_000;
const hour = 60;

/** A row of the workspace: the detection it maps to, when it became queryable, and whether it is an aggregate. */
interface WorkspaceRow {
  d: Detection;
  ingestedAt: number;
  aggregated?: boolean;
}

function det(rule: string, principal: string, time: number, id: string, severity: Detection['severity'] = 'high'): Detection {
  return { rule, title: rule, severity, principal, resource: 'aks1/research-llm/pods/exec/p1', time, eventIds: [id], eventCount: 1, details: { source: 'log-analytics', id } };
}

/**
 * Unit-level fake of the reader with the workspace's time semantics: a rule's query returns the
 * rows whose time is in its range [fromByRule[rule] ?? from, to) and that were ingested by the time
 * of the query (a row reaches the workspace minutes after its TimeGenerated).
 */
class FakeWorkspace {
  rows: WorkspaceRow[] = [];
  failing = new Set<string>();
  ranges: WorkspaceRange[] = [];
  constructor(private readonly clock: AdjustableClock) {}
  add(d: Detection, ingestedAt = d.time, aggregated = false) {
    this.rows.push({ d, ingestedAt, aggregated });
  }
  listRules() {
    return [EXEC, BULK].map(id => ({ id, title: id, severity: 'high' as const, kql: '' }));
  }
  async readDetections(range: WorkspaceRange) {
    this.ranges.push(range);
    const now = this.clock.now().getTime();
    const found = this.rows.filter(({ d, ingestedAt }) => {
      const from = (range.fromByRule?.[d.rule] ?? range.from).getTime();
      return !this.failing.has(d.rule) && d.time >= from && d.time < range.to.getTime() && ingestedAt <= now;
    });
    const rows: Record<string, number> = {};
    for (const r of found) rows[r.d.rule] = (rows[r.d.rule] ?? 0) + 1;
    return {
      // keyed as the real reader keys them: a record by its whole row, an aggregate by what it is about
      detections: found.map(({ d, aggregated }) => ({ ...d, rowKey: rowKey(d.rule, d, aggregated ? undefined : { t: d.time, id: d.eventIds[0] }) })),
      rows,
      errors: [...this.failing].map(rule => ({ rule, error: 'query failed', partial: false })),
    };
  }
}

function recordingAuditor() {
  const events: any[] = [];
  return {
    events,
    createEvent: async (o: any) => {
      const ev = { ...o, status: 'initiated' };
      events.push(ev);
      return { success: async () => void (ev.status = 'succeeded'), fail: async () => void (ev.status = 'failed') };
    },
  };
}

async function setup(knex: any, o: { overlapMinutes?: number; maxLookbackMinutes?: number } = {}) {
  const store = await DetectionsStore.create({ knex });
  const clock = new AdjustableClock({ now: () => NOW });
  const grants = new LiveGrantIndex();
  grants.replace([grantOf({ id: 'g-alice', user: { ref: 'user:default/alice', upn: ALICE } })], NOW);
  const sent: any[] = [];
  const notifier = new AlertNotifier({ send: async (n: any) => { sent.push(n); } } as any, 'group:default/security-reviewers', mockServices.logger.mock());
  const workspace = new FakeWorkspace(clock);
  const auditor = recordingAuditor();
  const importer = new SentinelImport({
    reader: workspace, workspaceId: 'ws1', store, grants, notifier, clock, windowMinutes: 60, firstReadMinutes: 60,
    overlapMinutes: o.overlapMinutes ?? 15, maxLookbackMinutes: o.maxLookbackMinutes ?? 24 * hour, auditor: auditor as any,
  });
  const alerts = async () => (await store.listAlerts({ limit: 50 })).items;
  return { knex, store, clock, sent, notifier, workspace, importer, auditor, alerts };
}

describe('readStart', () => {
  const o = { overlapMinutes: 15, maxLookbackMinutes: 24 * hour };
  it('starts the overlap before the mark', () => {
    expect(readStart(min(0), min(60), o)).toEqual({ fromMs: min(-15) });
  });
  it('never starts before the look-back, and names the unread time it leaves out', () => {
    expect(readStart(min(-30 * hour), min(0), o)).toEqual({ fromMs: min(-24 * hour), notRead: [min(-30 * hour), min(-24 * hour)] });
    // a mark inside the look-back whose overlap would reach past it: nothing unread is left out
    expect(readStart(min(-24 * hour + 5), min(0), o)).toEqual({ fromMs: min(-24 * hour) });
  });
  it('reads the overlap before now when the mark is later than now (clock set back)', () => {
    expect(readStart(min(90), min(60), o)).toEqual({ fromMs: min(45) });
  });
});

describe.each(databases.eachSupportedId())('SentinelImport on %p', databaseId => {
  it('opens alerts from the rows read, updates them with newer rows, and changes nothing when the same rows are read again', async () => {
    const t = await setup(await databases.init(databaseId));
    t.workspace.add(det(EXEC, ALICE, min(-30), 'c1'));
    t.workspace.add(det(EXEC, ALICE, min(-20), 'c2'));
    t.workspace.add(det(BULK, EVE, min(-10), 'c3', 'critical'));
    const first = await t.importer.importOnce();
    expect(first).toMatchObject({ detections: 3, skipped: 0, alertsOpened: 2, alertsUpdated: 0, notRead: [] });
    // the first read goes back frequencyMinutes (here 60) and the overlap
    expect(t.workspace.ranges[0]).toMatchObject({ from: new Date(min(-75)), to: NOW, fromByRule: { [EXEC]: new Date(min(-75)), [BULK]: new Date(min(-75)) } });
    let alerts = await t.alerts();
    const exec = alerts.find(a => a.rule === EXEC)!;
    expect(exec).toMatchObject({ principal: ALICE, principalRef: 'user:default/alice', count: 2, status: 'new', lastSeen: new Date(min(-20)).toISOString() });
    await t.notifier.drain();
    expect(t.sent.map(n => n.payload.link).sort()).toEqual(alerts.map(a => `/detections/alerts/${a.id}`).sort());

    // next run reads from 15 minutes before the mark: a newer row updates the open alert once
    t.clock.set(new Date(min(60)));
    t.workspace.add(det(EXEC, ALICE, min(30), 'c4'));
    const second = await t.importer.importOnce();
    expect(t.workspace.ranges[1]).toMatchObject({ from: new Date(min(-15)), to: new Date(min(60)) });
    expect(second).toMatchObject({ detections: 1, alertsOpened: 0, alertsUpdated: 1 });
    alerts = await t.alerts();
    expect(alerts).toHaveLength(2);
    expect(alerts.find(a => a.id === exec.id)).toMatchObject({ count: 3, lastSeen: new Date(min(30)).toISOString() });

    // read from the start again (a wide overlap): nothing changes, nobody is told again
    const wide = new SentinelImport({ ...(t.importer as any).o, overlapMinutes: 3 * hour });
    t.clock.set(new Date(min(90)));
    const before = await t.alerts();
    const third = await wide.importOnce();
    expect(third).toMatchObject({ detections: 0, skipped: 4, alertsOpened: 0, alertsUpdated: 0 });
    expect(await t.alerts()).toEqual(before);
    await t.notifier.drain();
    expect(t.sent).toHaveLength(2);
  });

  it('stores a row that reached the workspace after the run that read past its time, on the next run', async () => {
    const t = await setup(await databases.init(databaseId));
    t.workspace.add(det(EXEC, ALICE, min(-40), 'c1'));
    await t.importer.importOnce();
    // stamped 2 minutes before the run at +60, queryable 4 minutes later (ingestion latency)
    t.workspace.add(det(EXEC, ALICE, min(58), 'late'), min(62));
    t.clock.set(new Date(min(60)));
    expect(await t.importer.importOnce()).toMatchObject({ detections: 0 });
    t.clock.set(new Date(min(120)));
    const next = await t.importer.importOnce();
    expect(next).toMatchObject({ detections: 1, alertsOpened: 1 });
    const exec = (await t.alerts()).filter(a => a.rule === EXEC);
    expect(exec.map(a => a.lastSeen)).toContain(new Date(min(58)).toISOString());

    // without the overlap the same late row is never read (what the overlap is for)
    const u = await setup(await databases.init(databaseId), { overlapMinutes: 0 });
    await u.importer.importOnce();
    u.workspace.add(det(EXEC, ALICE, min(58), 'late'), min(62));
    u.clock.set(new Date(min(60)));
    await u.importer.importOnce();
    u.clock.set(new Date(min(120)));
    expect(await u.importer.importOnce()).toMatchObject({ detections: 0 });
    expect(await u.alerts()).toEqual([]);
  });

  it('counts a row read by two overlapping runs once, even when its alert was closed in between', async () => {
    const t = await setup(await databases.init(databaseId));
    t.workspace.add(det(EXEC, ALICE, min(-5), 'c1'));
    expect(await t.importer.importOnce()).toMatchObject({ detections: 1, alertsOpened: 1 });
    const [alert] = await t.alerts();
    // closed by a reviewer: a row grouped again would open a new alert
    await t.knex('detection_alerts').where({ id: alert.id }).update({ status: 'closed', closed_at: new Date(min(1)).toISOString() });
    t.clock.set(new Date(min(5)));
    const again = await t.importer.importOnce();
    expect(t.workspace.ranges[1].fromByRule![EXEC]).toEqual(new Date(min(-15)));
    expect(again).toMatchObject({ detections: 0, skipped: 1, alertsOpened: 0, alertsUpdated: 0 });
    const alerts = await t.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ id: alert.id, status: 'closed', count: 1 });
    await t.notifier.drain();
    expect(t.sent).toHaveLength(1);
  });

  it('adds only the growth of an aggregated row read again with a larger count', async () => {
    const t = await setup(await databases.init(databaseId));
    const bin = (count: number): Detection => ({ ...det(BULK, EVE, min(-2), 'ignored'), eventIds: [], eventCount: count, details: { reads: count } });
    t.workspace.add(bin(12), min(-1), true);
    await t.importer.importOnce();
    expect((await t.alerts())[0]).toMatchObject({ rule: BULK, count: 12 });
    // late reads of the same bin reached the workspace: the re-read row says 15
    t.workspace.rows = [];
    t.workspace.add(bin(15), min(3), true);
    t.clock.set(new Date(min(5)));
    expect(await t.importer.importOnce()).toMatchObject({ detections: 1, alertsUpdated: 1 });
    expect((await t.alerts())[0]).toMatchObject({ count: 15 });
    // the same count again, or a smaller one (part of the bin outside the range): no change
    t.clock.set(new Date(min(8)));
    expect(await t.importer.importOnce()).toMatchObject({ detections: 0, skipped: 1 });
    t.workspace.rows = [];
    t.workspace.add(bin(9), min(3), true);
    t.clock.set(new Date(min(9)));
    expect(await t.importer.importOnce()).toMatchObject({ detections: 0, skipped: 1 });
    const [a] = await t.alerts();
    expect(a.count).toBe(15);
  });

  it('after an outage longer than the look-back reads only the look-back, and says which time it left out', async () => {
    const t = await setup(await databases.init(databaseId), { maxLookbackMinutes: 24 * hour });
    await t.importer.importOnce(); // marks at NOW
    // three days without a run; rows throughout
    t.workspace.add(det(EXEC, ALICE, min(2 * hour), 'in-the-gap'));
    t.workspace.add(det(EXEC, ALICE, min(72 * hour - 2 * hour), 'recent'));
    t.clock.set(new Date(min(72 * hour)));
    const r = await t.importer.importOnce();
    const floor = new Date(min(48 * hour));
    expect(t.workspace.ranges[1]).toMatchObject({ from: floor, fromByRule: { [EXEC]: floor, [BULK]: floor } });
    expect(r.notRead).toEqual([
      { rule: EXEC, from: NOW, to: floor },
      { rule: BULK, from: NOW, to: floor },
    ]);
    expect(r).toMatchObject({ detections: 1, alertsOpened: 1 });
    expect((await t.alerts()).map(a => a.lastSeen)).toEqual([new Date(min(70 * hour)).toISOString()]);
    expect(t.auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'sentinel-lookback-exceeded',
        status: 'succeeded',
        meta: { workspaceId: 'ws1', maxLookbackMinutes: 24 * hour, notRead: [{ rule: EXEC, from: NOW.toISOString(), to: floor.toISOString() }, { rule: BULK, from: NOW.toISOString(), to: floor.toISOString() }] },
      }),
    ]);
    // the marks moved on: the next run reads its overlap and reports nothing left out
    t.clock.set(new Date(min(73 * hour)));
    expect(await t.importer.importOnce()).toMatchObject({ notRead: [], detections: 0 });
    expect(t.auditor.events).toHaveLength(1);
  });

  it('keeps the mark of a rule whose query failed, so its rows are stored when it answers again', async () => {
    const t = await setup(await databases.init(databaseId));
    t.workspace.add(det(EXEC, ALICE, min(-30), 'c1'));
    t.workspace.add(det(BULK, EVE, min(-10), 'c3'));
    t.workspace.failing.add(BULK);
    expect(await t.importer.importOnce()).toMatchObject({ detections: 1, alertsOpened: 1 });
    t.clock.set(new Date(min(60)));
    t.workspace.failing.clear();
    const again = await t.importer.importOnce();
    // the failed rule is read from its old mark (less the overlap), the other from its new one
    expect(t.workspace.ranges[1].fromByRule).toEqual({ [EXEC]: new Date(min(-15)), [BULK]: new Date(min(-75)) });
    expect(again).toMatchObject({ detections: 1, alertsOpened: 1, alertsUpdated: 0 });
    const alerts = await t.alerts();
    expect(alerts.map(a => [a.rule, a.count]).sort()).toEqual([[EXEC, 1], [BULK, 1]].sort());
  });

  it('forgets row keys older than the look-back (they are never read again)', async () => {
    const t = await setup(await databases.init(databaseId), { maxLookbackMinutes: 2 * hour });
    t.workspace.add(det(EXEC, ALICE, min(-30), 'c1'));
    await t.importer.importOnce();
    expect(Number((await t.knex('detection_read_rows').count({ n: '*' }))[0].n)).toBe(1);
    // look-back 2 h + overlap 15 min + 24 h margin later the key is gone
    t.clock.set(new Date(min(-30 + 26 * hour + 16)));
    await t.importer.importOnce();
    expect(Number((await t.knex('detection_read_rows').count({ n: '*' }))[0].n)).toBe(0);
  });
});
