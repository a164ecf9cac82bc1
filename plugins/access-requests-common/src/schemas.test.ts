import {
  accessPolicySchema,
  breakGlassBodySchema,
  createRequestBodySchema,
  describeZodError,
  listGrantsQuerySchema,
  postHocReviewBodySchema,
  renewBodySchema,
  reviewBodySchema,
  revokeBodySchema,
} from './schemas';
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

describe('free text and refs (shared input validation)', () => {
  const base = { resourceRef: 'resource:default/w', roleId: 'blob-reader', durationMinutes: 10 };
  it.each([
    ['justification', 'NUL', 'a\u0000b', 'NUL'],
    ['justification', 'right-to-left override', 'a\u202eb', 'bidirectional'],
    ['justification', 'ANSI escape', '\u001b[2Kapproved', 'ANSI escape'],
    ['justification', 'bare CR', 'a\rb', 'bare carriage return'],
    ['ticket', 'line break', 'SEC-1\nSEC-2', 'single line'],
  ])('refuses %s with %s, naming the field', (field, _what, value, reason) => {
    const r = createRequestBodySchema.safeParse({ ...base, [field]: value });
    expect(r.success).toBe(false);
    const msg = describeZodError(r.error!);
    expect(msg.startsWith(`${field}: `)).toBe(true);
    expect(msg).toContain(reason);
  });
  it('normalizes entity refs and keeps multi-line justifications', () => {
    const r = createRequestBodySchema.parse({ ...base, resourceRef: 'Resource:default/W', justification: 'line 1\nline 2' });
    expect(r.resourceRef).toBe('resource:default/w');
    expect(r.justification).toBe('line 1\nline 2');
  });
  it('every free-text body schema refuses control characters', () => {
    const bad = 'x\u0007';
    expect(reviewBodySchema.safeParse({ decision: 'deny', comment: bad }).success).toBe(false);
    expect(revokeBodySchema.safeParse({ reason: bad }).success).toBe(false);
    expect(renewBodySchema.safeParse({ durationMinutes: 5, justification: bad }).success).toBe(false);
    expect(postHocReviewBodySchema.safeParse({ decision: 'flag', comment: bad }).success).toBe(false);
    expect(breakGlassBodySchema.safeParse({ ...base, durationMinutes: 5, justification: `${'long enough text '.repeat(3)}${bad}` }).success).toBe(false);
    expect(listGrantsQuerySchema.safeParse({ resourceRef: 'resource:default/\u0000' }).success).toBe(false);
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
