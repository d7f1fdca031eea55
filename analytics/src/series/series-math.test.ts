import { boundedLeastSquares, clamp01, finiteSum, indicesIn, interpolate, lowerBound, pearson, samplingInterval, spread } from './series-math.js';

const ts = [0, 1000, 2000, 3000, 4000, 10_000];

describe('series math', () => {
  it('finds times on an ascending grid', () => {
    expect([-5, 0, 1, 1000, 9999, 10_001].map((t) => lowerBound(ts, t))).toEqual([0, 0, 1, 1, 5, 6]);
    expect(indicesIn(ts, 1000, 3500)).toEqual([1, 2, 3]);
    expect(samplingInterval(ts)).toBe(1000);
    expect(samplingInterval([5])).toBe(60_000);
  });

  it('interpolates inside the grid, not outside it nor across a gap of more than two intervals', () => {
    const v = [0, 10, 20, 30, 40, 100];
    expect(interpolate(ts, v, 1500)).toBe(15);
    expect(interpolate(ts, v, 3000)).toBe(30);
    expect(interpolate(ts, v, -1)).toBeNaN();
    expect(interpolate(ts, v, 7000)).toBeNaN(); // 4 s..10 s: a gap
  });

  it('correlates over the pairs both have, and says NaN when it cannot tell', () => {
    const a = [1, 2, 3, 4, 5, 6, Number.NaN];
    expect(pearson(a, [2, 4, 6, 8, 10, 12, 99])).toBeCloseTo(1, 12);
    expect(pearson(a, [6, 5, 4, 3, 2, 1, 0])).toBeCloseTo(-1, 12);
    expect(pearson([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])).toBeNaN(); // fewer than 6 pairs
    expect(pearson(a, [3, 3, 3, 3, 3, 3, 3])).toBeNaN(); // no variation
  });

  it('smooths with a Gaussian and leaves the rest NaN; width 0 copies', () => {
    const grid = Array.from({ length: 21 }, (_, i) => i * 1000);
    const pulse = grid.map((_, i) => (i === 10 ? 1 : 0));
    const smooth = spread(grid, pulse, 2000, 5000, 15_000);
    expect(smooth[4]).toBeNaN();
    expect(smooth[10]!).toBeLessThan(1);
    expect(smooth[9]!).toBeCloseTo(smooth[11]!, 12);
    expect(smooth[8]!).toBeLessThan(smooth[9]!);
    expect(spread(grid, pulse, 0, 0, 20_000)).toEqual(pulse);
  });

  it('fits y on columns with 0 <= beta <= cap', () => {
    const x1 = [1, 0, 1, 0, 2, 1];
    const x2 = [0, 1, 1, 2, 0, 1];
    const y = x1.map((v, n) => 2 * v + 0.5 * x2[n]!);
    const [b1, b2] = boundedLeastSquares(y, [x1, x2], 10);
    expect(b1).toBeCloseTo(2, 6);
    expect(b2).toBeCloseTo(0.5, 6);
    expect(boundedLeastSquares(y, [x1, x2], 1)[0]).toBe(1); // held at the cap
    expect(boundedLeastSquares(y.map((v) => -v), [x1, x2], 10)).toEqual([0, 0]); // never negative
  });

  it('sums and clamps what is finite', () => {
    expect(finiteSum([1, Number.NaN, 2.5])).toBe(3.5);
    expect([-1, 0.4, 2, Number.NaN].map(clamp01)).toEqual([0, 0.4, 1, 0]);
  });
});
