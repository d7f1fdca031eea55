import { suiteReadingsCsv, suiteScenario } from '@qingliu/firmware-sim';
import { ChangePointDetector, cusum } from './change-point-detector.js';
import { parseReadingsCsv, splitForFit } from '../series/readings-csv.js';

describe('ChangePointDetector', () => {
  it('sums each side above its allowance and remembers where the sum left zero', () => {
    const { sum, sign, since } = cusum([0, 0, 3, 3, 3, 0, -5], 1);
    expect(sum.slice(0, 5)).toEqual([0, 0, 2, 4, 6]);
    expect(sign[4]).toBe(1);
    expect(since[4]).toBe(2);
    expect(sum[6]).toBe(4); // the lower side, after -5: max(0, 0 + 5 - 1)
    expect(sign[6]).toBe(-1);
  });

  it('stays silent on clean minute data, and finds a lasting rise of NH3-N no single sample shows, within a day, dated to where it began', async () => {
    const table = parseReadingsCsv(suiteReadingsCsv(suiteScenario({ pattern: 'clean', seed: 21, outfalls: 2, days: 14 })));
    const { train, test } = splitForFit(table, 0.7);
    const d = new ChangePointDetector();
    await d.fit(train);
    expect(await d.detect(test)).toEqual([]);

    const s = test[0]!;
    const from = 1000; // a day in, then NH3-N reads 30% higher for good
    const nh3n = s.channels['nh3n']!.map((v, i) => (i >= from ? v * 1.3 : v));
    const alerts = await d.detect([{ ...s, channels: { ...s.channels, nh3n } }, ...test.slice(1)]);
    expect(alerts.map((a) => [a.outfall, a.kind])).toEqual([[s.outfall, 'level-shift']]);
    const a = alerts[0]!;
    expect(a.evidence.note).toMatch(/^nh3n up by about/);
    expect(a.start).toBeGreaterThan(s.ts[from]!);
    // NH3-N drifts by up to 20% over hours on its own: a 30% step takes a good part of a day to stand out.
    expect(a.start).toBeLessThan(s.ts[from]! + 24 * 3_600_000);
    expect(a.evidence.readings[0]!.ts).toBeLessThan(s.ts[from]! + 3_600_000);
  }, 60_000);
});
