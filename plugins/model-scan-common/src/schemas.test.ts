import {
  createAcceptanceRequestSchema,
  createScanRequestSchema,
  describeZodError,
  entityRefSchema,
  gateQuerySchema,
  listScansQuerySchema,
} from './schemas';

function message(r: { success: boolean; error?: any }): string {
  expect(r.success).toBe(false);
  return describeZodError(r.error);
}

describe('model-scan schemas (shared input validation)', () => {
  it('entity refs are parsed and normalized; refs without a kind are refused', () => {
    expect(entityRefSchema.parse(' Component:Default/Frontier-7B ')).toBe('component:default/frontier-7b');
    expect(message(createScanRequestSchema.safeParse({ target: 'hf://a/b', entityRef: 'frontier-7b' }))).toMatch(/^entityRef: /);
    expect(message(createScanRequestSchema.safeParse({ target: 'hf://a/b', entityRef: 'component:default/a b' }))).toMatch(/^entityRef: /);
  });

  it.each([
    ['NUL', 'x\u0000', 'NUL'],
    ['right-to-left override', 'x\u202e', 'bidirectional'],
    ['ANSI escape', '\u001b[31mx', 'ANSI escape'],
    ['bare CR', 'a\rb', 'bare carriage return'],
  ])('free text with %s is refused naming the field', (_what, bad, reason) => {
    const justification = `accepted after manual review of the pickle ${bad}`;
    const acc = message(
      createAcceptanceRequestSchema.safeParse({ sha256: 'a'.repeat(64), justification, expiresAt: '2030-01-01T00:00:00Z' }),
    );
    expect(acc).toMatch(/^justification: /);
    expect(acc).toContain(reason);
    expect(message(createScanRequestSchema.safeParse({ target: `https://example.com/${bad}` }))).toMatch(/^target: /);
    expect(message(gateQuerySchema.safeParse({ target: `hf://a/${bad}` }))).toMatch(/^target: /);
    expect(message(listScansQuerySchema.safeParse({ target: bad }))).toMatch(/^target: /);
  });

  it('targets are single lines; acceptance justifications may have several', () => {
    expect(message(createScanRequestSchema.safeParse({ target: 'https://a.example/x\nhttps://b.example/y' }))).toContain('single line');
    expect(
      createAcceptanceRequestSchema.safeParse({
        sha256: 'a'.repeat(64),
        justification: 'line one of the reason\nline two',
        expiresAt: '2030-01-01T00:00:00Z',
      }).success,
    ).toBe(true);
  });
});
