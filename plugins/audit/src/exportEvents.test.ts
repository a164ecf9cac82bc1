import { AuditEvent } from '@internal/plugin-audit-common';
import { csvCell, eventsToCsv } from './exportEvents';

const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  seq: 1, id: 'i', correlationId: 'c', occurredAt: '2026-01-01T00:00:00.000Z', pluginId: 'access-requests',
  eventId: 'request-deny', severity: 'medium', status: 'succeeded', actor: 'user:default/carol', actorType: 'user',
  prevHash: '0', hash: 'h', hashAlg: 'sha256', ...over,
});

describe('audit CSV export', () => {
  it('writes a header and one quoted-when-needed line per event', () => {
    const csv = eventsToCsv([event({ meta: { reason: 'no, "ticket"' } })]);
    const [header, line] = csv.trim().split('\r\n');
    expect(header.split(',')).toEqual(['seq', 'occurredAt', 'pluginId', 'eventId', 'severity', 'status', 'actor', 'actorType', 'method', 'url', 'error', 'meta', 'hash']);
    expect(line).toContain('request-deny');
    expect(line).toContain('"{""reason"":""no, \\""ticket\\""""}"');
  });
  it('neutralises spreadsheet formulas', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-1')).toBe(`'-1`);
    expect(csvCell(undefined)).toBe('');
  });
});
