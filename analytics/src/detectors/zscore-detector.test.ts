import { fixture, withPattern } from './detector-fixtures.js';
import { ZScoreDetector } from './zscore-detector.js';

describe('ZScoreDetector (rolling median/MAD)', () => {
  it('stays silent on clean data continuing the fitted series', async () => {
    for (const seed of [1, 2, 3]) {
      const { train, test } = fixture(seed);
      const d = new ZScoreDetector();
      await d.fit(train);
      expect(await d.detect(test)).toEqual([]);
    }
  });

  it('finds a COD spike x4 at its first sample, on its outfall only, with the readings and expected values', async () => {
    const { train, test } = fixture();
    const d = new ZScoreDetector();
    await d.fit(train);
    const alerts = await d.detect(withPattern(test, { kind: 'spike', channel: 'cod', factor: 4 }, 500, 5));
    expect(alerts).toHaveLength(1);
    const [a] = alerts;
    expect(a).toMatchObject({ outfall: 'ent-a-dw001', kind: 'spike', start: test[0]!.ts[500], end: test[0]!.ts[504] });
    expect(a!.score).toBeGreaterThan(1);
    expect(a!.evidence.readings.every((r) => r.channel === 'cod')).toBe(true);
    expect(a!.evidence.readings[0]!.value / a!.evidence.readings[0]!.expected).toBeGreaterThan(3);
  });

  it('keeps flagging a sustained anomaly instead of learning it as the new baseline', async () => {
    const { train, test } = fixture();
    const d = new ZScoreDetector();
    await d.fit(train);
    const alerts = await d.detect(withPattern(test, { kind: 'bypass-dump', factor: 3 }, 300, 100));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ start: test[0]!.ts[300], end: test[0]!.ts[399] });
  });

  it('uses the end of the fitted part as warm-up: a spike on the first test sample is found', async () => {
    const { train, test } = fixture();
    const d = new ZScoreDetector();
    await d.fit(train);
    const alerts = await d.detect(withPattern(test, { kind: 'spike', channel: 'nh3n', factor: 3 }, 0, 1));
    expect(alerts.map((a) => a.start)).toEqual([test[0]!.ts[0]]);
  });

  it('global mode (the baseline) misses a spike that hides inside the daily range', async () => {
    const { train, test } = fixture();
    const global = new ZScoreDetector({ mode: 'global' });
    const rolling = new ZScoreDetector();
    await global.fit(train);
    await rolling.fit(train);
    const spiked = withPattern(test, { kind: 'spike', channel: 'flow', factor: 1.35 }, 700, 3);
    expect((await rolling.detect(spiked)).length).toBe(1);
    expect(await global.detect(spiked)).toEqual([]);
  });

  it('refuses an outfall it was not fitted on', async () => {
    const { train, test } = fixture();
    const d = new ZScoreDetector();
    await d.fit(train.slice(1));
    await expect(d.detect(test)).rejects.toMatchObject({ code: 'NOT_FITTED' });
  });
});

describe('ZScoreDetector with minSamples 2', () => {
  it('drops a one-sample blip and starts a longer anomaly where it fires, one sample in', async () => {
    const { train, test } = fixture();
    const d = new ZScoreDetector({ minSamples: 2 });
    await d.fit(train);
    expect(await d.detect(withPattern(test, { kind: 'spike', channel: 'cod', factor: 4 }, 500, 1))).toEqual([]);
    const alerts = await d.detect(withPattern(test, { kind: 'spike', channel: 'cod', factor: 4 }, 500, 5));
    expect(alerts.map((a) => [a.start, a.end])).toEqual([[test[0]!.ts[501], test[0]!.ts[504]]]);
  });
});
