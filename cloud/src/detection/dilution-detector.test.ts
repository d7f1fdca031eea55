import { fixture, withPattern } from './detector-fixtures.js';
import { DilutionDetector } from './dilution-detector.js';

describe('DilutionDetector', () => {
  it('stays silent on clean data, whose flow and concentrations rise together over the day', async () => {
    for (const seed of [1, 2, 3]) {
      const { train, test } = fixture(seed);
      const d = new DilutionDetector();
      await d.fit(train);
      expect(await d.detect(test)).toEqual([]);
    }
  });

  it('finds flow x3 with every concentration / 3 from its first sample, and estimates the factor', async () => {
    const { train, test } = fixture();
    const d = new DilutionDetector();
    await d.fit(train);
    const alerts = await d.detect(withPattern(test, { kind: 'dilution', factor: 3 }, 400, 30));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ outfall: 'ent-a-dw001', kind: 'dilution', start: test[0]!.ts[400], end: test[0]!.ts[429] });
    expect(alerts[0]!.evidence.note).toMatch(/x(2\.[6-9]|3\.[0-4])/);
  });

  it('does not call a bypass dump (flow and concentrations both up) a dilution', async () => {
    const { train, test } = fixture();
    const d = new DilutionDetector();
    await d.fit(train);
    expect(await d.detect(withPattern(test, { kind: 'bypass-dump', factor: 3 }, 400, 30))).toEqual([]);
  });

  it('skips outfalls without flow or concentrations', async () => {
    const d = new DilutionDetector();
    const s = { outfall: 'o', ts: [1, 2, 3], channels: { ph: [7, 7, 7] } };
    await d.fit([s]);
    expect(await d.detect([s])).toEqual([]);
  });
});
