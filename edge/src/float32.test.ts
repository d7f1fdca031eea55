import { shortestFloat32 } from './float32.js';

describe('shortestFloat32', () => {
  it('writes a float32 at float32 precision: 123.456, not 123.45600128173828', () => {
    expect(Math.fround(123.456)).toBe(123.45600128173828);
    expect(shortestFloat32(Math.fround(123.456))).toBe(123.456);
    expect(String(shortestFloat32(Math.fround(0.1)))).toBe('0.1');
    expect(shortestFloat32(Math.fround(48.73))).toBe(48.73);
    expect(shortestFloat32(Math.fround(-7.39))).toBe(-7.39);
    expect(shortestFloat32(16777216)).toBe(16777216);
    expect(shortestFloat32(Math.fround(3.4028234663852886e38))).toBe(3.4028235e38);
    expect(shortestFloat32(Math.fround(1.401298464324817e-45))).toBe(1e-45);
  });

  it('loses nothing: the result reads back as the same float32, and one digit fewer would not', () => {
    const bits = new Uint32Array(1);
    const view = new Float32Array(bits.buffer);
    let state = 12345;
    for (let i = 0; i < 20_000; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      bits[0] = state;
      const single = view[0]!;
      if (!Number.isFinite(single) || single === 0) continue;
      const shortest = shortestFloat32(single);
      expect(Math.fround(shortest)).toBe(single);
      const digits = shortest.toExponential().replace(/e.*$/, '').replace(/[-.]/g, '').length;
      if (digits > 1) expect(Math.fround(Number(single.toPrecision(digits - 1)))).not.toBe(single);
    }
  });

  it('gives back what is not a finite non-zero number as it is', () => {
    expect(shortestFloat32(Number.NaN)).toBeNaN();
    expect(shortestFloat32(Infinity)).toBe(Infinity);
    expect(Object.is(shortestFloat32(-0), -0)).toBe(true);
  });
});
