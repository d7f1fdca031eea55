import { scaleDecimal } from './decimal.js';

describe('scaleDecimal', () => {
  it('scales as a person would on paper, with no binary leftovers', () => {
    expect(scaleDecimal(739, 0.01, 0)).toBe(7.39);
    expect(scaleDecimal(145, 0.001, 0)).toBe(0.145);
    expect(scaleDecimal(-2, 0.1, 0)).toBe(-0.2);
    expect(scaleDecimal(123.456, 0.1, 0)).toBe(12.3456);
    expect(scaleDecimal(0.1, 1, 0.2)).toBe(0.3);
    expect(scaleDecimal(100, 0.5, 10)).toBe(60);
    expect(scaleDecimal(3123456789, 0.0001, -4)).toBe(312341.6789);
  });

  it('handles numbers written with exponents, and zero', () => {
    expect(scaleDecimal(1e-7, 1000, 0)).toBe(0.0001);
    expect(scaleDecimal(1e21, 0.001, 0)).toBe(1e18);
    expect(scaleDecimal(5, 0.1, -0.5)).toBe(0);
    expect(scaleDecimal(Number.NaN, 0.1, 0)).toBeNaN();
  });
});
