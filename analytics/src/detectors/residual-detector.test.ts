import { fixture, withPattern } from './detector-fixtures.js';
import { ResidualDetector } from './residual-detector.js';

describe('ResidualDetector', () => {
  it('stays silent on clean data', async () => {
    const { train, test } = fixture();
    const d = new ResidualDetector();
    await d.fit(train);
    expect(await d.detect(test)).toEqual([]);
  });

  it.each([
    ['dilution', { kind: 'dilution', factor: 3 }, /dilution; at the peak flow .*x3/],
    ['bypass-dump', { kind: 'bypass-dump', factor: 3 }, /untreated discharge/],
    ['spike', { kind: 'spike', channel: 'nh3n', factor: 3 }, /nh3n .*x3/],
  ] as const)('names a %s and shows the readings against their expected values', async (kind, pattern, note) => {
    const { train, test } = fixture();
    const d = new ResidualDetector();
    await d.fit(train);
    const alerts = await d.detect(withPattern(test, pattern, 500, 30));
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ outfall: 'ent-a-dw001', kind, start: test[0]!.ts[501] });
    expect(a.end).toBeGreaterThanOrEqual(test[0]!.ts[527]!);
    expect(a.end).toBeLessThanOrEqual(test[0]!.ts[529]!);
    expect(a.evidence.note).toMatch(note);
    for (const r of a.evidence.readings) expect(Math.abs(Math.log(r.value / r.expected))).toBeGreaterThan(0.3);
  });
});
