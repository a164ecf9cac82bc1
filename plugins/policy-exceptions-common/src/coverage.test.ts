import {
  CoverageRecord,
  describeCoverage,
  effectiveStatus,
  isExceptedAmong,
  isExceptedFromExport,
  requiredApprovalsFor,
  riskRating,
} from './coverage';

const rec = (over: Partial<CoverageRecord> = {}): CoverageRecord => ({
  id: 'e1',
  controlId: 'FG-K8S-EGRESS-DENY',
  status: 'approved',
  scope: { entityRefs: ['resource:default/rl-cluster'], findingKey: 'egress:data.example.org' },
  startsAt: '2026-12-01T00:00:00.000Z',
  endsAt: '2026-12-15T00:00:00.000Z',
  owner: 'user:default/alice',
  approvedBy: ['user:default/bob', 'user:default/carol'],
  ...over,
});
const subject = { entityRef: 'resource:default/rl-cluster', findingKey: 'egress:data.example.org' };
const inside = new Date('2026-12-07T12:00:00Z');

describe('riskRating', () => {
  it('maps likelihood x impact', () => {
    expect(riskRating('low', 'low')).toBe('low');
    expect(riskRating('low', 'medium')).toBe('low');
    expect(riskRating('medium', 'medium')).toBe('medium');
    expect(riskRating('high', 'low')).toBe('medium');
    expect(riskRating('high', 'medium')).toBe('high');
    expect(riskRating('high', 'high')).toBe('critical');
  });
  it('needs two reviewers for high and critical only', () => {
    expect(requiredApprovalsFor('low')).toBe(1);
    expect(requiredApprovalsFor('medium')).toBe(1);
    expect(requiredApprovalsFor('high')).toBe(2);
    expect(requiredApprovalsFor('critical')).toBe(2);
  });
});

describe('effectiveStatus', () => {
  it('is active inside the window, approved before, expired after', () => {
    expect(effectiveStatus(rec(), inside)).toBe('active');
    expect(effectiveStatus(rec(), new Date('2026-11-30T23:59:59Z'))).toBe('approved');
    expect(effectiveStatus(rec(), new Date('2026-12-15T00:00:00Z'))).toBe('expired');
  });
  it('a suspended exception past its end is expired; others keep their status', () => {
    expect(effectiveStatus(rec({ status: 'suspended' }), inside)).toBe('suspended');
    expect(effectiveStatus(rec({ status: 'suspended' }), new Date('2027-01-01Z'))).toBe('expired');
    expect(effectiveStatus(rec({ status: 'revoked' }), inside)).toBe('revoked');
    expect(effectiveStatus(rec({ status: 'submitted' }), new Date('2027-01-01Z'))).toBe('submitted');
  });
});

describe('isExceptedAmong', () => {
  it('covers an exact finding while active, naming the exception, end and approvers', () => {
    const r = isExceptedAmong([rec()], 'FG-K8S-EGRESS-DENY', subject, inside);
    expect(r).toMatchObject({ excepted: true, exceptionId: 'e1', until: '2026-12-15T00:00:00.000Z' });
    expect(describeCoverage(r)).toBe('excepted until 2026-12-15T00:00:00.000Z, by bob, carol');
  });
  it('the finding is open again once the clock passes the end', () => {
    const r = isExceptedAmong([rec()], 'FG-K8S-EGRESS-DENY', subject, new Date('2026-12-15T00:00:00Z'));
    expect(r.excepted).toBe(false);
    expect(describeCoverage(r)).toBe('open');
  });
  it.each([
    ['another control', 'FG-K8S-RBAC', subject],
    ['another entity', 'FG-K8S-EGRESS-DENY', { ...subject, entityRef: 'resource:default/other' }],
    ['another finding', 'FG-K8S-EGRESS-DENY', { ...subject, findingKey: 'egress:evil.example.com' }],
    ['the whole control when narrowed to a finding', 'FG-K8S-EGRESS-DENY', { entityRef: subject.entityRef }],
  ])('does not cover %s', (_n, control, s) => {
    expect(isExceptedAmong([rec()], control, s, inside).excepted).toBe(false);
  });
  it.each(['suspended', 'revoked', 'submitted', 'rejected', 'withdrawn', 'draft'] as const)(
    'a %s exception never covers',
    status => {
      expect(isExceptedAmong([rec({ status })], 'FG-K8S-EGRESS-DENY', subject, inside).excepted).toBe(false);
    },
  );
  it('an exception without finding key covers every finding of the control on its entities; refs compare case-insensitively', () => {
    const r = rec({ scope: { entityRefs: ['Resource:default/RL-cluster'] } });
    expect(isExceptedAmong([r], 'FG-K8S-EGRESS-DENY', subject, inside).excepted).toBe(true);
    expect(isExceptedAmong([r], 'FG-K8S-EGRESS-DENY', { entityRef: subject.entityRef }, inside).excepted).toBe(true);
  });
  it('names the covering exception that lasts longest', () => {
    const r = isExceptedAmong(
      [rec(), rec({ id: 'e2', endsAt: '2026-12-20T00:00:00.000Z' }), rec({ id: 'e3', endsAt: '2027-01-01T00:00:00.000Z', status: 'revoked' })],
      'FG-K8S-EGRESS-DENY', subject, inside);
    expect(r.exceptionId).toBe('e2');
  });
  it('answers the same from an export', () => {
    const exp = { items: [rec()] };
    expect(isExceptedFromExport(exp, 'FG-K8S-EGRESS-DENY', subject, inside).excepted).toBe(true);
    expect(isExceptedFromExport(exp, 'FG-K8S-EGRESS-DENY', subject, new Date('2026-12-16Z')).excepted).toBe(false);
  });
});

describe('model files', () => {
  const { modelFileSubject, sha256OfFindingKey } = jest.requireActual('./modelFiles');
  it('one exact hash is the finding; other keys are not hashes', () => {
    const h = 'A'.repeat(64);
    expect(modelFileSubject(h)).toEqual({ entityRef: 'resource:default/model-registry', findingKey: `sha256:${'a'.repeat(64)}` });
    expect(sha256OfFindingKey(`sha256:${'a'.repeat(64)}`)).toBe('a'.repeat(64));
    expect(sha256OfFindingKey(`sha256:${'a'.repeat(63)}`)).toBeUndefined();
    expect(sha256OfFindingKey('egress:x')).toBeUndefined();
  });
});
