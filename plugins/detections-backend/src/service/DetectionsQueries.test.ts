import type { DashboardSummary } from '@internal/plugin-detections-common';
import { GrantDirectory } from '../domain/grants';
import { withPrincipalRefs } from './DetectionsQueries';

const summary = (): DashboardSummary => ({
  from: '2026-12-07T00:00:00.000Z',
  to: '2026-12-08T00:00:00.000Z',
  totals: { events: 10, alertsOpen: 2, alertsBySeverity: { critical: 0, high: 1, medium: 1, low: 0, informational: 0 } },
  alertsOverTime: [],
  openAlertsByRule: [],
  topPrincipals: [
    { principal: 'Erin@Frontier.example', alerts: 3 },
    { principal: 'alice@frontier.example', principalRef: 'user:default/someone-else', alerts: 2 },
    { principal: '10.0.0.7', alerts: 1 },
  ],
  topResources: [],
  signInsByCountry: [],
  egressDeniesByDestination: [],
  weightReadsByPrincipal: [
    { principal: 'oid-erin', bytes: 5, reads: 2 },
    { principal: 'unknown@elsewhere.example', bytes: 3, reads: 1 },
  ],
});

describe('withPrincipalRefs', () => {
  const directory = new GrantDirectory([], {
    users: [
      { ref: 'user:default/erin', names: ['erin@frontier.example', 'oid-erin'] },
      { ref: 'user:default/alice', names: ['alice@frontier.example'] },
    ],
    stores: [],
  });

  it('names weight-store readers and top principals by their catalog user (UPN case-insensitive, object id)', () => {
    const out = withPrincipalRefs(summary(), directory);
    expect(out.weightReadsByPrincipal).toEqual([
      { principal: 'oid-erin', principalRef: 'user:default/erin', bytes: 5, reads: 2 },
      { principal: 'unknown@elsewhere.example', bytes: 3, reads: 1 },
    ]);
    expect(out.topPrincipals).toEqual([
      { principal: 'Erin@Frontier.example', principalRef: 'user:default/erin', alerts: 3 },
      // the ref an alert already carries is kept
      { principal: 'alice@frontier.example', principalRef: 'user:default/someone-else', alerts: 2 },
      { principal: '10.0.0.7', alerts: 1 },
    ]);
    expect(out.totals).toEqual(summary().totals);
  });

  it('leaves the answer as stored without a directory', () => {
    expect(withPrincipalRefs(summary(), undefined)).toEqual(summary());
  });
});
