import { canonicalJson } from './canonicalJson';

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(
      canonicalJson({
        b: 1,
        a: { d: [3, { z: 1, y: 2 }], c: null },
        u: undefined,
      }),
    ).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson({ n: NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson(BigInt(1))).toThrow(/bigint/);
  });
});
