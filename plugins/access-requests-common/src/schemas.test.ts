import { accessPolicySchema, breakGlassBodySchema, createRequestBodySchema, describeZodError } from './schemas';
import { BREAK_GLASS_MAX_MINUTES } from './grants';
import { accessRequestsPermissions } from './permissions';

const valid = {
  name: 'weights', kind: 'rigid', maxDurationMinutes: 480,
  roles: [{ id: 'blob-reader', title: 'Reader', allows: ['blob:read'], privilege: 1,
    approvals: [{ group: 'group:default/security-reviewers', count: 2 }] }],
};

describe('accessPolicySchema', () => {
  it('accepts a valid policy and applies defaults', () => {
    const p = accessPolicySchema.parse(valid);
    expect(p.requireJustification).toBe(true);
    expect(p.requireTicket).toBe(false);
  });
  it('refuses self-service roles in rigid policies', () => {
    const r = accessPolicySchema.safeParse({ ...valid, roles: [{ ...valid.roles[0], approvals: [], selfService: true }] });
    expect(r.success).toBe(false);
    expect(describeZodError(r.error!)).toContain('roles.0.selfService');
  });
  it('refuses a non self-service role without approvals', () => {
    const r = accessPolicySchema.safeParse({ ...valid, roles: [{ ...valid.roles[0], approvals: [] }] });
    expect(describeZodError(r.error!)).toContain('roles.0.approvals');
  });
  it('refuses bad group refs, zero counts, duplicate role ids and unknown keys', () => {
    const bad = accessPolicySchema.safeParse({
      ...valid, extra: 1,
      roles: [
        { ...valid.roles[0], approvals: [{ group: 'security', count: 0 }] },
        valid.roles[0],
      ],
    });
    const msg = describeZodError(bad.error!);
    expect(msg).toContain('roles.0.approvals.0.group');
    expect(msg).toContain('roles.0.approvals.0.count');
    expect(msg).toContain('duplicate role id');
    expect(msg).toMatch(/extra|Unrecognized/);
  });
  it('accepts the owner placeholder', () => {
    expect(accessPolicySchema.safeParse({ ...valid, roles: [{ ...valid.roles[0], approvals: [{ group: 'owner', count: 1 }] }] }).success).toBe(true);
  });
});

describe('createRequestBodySchema', () => {
  it('names the field in errors', () => {
    const r = createRequestBodySchema.safeParse({ resourceRef: 'nope', roleId: 'x', durationMinutes: 0 });
    const msg = describeZodError(r.error!);
    expect(msg).toContain('resourceRef');
    expect(msg).toContain('durationMinutes');
  });
});

describe('permissions', () => {
  it('exports exactly the contract names', () => {
    expect(accessRequestsPermissions.map(p => p.name).sort()).toEqual([
      'access-requests.break-glass',
      'access-requests.grant.post-hoc-review',
      'access-requests.grant.read',
      'access-requests.grant.revoke',
      'access-requests.read-all',
      'access-requests.request.create',
      'access-requests.request.read',
      'access-requests.request.review',
    ]);
  });
});

describe('policy extras', () => {
  it('refuses an invalid ticketPattern and denialsToReject on rigid policies', () => {
    const r = accessPolicySchema.safeParse({ ...valid, ticketPattern: '([', denialsToReject: 2 });
    const msg = describeZodError(r.error!);
    expect(msg).toContain('ticketPattern');
    expect(msg).toContain('denialsToReject');
  });
});

describe('breakGlassBodySchema', () => {
  const bg = { resourceRef: 'resource:default/w7b', roleId: 'blob-reader', durationMinutes: 30, justification: 'prod outage now' };
  it('accepts a valid body', () => {
    expect(breakGlassBodySchema.safeParse(bg).success).toBe(true);
  });
  it('counts the justification without surrounding blanks (as the form does)', () => {
    const r = breakGlassBodySchema.safeParse({ ...bg, justification: '          outage   ' });
    expect(r.success).toBe(false);
    expect(describeZodError(r.error!)).toContain('justification');
  });
  it(`refuses more than ${BREAK_GLASS_MAX_MINUTES} minutes`, () => {
    const r = breakGlassBodySchema.safeParse({ ...bg, durationMinutes: BREAK_GLASS_MAX_MINUTES + 1 });
    expect(describeZodError(r.error!)).toContain('durationMinutes');
  });
});
