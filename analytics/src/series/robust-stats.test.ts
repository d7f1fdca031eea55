import { MAD_TO_SIGMA, SortedWindow, mad, median, quantile, resolution } from './robust-stats.js';
import { prng } from './synthetic-series.js';

describe('robust statistics', () => {
  it('median, MAD and quantiles ignore missing values', () => {
    expect(median([3, 1, Number.NaN, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('a single outlier moves the MAD-scaled spread far less than the standard deviation', () => {
    const values = [10, 11, 9, 10, 10, 11, 9, 10, 1000];
    expect(MAD_TO_SIGMA * mad(values)).toBeLessThan(2);
  });

  it('resolution is the smallest positive step between consecutive values', () => {
    expect(resolution([8.36, 8.36, 8.37, 8.39, Number.NaN, 8.39])).toBeCloseTo(0.01, 10);
    expect(resolution([5, 5, 5])).toBe(0);
  });

  it('the sorted window gives the same median and MAD as recomputing the last `size` values', () => {
    const rand = prng(7);
    const w = new SortedWindow(15);
    const even = new SortedWindow(8);
    const all: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const v = Math.round(rand() * 50) / 5;
      w.push(v);
      even.push(v);
      all.push(v);
      const last = all.slice(-15);
      expect(w.median()).toBe(median(last));
      expect(w.mad()).toBe(mad(last));
      expect(even.mad()).toBeCloseTo(mad(all.slice(-8)), 12);
      expect(even.median()).toBeCloseTo(median(all.slice(-8)), 12);
    }
  });

  it('refuses a window too small to have a median', () => {
    expect(() => new SortedWindow(2)).toThrow(RangeError);
  });
});
