import { canonicalJson } from './canonical.js';

describe('canonicalJson', () => {
  it('sorts keys and writes no whitespace, whatever the insertion order', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 0.1, y: -2 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"y":-2,"z":0.1}}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('writes numbers in their shortest round-trip form', () => {
    expect(canonicalJson(1e21)).toBe('1e+21');
    expect(canonicalJson(0.30000000000000004)).toBe('0.30000000000000004');
    expect(canonicalJson(7.0)).toBe('7');
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/non-finite/);
    expect(() => canonicalJson({ a: Infinity })).toThrow(/non-finite/);
    expect(() => canonicalJson(10n)).toThrow(/unsupported/);
  });
});
