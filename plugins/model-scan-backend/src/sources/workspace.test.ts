import { safeRelativePath } from './workspace';

describe('names from remote sources (safeRelativePath)', () => {
  it.each([
    ['right-to-left override', 'weights\u202Etp.exe'],
    ['NUL', 'model\u0000.bin'],
    ['ANSI escape', '\u001b[2Kmodel.bin'],
    ['C1 control', 'model\u0085.bin'],
    ['line break', 'a\nb.bin'],
  ])('refuses a file name with %s', (_what, name) => {
    expect(() => safeRelativePath(name)).toThrow(expect.objectContaining({ name: 'InputError' }));
  });
  it('accepts ordinary nested names', () => {
    expect(safeRelativePath('model/weights-00001.safetensors')).toBe('model/weights-00001.safetensors');
  });
});
