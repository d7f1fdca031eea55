import { POLLUTANT_CODES } from '@qingliu/protocol';
import { OUTFALL_RANGES, createOutfallModel } from './outfall-model.js';

const HOUR = 3_600_000;
// Midnight, 2024-06-01, China Standard Time (UTC+8).
const MIDNIGHT_CST = Date.UTC(2024, 4, 31, 16, 0, 0);

/** Values every `stepMs` over `days` days from local midnight. */
function sampleDays(seed: number, days: number, stepMs: number) {
  const model = createOutfallModel({ seed });
  const rows = [];
  for (let ts = MIDNIGHT_CST; ts < MIDNIGHT_CST + days * 24 * HOUR; ts += stepMs) {
    rows.push({ hour: ((ts - MIDNIGHT_CST) / HOUR) % 24, values: model.valuesAt(ts) });
  }
  return rows;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('outfall model', () => {
  it.each([1, 2, 3, 42, 2024])('flows more by day than by night (seed %i)', (seed) => {
    const rows = sampleDays(seed, 3, 5 * 60_000);
    const night = mean(rows.filter((r) => r.hour < 5).map((r) => r.values.w00000));
    const day = mean(rows.filter((r) => r.hour >= 8 && r.hour < 20).map((r) => r.values.w00000));
    expect(day).toBeGreaterThan(1.5 * night);
  });

  it('peaks in the morning and the evening, above the early afternoon', () => {
    const rows = sampleDays(5, 7, 10 * 60_000);
    const around = (from: number, to: number): number =>
      mean(rows.filter((r) => r.hour >= from && r.hour < to).map((r) => r.values.w00000));
    const morning = around(7, 10);
    const evening = around(18, 21);
    const night = around(2, 5);
    expect(morning).toBeGreaterThan(2 * night);
    expect(evening).toBeGreaterThan(2 * night);
  });

  it.each([1, 7, 99])('keeps every value in its believable range (seed %i)', (seed) => {
    const rows = sampleDays(seed, 10, 7 * 60_000 + 13_000);
    for (const code of POLLUTANT_CODES) {
      const [min, max] = OUTFALL_RANGES[code];
      const values = rows.map((r) => r.values[code]);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(min);
      expect(Math.max(...values)).toBeLessThanOrEqual(max);
      expect(values.every(Number.isFinite)).toBe(true);
    }
    const cod = rows.map((r) => r.values.w01018);
    const ph = rows.map((r) => r.values.w01001);
    expect(mean(cod)).toBeGreaterThan(35);
    expect(mean(cod)).toBeLessThan(75);
    expect(mean(ph)).toBeGreaterThan(6.8);
    expect(mean(ph)).toBeLessThan(8.2);
  });

  it('is not flat: values vary within a minute and drift over hours', () => {
    const model = createOutfallModel({ seed: 11 });
    const minute = Array.from({ length: 60 }, (_, s) => model.valuesAt(MIDNIGHT_CST + 10 * HOUR + s * 1000).w01018);
    expect(Math.max(...minute) - Math.min(...minute)).toBeGreaterThan(0.1);
    const hourly = Array.from({ length: 48 }, (_, h) => model.valuesAt(MIDNIGHT_CST + h * HOUR).w01001);
    expect(Math.max(...hourly) - Math.min(...hourly)).toBeGreaterThan(0.05);
  });

  it('is smooth: two reads 10 ms apart barely differ', () => {
    const model = createOutfallModel({ seed: 13 });
    const ts = MIDNIGHT_CST + 9 * HOUR + 1234;
    const a = model.valuesAt(ts);
    const b = model.valuesAt(ts + 10);
    expect(Math.abs(a.w00000 - b.w00000) / a.w00000).toBeLessThan(1e-3);
    expect(Math.abs(a.w01018 - b.w01018)).toBeLessThan(0.05);
  });

  it('gives the same values for the same seed and time, and different ones for another seed', () => {
    const ts = MIDNIGHT_CST + 8.5 * HOUR;
    expect(createOutfallModel({ seed: 21 }).valuesAt(ts)).toEqual(createOutfallModel({ seed: 21 }).valuesAt(ts));
    expect(createOutfallModel({ seed: 21 }).valuesAt(ts)).not.toEqual(createOutfallModel({ seed: 22 }).valuesAt(ts));
  });

  it('scales with the given base flow', () => {
    const small = createOutfallModel({ seed: 4, baseFlow: 50 });
    const large = createOutfallModel({ seed: 4, baseFlow: 500 });
    const ts = MIDNIGHT_CST + 12 * HOUR;
    expect(large.valuesAt(ts).w00000 / small.valuesAt(ts).w00000).toBeCloseTo(10, 6);
  });
});
