import { decisionTimeSummary, median, readsDecidedRequest, RECENT_DECISIONS } from './decisionTimes';

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const ERIN = 'user:default/erin';
const R1 = 'resource:default/one';
const R2 = 'resource:default/two';

let n = 0;
function decided(over: { minutes: number; requester?: string; resourceRef?: string; policy?: string; status?: 'approved' | 'denied' | 'withdrawn' | 'expired'; reviewer?: string; selfService?: boolean }) {
  const created = Date.parse('2026-03-01T10:00:00.000Z') + n++ * 3_600_000;
  return {
    resourceRef: over.resourceRef ?? R1,
    requester: over.requester ?? ALICE,
    status: over.status ?? 'approved',
    createdAt: new Date(created).toISOString(),
    decidedAt: new Date(created + over.minutes * 60_000).toISOString(),
    selfService: over.selfService ?? false,
    reviews: over.reviewer ? [{ reviewer: over.reviewer }] : [],
    policy: { name: over.policy ?? 'p1' },
  } as any;
}

describe('decision time summary', () => {
  it('median of odd and even counts', () => {
    expect(median([])).toBeUndefined();
    expect(median([30, 10, 20])).toBe(20);
    expect(median([10, 40, 20, 30])).toBe(25);
  });

  it('counts only the requests the viewer may read (requester, reviewer, or read-all)', () => {
    const all = [
      decided({ minutes: 60 }),
      decided({ minutes: 120, status: 'denied' }),
      decided({ minutes: 10, requester: ERIN, reviewer: BOB }),
      decided({ minutes: 20, requester: ERIN }),
    ];
    expect(decisionTimeSummary(all, { resourceRef: R1, viewer: ALICE, canReadAll: false })).toEqual({ basis: 'resource', decided: 2, medianMinutes: 90 });
    expect(decisionTimeSummary(all, { resourceRef: R1, viewer: BOB, canReadAll: false })).toEqual({ basis: 'resource', decided: 1, medianMinutes: 10 });
    expect(decisionTimeSummary(all, { resourceRef: R1, viewer: BOB, canReadAll: true })).toEqual({ basis: 'resource', decided: 4, medianMinutes: 40 });
    // someone who reads none of them learns nothing
    expect(decisionTimeSummary(all, { resourceRef: R1, viewer: 'user:default/mallory', canReadAll: false })).toEqual({ basis: 'none', decided: 0 });
    expect(readsDecidedRequest(all[2], BOB, false)).toBe(true);
    expect(readsDecidedRequest(all[3], BOB, false)).toBe(false);
  });

  it('leaves out self-service, withdrawn and expired requests', () => {
    const all = [
      decided({ minutes: 60 }),
      decided({ minutes: 0, selfService: true }),
      decided({ minutes: 5, status: 'withdrawn' }),
      decided({ minutes: 1440, status: 'expired' }),
    ];
    expect(decisionTimeSummary(all, { resourceRef: R1, viewer: ALICE, canReadAll: false })).toEqual({ basis: 'resource', decided: 1, medianMinutes: 60 });
  });

  it('falls back to the policy when the resource has too few decisions', () => {
    const all = [
      decided({ minutes: 60 }),
      decided({ minutes: 30, resourceRef: R2 }),
      decided({ minutes: 90, resourceRef: R2 }),
      decided({ minutes: 5, resourceRef: R2, policy: 'other' }),
    ];
    expect(decisionTimeSummary(all, { resourceRef: R1, policyName: 'p1', viewer: ALICE, canReadAll: false })).toEqual({ basis: 'policy', decided: 3, medianMinutes: 60 });
    expect(decisionTimeSummary(all, { resourceRef: R1, viewer: ALICE, canReadAll: false })).toEqual({ basis: 'resource', decided: 1, medianMinutes: 60 });
  });

  it('uses only the most recent decisions', () => {
    const old = Array.from({ length: RECENT_DECISIONS }, () => decided({ minutes: 1000 }));
    const recent = Array.from({ length: RECENT_DECISIONS }, () => decided({ minutes: 10 }));
    expect(decisionTimeSummary([...old, ...recent], { resourceRef: R1, viewer: ALICE, canReadAll: false })).toEqual({
      basis: 'resource', decided: RECENT_DECISIONS, medianMinutes: 10,
    });
  });
});
