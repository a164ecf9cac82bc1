import type { ExportedGrant } from '@internal/detection-rules';
import { GrantDirectory, grantsForAlert } from './grants';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const EVE_UPN = 'eve@corp.example';
const SCOPE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/wacct';

function grant(over: Partial<ExportedGrant> & { id: string }): ExportedGrant {
  return {
    user: { ref: 'user:default/eve', email: 'eve@corp.example', upn: 'eve@corp.example', objectId: 'oid-eve' },
    resource: { ref: 'resource:default/weights', azureScope: `${SCOPE}/blobServices/default/containers/weights` },
    role: 'reader', status: 'active', start: '2026-12-07T08:00:00Z', end: '2026-12-07T20:00:00Z', revokedAt: null,
    ...over,
  };
}

describe('grantsForAlert', () => {
  const alert = { principal: 'Eve@corp.example', resource: 'wacct/weights' };

  it('finds the active grants of the principal on the resource, by UPN, object id or ref', () => {
    const grants = [
      grant({ id: 'g1' }),
      grant({ id: 'g2', resource: { ref: 'resource:default/acct', azureScope: SCOPE } }),
      grant({ id: 'g3', user: { ref: 'user:default/eve', objectId: 'oid-eve' } }),
    ];
    expect(grantsForAlert(alert, grants, NOW).map(g => g.id)).toEqual(['g1', 'g2']);
    expect(grantsForAlert({ principal: 'oid-eve', resource: 'wacct/weights' }, grants, NOW).map(g => g.id)).toEqual(['g1', 'g2', 'g3']);
  });

  it('leaves out ended, revoked, scheduled grants, other people and other stores', () => {
    const grants = [
      grant({ id: 'ended', end: '2026-12-07T11:00:00Z' }),
      grant({ id: 'revoked', revokedAt: '2026-12-07T09:00:00Z', status: 'revoked' }),
      grant({ id: 'later', start: '2026-12-07T13:00:00Z', status: 'scheduled' }),
      grant({ id: 'bob', user: { ref: 'user:default/bob', upn: 'bob@corp.example' } }),
      grant({ id: 'other-container', resource: { ref: 'resource:default/x', azureScope: `${SCOPE}/blobServices/default/containers/datasets` } }),
      grant({ id: 'other-account', resource: { ref: 'resource:default/y', azureScope: SCOPE.replace('wacct', 'wacct2') } }),
    ];
    expect(grantsForAlert(alert, grants, NOW)).toEqual([]);
  });

  it('matches by catalog refs when the alert has them', () => {
    const g = grant({ id: 'k8s', resource: { ref: 'resource:default/rl-cluster' } });
    expect(grantsForAlert({ principal: 'x', principalRef: 'user:default/eve', resource: 'ns/pods', resourceRef: 'resource:default/rl-cluster' }, [g], NOW)).toHaveLength(1);
  });
});

describe('GrantDirectory', () => {
  it('resolves principals and stores to catalog refs', () => {
    const d = new GrantDirectory([grant({ id: 'g1' }), grant({ id: 'g2', resource: { ref: 'resource:default/acct', azureScope: SCOPE } })]);
    expect(d.principalRef('EVE@corp.example')).toBe('user:default/eve');
    expect(d.principalRef('oid-eve')).toBe('user:default/eve');
    expect(d.principalRef('mallory@corp.example')).toBeUndefined();
    expect(d.resourceRef('wacct/weights')).toBe('resource:default/weights');
    expect(d.resourceRef('wacct/other')).toBe('resource:default/acct');
    expect(d.resourceRef('elsewhere/x')).toBeUndefined();
  });

  it('takes the catalog\'s names first and the grant export\'s where the catalog has none', () => {
    const d = new GrantDirectory([grant({ id: 'g1' })], {
      users: [{ ref: 'user:default/erin', names: ['erin@corp.example', 'oid-erin'] }, { ref: 'user:default/eve2', names: [EVE_UPN] }],
      stores: [{ ref: 'resource:default/catalog-weights', azureScope: `${SCOPE}/blobServices/default/containers/weights` }],
    });
    expect(d.principalRef('OID-ERIN')).toBe('user:default/erin');
    expect(d.principalRef(EVE_UPN)).toBe('user:default/eve2');
    expect(d.principalRef('oid-eve')).toBe('user:default/eve');
    expect(d.resourceRef('wacct/weights')).toBe('resource:default/catalog-weights');
  });

  it('resolves Kubernetes resource names by their namespace, with or without the cluster in front', () => {
    const d = new GrantDirectory([], { users: [], stores: [], namespaces: [{ ref: 'resource:default/research-sandbox-namespace', namespace: 'research-sandbox' }] });
    expect(d.resourceRef('research-sandbox/pods/exec/notebook-0')).toBe('resource:default/research-sandbox-namespace');
    expect(d.resourceRef('training-cluster/research-sandbox/pods/exec/notebook-0')).toBe('resource:default/research-sandbox-namespace');
    expect(d.resourceRef('training/pods/exec/trainer-0')).toBeUndefined();
  });
});
