import type { AuditorService } from '@backstage/backend-plugin-api';
import type { ExportedGrant } from '@internal/detection-rules';
import type { AlertRecord } from '../domain/alerts';
import type { DetectionsStore } from '../store/DetectionsStore';
import { AlertsService } from './AlertsService';
import type { GrantsApi } from './AccessRequestsGrants';

/**
 * Which grants a revoke from an alert would end: "in force now" is access-requests' answer, taken
 * at the time of its export, not this plugin's clock (the two processes' clocks may differ; in the
 * demo and browser tests access-requests' clock is moved forward).
 */
const ALERT = { id: 'a1', principal: 'erin@frontier-lab.example', principalRef: 'user:default/erin', resource: 'frontierweights/frontier-7b', resourceRef: 'resource:default/weights-frontier-7b' } as unknown as AlertRecord;
const grant = (start: string, end: string, extra: Partial<ExportedGrant> = {}): ExportedGrant => ({
  id: `g-${start}`,
  user: { ref: 'user:default/erin', email: 'erin@frontier-lab.example' },
  resource: { ref: 'resource:default/weights-frontier-7b' },
  role: 'blob-reader',
  status: 'active',
  start,
  end,
  ...extra,
});

function service(grants: ExportedGrant[], generatedAt: Date | undefined, now: string) {
  const api: GrantsApi = { exportGrants: async () => ({ grants, generatedAt }), revoke: async () => {} };
  const store = { getAlert: async (id: string) => (id === 'a1' ? ALERT : undefined) } as unknown as DetectionsStore;
  return new AlertsService({ store, auditor: {} as AuditorService, clock: { now: () => new Date(now) } as any, grants: api } as any);
}

describe('AlertsService.grantsFor', () => {
  // access-requests' clock is two days ahead of ours; the grant started there an hour ago
  const theirNow = new Date('2026-12-09T12:00:00Z');
  const held = grant('2026-12-09T11:00:00Z', '2026-12-09T15:00:00Z');

  it("lists a grant in force at the export's time even when it starts after this plugin's now", async () => {
    const grants = await service([held], theirNow, '2026-12-07T12:00:00Z').grantsFor('a1');
    expect(grants.map(g => g.grantId)).toEqual([held.id]);
  });

  it("leaves out a grant already over at the export's time, though in force by this plugin's clock", async () => {
    const over = grant('2026-12-07T11:00:00Z', '2026-12-07T15:00:00Z');
    expect(await service([over], theirNow, '2026-12-07T12:00:00Z').grantsFor('a1')).toEqual([]);
  });

  it('falls back to its own clock for an export without a time, and never lists revoked grants', async () => {
    const revoked = grant('2026-12-07T11:00:00Z', '2026-12-07T15:00:00Z', { id: 'g-revoked', status: 'revoked', revokedAt: '2026-12-07T11:30:00Z' });
    const ours = grant('2026-12-07T11:00:00Z', '2026-12-07T15:00:00Z', { id: 'g-ours' });
    const grants = await service([revoked, ours], undefined, '2026-12-07T12:00:00Z').grantsFor('a1');
    expect(grants.map(g => g.grantId)).toEqual(['g-ours']);
  });
});
