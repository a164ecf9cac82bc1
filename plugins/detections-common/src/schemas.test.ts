import {
  assignBodySchema,
  closeBodySchema,
  describeZodError,
  listAlertsQuerySchema,
  listEventsQuerySchema,
  noteBodySchema,
  reopenBodySchema,
} from './schemas';

function errorOf(schema: { safeParse(v: unknown): any }, value: unknown): string {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return describeZodError(r.error);
}

describe('listAlertsQuerySchema', () => {
  it('parses comma lists, a default limit and dates', () => {
    const q = listAlertsQuerySchema.parse({ status: 'new,acknowledged,new', severity: 'high', from: '2026-12-01T00:00:00Z' });
    expect(q).toEqual({ status: ['new', 'acknowledged'], severity: ['high'], from: '2026-12-01T00:00:00Z', limit: 50 });
  });
  it.each([
    [{ status: 'open' }, 'status: unknown status "open"'],
    [{ severity: 'high,severe' }, 'severity: unknown severity "severe"'],
    [{ limit: '0' }, 'limit: must be at least 1'],
    [{ limit: '501' }, 'limit: must be at most 500'],
    [{ limit: 'ten' }, 'limit'],
    [{ from: 'yesterday' }, 'from: must be an ISO 8601 date-time'],
    [{ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }, 'to: must not be before from'],
    [{ cursor: 'a b' }, 'cursor: is not a cursor this server handed out'],
    [{ q: 'x\u202Ey' }, 'q: must not contain control or formatting characters'],
    [{ entityRef: 'not a ref' }, 'entityRef'],
  ])('refuses %j naming the field', (value, message) => {
    expect(errorOf(listAlertsQuerySchema, value)).toContain(message);
  });
});

describe('listEventsQuerySchema', () => {
  it('knows the sources', () => {
    expect(listEventsQuerySchema.parse({ source: 'storage_blob,hubble' }).source).toEqual(['storage_blob', 'hubble']);
    expect(errorOf(listEventsQuerySchema, { source: 'syslog' })).toContain('source: unknown source "syslog"');
  });
});

describe('triage bodies', () => {
  it('requires a reason and a comment to close', () => {
    expect(closeBodySchema.parse({ reason: 'false_positive', comment: ' CI job ' })).toEqual({ reason: 'false_positive', comment: 'CI job' });
    expect(errorOf(closeBodySchema, { reason: 'false_positive' })).toContain('comment');
    expect(errorOf(closeBodySchema, { reason: 'false_positive', comment: '   ' })).toContain('comment: must not be empty');
    expect(errorOf(closeBodySchema, { reason: 'fixed', comment: 'x' })).toContain('reason: must be one of true_positive, benign_positive, false_positive');
  });
  it('refuses unknown fields, hidden characters and non-user assignees', () => {
    expect(errorOf(noteBodySchema, { text: 'ok', extra: 1 })).toContain('extra');
    expect(errorOf(noteBodySchema, { text: 'a\u0000b' })).toContain('text: must not contain control or formatting characters');
    expect(errorOf(reopenBodySchema, {})).toContain('comment');
    expect(assignBodySchema.parse({ assignee: 'user:default/Alice' }).assignee).toBe('user:default/alice');
    expect(errorOf(assignBodySchema, { assignee: 'group:default/security-reviewers' })).toContain('assignee');
  });
});
