import { canonicalJson, canonicalReadingJson } from './canonical.js';

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

describe('canonicalReadingJson', () => {
  it('gives exactly the bytes canonicalJson gives, for awkward values too', () => {
    const values = [0, -0, 7, 48.73, 0.30000000000000004, 1e21, 1e-7, -123.456, Number.MAX_SAFE_INTEGER];
    // Plain ASCII is written without JSON.stringify: every kind of character that needs it, at each field.
    const strings = ['ent-a', 'a"b', 'back\\slash', '\u2028', 'é', '', 'new\nline', 'nul\u0000', 'del\u007f', 'tab\t', 'lone\ud800', '𝔪g/L', ' ~!#[]{}', 'mg/L'];
    for (let i = 0; i < Math.max(values.length, strings.length * 2); i += 1) {
      const value = values[i % values.length]!;
      const reading = {
        enterprise: strings[i % strings.length]!,
        outfall: strings[(i + 1) % strings.length]!,
        device: strings[(i + 2) % strings.length]!,
        pollutant: 'w01018',
        value,
        unit: strings[(i + 3) % strings.length]!,
        ts: 1_790_000_000_000 + i,
        seq: i * 1_000_003,
        flag: 'N',
      };
      expect(canonicalReadingJson(reading)).toBe(canonicalJson(reading));
    }
  });

  it('refuses a non-finite value', () => {
    const reading = { enterprise: 'e', outfall: 'o', device: 'd', pollutant: 'w01018', value: Infinity, unit: 'mg/L', ts: 1, seq: 1, flag: 'N' };
    expect(() => canonicalReadingJson(reading)).toThrow(/non-finite/);
  });
});
