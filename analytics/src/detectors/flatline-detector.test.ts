import { fixture, withPattern } from './detector-fixtures.js';
import { FlatlineDetector, repeatLengths } from './flatline-detector.js';

describe('FlatlineDetector', () => {
  it('counts repeats, restarting after a change or a missing value', () => {
    expect(repeatLengths([1, 1, 1, 2, 2, Number.NaN, 2], 0)).toEqual([1, 2, 3, 1, 2, 0, 1]);
    expect(repeatLengths([1, 1.004, 1.02], 0.005)).toEqual([1, 2, 1]);
  });

  it('stays silent on clean data', async () => {
    const { train, test } = fixture();
    const d = new FlatlineDetector();
    await d.fit(train);
    expect(await d.detect(test)).toEqual([]);
  });

  it('finds frozen analyzers once the repeat reaches the threshold, and says where the freeze began', async () => {
    const { train, test } = fixture();
    const d = new FlatlineDetector();
    await d.fit(train);
    const alerts = await d.detect(withPattern(test, { kind: 'flatline' }, 200, 30));
    expect(alerts).toHaveLength(1);
    const [a] = alerts;
    // Sample 200 is the frozen value itself; at 201 five continuous channels repeat at once: noise never does that.
    expect(a).toMatchObject({ outfall: 'ent-a-dw001', kind: 'flatline', start: test[0]!.ts[201], end: test[0]!.ts[229] });
    expect(a!.evidence.note).toMatch(/chance of 1 in 10\^\d+/);
    expect(a!.evidence.readings.map((r) => r.channel).sort()).toEqual(['cod', 'flow', 'nh3n', 'ph', 'tp']);
    expect(a!.evidence.readings.every((r) => r.ts === test[0]!.ts[200])).toBe(true);
  });

  it('one frozen channel alerts on its own threshold and names only that channel', async () => {
    const { train, test } = fixture();
    const d = new FlatlineDetector();
    await d.fit(train);
    const s = test[0]!;
    const cod = s.channels['cod']!.map((v, i) => (i >= 200 && i < 230 ? s.channels['cod']![200]! : v));
    const alerts = await d.detect([{ ...s, channels: { ...s.channels, cod } }, ...test.slice(1)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.outfall).toBe('ent-a-dw001');
    expect(alerts[0]!.evidence.readings.map((r) => r.channel)).toEqual(['cod']);
  });

  it('learns that a quantized channel repeats on its own and does not alarm on that', async () => {
    const { train, test } = fixture();
    const quantize = (s: (typeof train)[number]) => ({ ...s, channels: { ...s.channels, ph: s.channels['ph']!.map((v) => Math.round(v * 4) / 4) } });
    const d = new FlatlineDetector();
    await d.fit(train.map(quantize));
    expect(await d.detect(test.map(quantize))).toEqual([]);
  });
});
