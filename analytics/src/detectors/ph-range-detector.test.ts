import { fixture, withPattern } from './detector-fixtures.js';
import { PhRangeDetector } from './ph-range-detector.js';

describe('PhRangeDetector', () => {
  it('alerts on pH held at 3.0 for its whole length and nowhere else', async () => {
    const { train, test } = fixture();
    const d = new PhRangeDetector();
    await d.fit(train);
    expect(await d.detect(test)).toEqual([]);
    const alerts = await d.detect(withPattern(test, { kind: 'ph-excursion', value: 3 }, 100, 10));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'ph-out-of-range', start: test[0]!.ts[100], end: test[0]!.ts[109], score: 4 });
  });

  it('treats 6 and 9 as inside the range and 9.5 as outside', async () => {
    const d = new PhRangeDetector();
    const s = { outfall: 'o', ts: [1, 2, 3], channels: { ph: [6, 9, 9.5] } };
    const alerts = await d.detect([s]);
    expect(alerts.map((a) => [a.start, a.score])).toEqual([[3, 1.5]]);
  });

  it('rejects a range whose low limit is not below the high one', () => {
    expect(() => new PhRangeDetector({ low: 9, high: 6 })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
  });
});
