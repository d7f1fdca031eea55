import { fixture } from './detector-fixtures.js';
import { ReplayDetector } from './replay-detector.js';

describe('ReplayDetector', () => {
  it('stays silent on clean data and finds a stretch replayed from the fitting part, two samples in', async () => {
    const { train, test } = fixture();
    const d = new ReplayDetector();
    await d.fit(train);
    expect(await d.detect(test)).toEqual([]);

    const d2 = new ReplayDetector();
    await d2.fit(train);
    const s = test[0]!;
    // Samples 300..359 of the test part carry what the outfall sent 1,000 samples earlier (in the fitting part).
    const from = train[0]!;
    const channels = Object.fromEntries(
      Object.entries(s.channels).map(([name, values]) => [name, values.map((v, i) => (i >= 300 && i < 360 ? from.channels[name]![from.ts.length - 1000 + i - 300]! : v))]),
    );
    const alerts = await d2.detect([{ ...s, channels }, ...test.slice(1)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ outfall: 'ent-a-dw001', kind: 'replay', start: s.ts[302], end: s.ts[359] });
    expect(alerts[0]!.evidence.note).toMatch(/repeats, to the last digit/);
  });
});
