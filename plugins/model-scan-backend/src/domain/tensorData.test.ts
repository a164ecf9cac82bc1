import { needsTensorDataRescan, referrersByFile } from './tensorData';

const none = { findings: [] };
const unknown = {
  findings: [
    {
      ruleId: 'UNKNOWN_FORMAT',
      severity: 'medium' as const,
      message: 'unknown',
      atlas: [],
    },
  ],
};

describe('referrersByFile', () => {
  it('maps each referenced file of the target to the models naming it, relative to their folder', () => {
    const referrers = referrersByFile([
      { name: 'onnx/model.onnx', result: { ...none, references: ['w.data'] } },
      { name: 'onnx/w.data', result: unknown },
      {
        name: 'variables/variables.index',
        result: { ...none, references: ['variables.data-00000-of-00001'] },
      },
      { name: 'variables/variables.data-00000-of-00001', result: unknown },
    ]);
    expect([...referrers.entries()]).toEqual([
      [1, ['onnx/model.onnx']],
      [3, ['variables/variables.index']],
    ]);
  });

  it('ignores references that leave the target, are absolute, name no file of it or the model itself', () => {
    const referrers = referrersByFile([
      {
        name: 'a/model.onnx',
        result: {
          ...none,
          references: [
            '../../etc/passwd',
            '/abs/b.data',
            'missing.data',
            'model.onnx',
            '../b.data',
          ],
        },
      },
      { name: 'b.data', result: unknown },
    ]);
    // '../b.data' from a/ is b.data inside the target: allowed; the rest are not
    expect([...referrers.entries()]).toEqual([[1, ['a/model.onnx']]]);
    expect(
      referrersByFile([
        { name: 'model.onnx', result: { ...none, references: ['../x.data'] } },
        { name: 'x.data', result: unknown },
      ]).size,
    ).toBe(0);
  });
});

describe('needsTensorDataRescan', () => {
  it('only for UNKNOWN_FORMAT results without a critical finding', () => {
    expect(needsTensorDataRescan(unknown)).toBe(true);
    expect(needsTensorDataRescan(none)).toBe(false);
    expect(
      needsTensorDataRescan({
        findings: [
          ...unknown.findings,
          {
            ruleId: 'CLAMAV_FOUND',
            severity: 'critical',
            message: 'x',
            atlas: [],
          },
        ],
      }),
    ).toBe(false);
  });
});
