import { MAX_CHART_POINTS, chartInterval } from './chart-interval.js';

const DAY = 86_400_000;

describe('chartInterval', () => {
  it.each([
    [10 * 60_000, 1_000],
    [2 * 3_600_000, 10_000],
    [DAY, 120_000],
    [30 * DAY, 3_600_000],
    [365 * DAY, 43_200_000],
    [5 * 365 * DAY, 2 * DAY],
  ])('keeps %d ms under 1,000 points with a round window of %d ms', (range, every) => {
    expect(chartInterval(range)).toBe(every);
    expect(range / chartInterval(range)).toBeLessThanOrEqual(MAX_CHART_POINTS);
  });

  it('never goes below a second, however short the range', () => {
    expect(chartInterval(10)).toBe(1_000);
  });

  it('refuses an empty range', () => {
    expect(() => chartInterval(0)).toThrow(RangeError);
  });
});
