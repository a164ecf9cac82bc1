import { findUnsafeCharacter, findUnsafeValue, replaceUnsafeCharacters } from './characters';

describe('findUnsafeCharacter', () => {
  it.each([
    ['plain text', 'Need read access for the eval run, ticket SEC-12.'],
    ['line feeds and tabs', 'line one\n\tline two'],
    ['CRLF line ends', 'line one\r\nline two'],
    ['non-Latin scripts and emoji', 'שלום مرحبا 你好 — ok 👍'],
    ['empty', ''],
  ])('accepts %s', (_what, text) => {
    expect(findUnsafeCharacter(text)).toBeUndefined();
  });

  it.each([
    ['NUL', 'abc\u0000def', 0x00, 'NUL'],
    ['bell', 'ring\u0007', 0x07, 'control character'],
    ['backspace', 'x\u0008y', 0x08, 'control character'],
    ['DEL', 'x\u007fy', 0x7f, 'control character'],
    ['C1 NEL', 'x\u0085y', 0x85, 'control character'],
    ['ANSI escape', 'ok \u001b[2K\u001b[1Gapproved', 0x1b, 'ANSI escape'],
    ['C1 CSI', 'ok \u009b31m', 0x9b, 'ANSI escape'],
    ['bare CR', 'visible\rhidden', 0x0d, 'bare carriage return'],
    ['CR at the end', 'text\r', 0x0d, 'bare carriage return'],
    ['right-to-left override', 'invoice\u202Egpj.exe', 0x202e, 'bidirectional'],
    ['left-to-right embedding', 'a\u202Ab', 0x202a, 'bidirectional'],
    ['first strong isolate', 'a\u2068b', 0x2068, 'bidirectional'],
    ['pop directional isolate', 'a\u2069b', 0x2069, 'bidirectional'],
    ['unpaired high surrogate', 'a\ud83db', 0xd83d, 'unpaired surrogate'],
    ['unpaired low surrogate', 'a\udc4db', 0xdc4d, 'unpaired surrogate'],
  ])('refuses %s, naming the reason and position', (_what, text, codePoint, reason) => {
    const found = findUnsafeCharacter(text);
    expect(found).toBeDefined();
    expect(found!.codePoint).toBe(codePoint);
    expect(found!.reason).toContain(reason);
    expect(found!.reason).toContain(`U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`);
    expect(text.charCodeAt(found!.index)).toBe(codePoint);
  });

  it('refuses line breaks, tabs and separators in single-line text', () => {
    for (const text of ['a\nb', 'a\r\nb', 'a\tb', 'a\u2028b', 'a\u2029b']) {
      expect(findUnsafeCharacter(text, { singleLine: true })?.reason).toMatch(/single line/);
    }
    expect(findUnsafeCharacter('SEC-1234', { singleLine: true })).toBeUndefined();
  });
});

describe('findUnsafeValue', () => {
  it('finds the first unsafe string in nested values and names its path', () => {
    expect(findUnsafeValue({ a: 'ok', b: [{ c: 'ok' }, { d: 'x\u0000' }] })).toEqual({
      path: 'b.1.d',
      reason: expect.stringContaining('NUL'),
    });
  });
  it('checks object keys', () => {
    expect(findUnsafeValue({ ['k\u202e']: 1 })?.reason).toMatch(/^name contains a bidirectional/);
  });
  it('accepts ordinary JSON including multi-line text', () => {
    expect(findUnsafeValue({ n: 1, t: true, z: null, s: 'a\nb\tc', list: ['x'] })).toBeUndefined();
  });
});

describe('replaceUnsafeCharacters', () => {
  it('makes unsafe characters visible as U+FFFD and keeps the rest', () => {
    expect(replaceUnsafeCharacters('Dave\u202Egnp.exe')).toBe('Dave\ufffdgnp.exe');
    expect(replaceUnsafeCharacters('a\u0000b\u001b[31mc')).toBe('a\ufffdb\ufffd[31mc');
    expect(replaceUnsafeCharacters('line 1\r\nline 2\tx')).toBe('line 1\r\nline 2\tx');
    expect(replaceUnsafeCharacters('a\nb', { singleLine: true })).toBe('a\ufffdb');
    expect(replaceUnsafeCharacters('Zoë 👍')).toBe('Zoë 👍');
  });
});
