import { AlertRecord, groupKeyOf } from './alerts';
import { GroupableDetection, groupDetections } from './grouping';

const T = Date.parse('2026-12-07T10:00:00Z');
const MIN = 60_000;
const NOW = '2026-12-07T12:00:00.000Z';

function det(over: Partial<GroupableDetection> = {}): GroupableDetection {
  return { rule: 'weight-store-bulk-read', title: 'Bulk read', severity: 'medium', principal: 'eve@corp.example', resource: 'wacct/weights', time: T, eventIds: ['e1'], ...over };
}

function run(dets: GroupableDetection[], open: AlertRecord[] = [], linked = new Map<string, Set<string>>()) {
  let n = 0;
  return groupDetections(dets, {
    openAlerts: new Map(open.map(a => [a.groupKey, a])),
    linked,
    windowMinutes: 60,
    now: NOW,
    newId: () => `new-${++n}`,
    resolvePrincipal: p => (p === 'eve@corp.example' ? 'user:default/eve' : undefined),
  });
}

function stored(over: Partial<AlertRecord> = {}): AlertRecord {
  const d = det();
  return {
    id: 'old', groupKey: groupKeyOf(d), rule: d.rule, title: d.title, severity: 'medium', principal: d.principal, resource: d.resource,
    status: 'acknowledged', firstSeen: new Date(T - 30 * MIN).toISOString(), lastSeen: new Date(T - 20 * MIN).toISOString(), count: 3,
    createdAt: NOW, updatedAt: NOW, version: 4, ...over,
  };
}

describe('groupDetections', () => {
  it('opens one alert for detections of the same rule, principal and resource within the window', () => {
    const changes = run([det(), det({ time: T + 50 * MIN, eventIds: ['e2', 'e1'] }), det({ time: T + 100 * MIN, eventIds: ['e3'] })]);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      opened: true,
      newEventRefs: ['e1', 'e2', 'e3'],
      alert: { id: 'new-1', status: 'new', count: 3, principalRef: 'user:default/eve', firstSeen: '2026-12-07T10:00:00.000Z', lastSeen: '2026-12-07T11:40:00.000Z' },
      history: [{ action: 'opened', actor: 'detections' }],
    });
  });

  it('opens a second alert after a gap longer than the window, and separate alerts per principal or resource', () => {
    const changes = run([det(), det({ time: T + 61 * MIN }), det({ principal: 'bob@corp.example' }), det({ resource: 'wacct/other' })]);
    expect(changes.map(c => [c.alert.principal, c.alert.resource, c.alert.firstSeen])).toEqual([
      ['eve@corp.example', 'wacct/weights', '2026-12-07T10:00:00.000Z'],
      ['bob@corp.example', 'wacct/weights', '2026-12-07T10:00:00.000Z'],
      ['eve@corp.example', 'wacct/other', '2026-12-07T10:00:00.000Z'],
      ['eve@corp.example', 'wacct/weights', '2026-12-07T11:01:00.000Z'],
    ]);
    expect(changes.every(c => c.opened)).toBe(true);
  });

  it('updates the open alert, counting only events it did not have, and raises the severity with a history line', () => {
    const linked = new Map([['old', new Set(['e1'])]]);
    const changes = run([det({ eventIds: ['e1', 'e9'], severity: 'high', eventCount: 5 })], [stored()], linked);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      opened: false,
      newEventRefs: ['e9'],
      previousSeverity: 'medium',
      alert: { id: 'old', status: 'acknowledged', severity: 'high', count: 3 + 1 + 3, lastSeen: '2026-12-07T10:00:00.000Z', version: 4 },
      history: [{ action: 'updated', comment: 'severity raised from medium to high' }],
    });
  });

  it('never lowers the severity and writes no history for a plain update', () => {
    const changes = run([det({ severity: 'low', eventIds: ['e7'] })], [stored({ severity: 'high' })]);
    expect(changes[0].alert.severity).toBe('high');
    expect(changes[0].history).toEqual([]);
  });

  it('opens a new alert when the open one is too old', () => {
    const changes = run([det({ time: T + 90 * MIN })], [stored()]);
    expect(changes[0]).toMatchObject({ opened: true, alert: { id: 'new-1' } });
  });

  it('takes the first seen of a windowed detection from its start', () => {
    const changes = run([det({ start: T - 40 * MIN })]);
    expect(changes[0].alert.firstSeen).toBe('2026-12-07T09:20:00.000Z');
  });
});
