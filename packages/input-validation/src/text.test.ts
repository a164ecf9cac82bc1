import { z } from 'zod';
import { describeZodError, freeText, singleLineText } from './index';

const body = z.object({ justification: freeText({ max: 20, min: 3 }), ticket: singleLineText({ max: 10 }).optional() }).strict();

function error(input: unknown): string {
  const parsed = body.safeParse(input);
  expect(parsed.success).toBe(false);
  return describeZodError(parsed.error!);
}

describe('freeText / singleLineText', () => {
  it('accepts ordinary text', () => {
    expect(body.parse({ justification: 'eval run\nweek 3', ticket: 'SEC-1' })).toEqual({
      justification: 'eval run\nweek 3',
      ticket: 'SEC-1',
    });
  });

  it.each([
    ['NUL', 'abc\u0000def', 'NUL'],
    ['right-to-left override', 'abc\u202edef', 'bidirectional'],
    ['ANSI escape', 'ok\u001b[31m', 'ANSI escape'],
    ['bare CR', 'abc\rdef', 'bare carriage return'],
    ['C1 control', 'abc\u0090', 'control character'],
  ])('refuses %s with a message naming the field and reason', (_what, text, reason) => {
    const message = error({ justification: text });
    expect(message).toMatch(/^justification: must not contain control or formatting characters/);
    expect(message).toContain(reason);
  });

  it('names the field of a single-line value with a line break', () => {
    expect(error({ justification: 'fine text', ticket: 'SEC\n1' })).toMatch(/^ticket: .*single line/);
  });

  it('enforces lengths, min counted without surrounding blanks', () => {
    expect(error({ justification: '   a   ' })).toBe('justification: must be at least 3 characters (not counting surrounding spaces)');
    expect(error({ justification: 'x'.repeat(21) })).toBe('justification: must be at most 20 characters');
  });

  it('min 1 reads "must not be empty"; trim returns trimmed text', () => {
    const s = freeText({ max: 10, min: 1, trim: true });
    expect(s.safeParse('   ').error?.issues[0].message).toBe('must not be empty');
    expect(s.parse('  hi  ')).toBe('hi');
  });
});
