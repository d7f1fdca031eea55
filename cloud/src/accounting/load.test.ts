import type { Hj212Code, QualityFlag, Reading } from '@qingliu/protocol';
import { computeLoads } from './load.js';

let seq = 0;
const r = (device: string, enterprise: string, pollutant: Hj212Code, value: number, ts: number, flag: QualityFlag = 'N'): Reading => ({
  enterprise,
  outfall: `${device}-out`,
  device,
  pollutant,
  value,
  unit: pollutant === 'w00000' ? 'm3/h' : 'mg/L',
  ts,
  seq: seq++,
  flag,
});

describe('computeLoads', () => {
  it('charges only the primary instance of a code: a second COD analyzer and a second flow meter (channels) are not summed, and codes outside the six are not accounted', () => {
    const readings: Reading[] = [
      r('d1', 'e1', 'w00000', 360, 0),
      { ...r('d1', 'e1', 'w00000', 7200, 0), channel: 'bypass-meter' },
      r('d1', 'e1', 'w01018', 50, 0),
      { ...r('d1', 'e1', 'w01018', 90, 0), channel: 'cod-2' },
      { ...r('d1', 'e1', 'w01018', 70, 0), channel: 'cod-3' },
      { ...r('d1', 'e1', 'w00001', 123_456, 0), unit: 'm3' },
      { ...r('d1', 'e1', 'w01019', 30, 0), unit: 'mg/L' },
    ];
    const lines = computeLoads({ readings, sampleIntervalMs: () => 10_000, window: { fromMs: 0, toMs: 10_000 } });
    // 360 m3/h x 10 s = 1 m3 (the primary flow); 50 mg/L x 1 m3 = 50 g: the primary COD only, once.
    expect(lines).toEqual([{ enterprise: 'e1', pollutant: 'w01018', milligrams: 50_000n, samples: 1, flaggedSamples: 0, leftOut: {}, missingSamples: 0 }]);
  });


  it('charges concentration x flow x interval: 50 mg/L at 360 m3/h for 10 s is 50 g (50,000 mg)', () => {
    const lines = computeLoads({
      readings: [r('d1', 'e1', 'w00000', 360, 0), r('d1', 'e1', 'w01018', 50, 0), r('d1', 'e1', 'w01001', 7.2, 0)],
      sampleIntervalMs: () => 10_000,
    });
    // 360 m3/h x 10 s = 1 m3; 50 mg/L x 1 m3 = 50 g. pH carries no load.
    expect(lines).toEqual([{ enterprise: 'e1', pollutant: 'w01018', milligrams: 50_000n, samples: 1, flaggedSamples: 0, leftOut: {} }]);
  });

  it('sums per enterprise across outfalls and rounds once, at the end', () => {
    const readings = [];
    for (let t = 0; t < 3; t += 1) {
      readings.push(r('d1', 'e1', 'w00000', 3.6, t), r('d1', 'e1', 'w21003', 0.4, t)); // 0.001 m3 x 0.4 mg/L = 0.4 mg
      readings.push(r('d2', 'e1', 'w00000', 3600, t), r('d2', 'e1', 'w21003', 0.25, t)); // 1 m3 x 0.25 mg/L = 250 mg
    }
    const [line] = computeLoads({ readings, sampleIntervalMs: () => 1000 });
    // 3 x (0.4 + 250) mg = 751.2 mg -> 751 mg; rounding each sample would give 750.
    expect(line).toMatchObject({ enterprise: 'e1', pollutant: 'w21003', milligrams: 751n, samples: 6 });
  });

  it('counts a concentration without a normal flow beside it as flagged, not as zero load silently', () => {
    const lines = computeLoads({
      readings: [
        r('d1', 'e1', 'w00000', 3600, 0, 'D'),
        r('d1', 'e1', 'w01018', 80, 0),
        r('d1', 'e1', 'w01018', 80, 1), // no flow at ts 1
        r('d1', 'e1', 'w00000', 3600, 2),
        r('d1', 'e1', 'w01018', 80, 2, 'M'),
        r('d1', 'e1', 'w00000', 3600, 3),
        r('d1', 'e1', 'w01018', 80, 3),
      ],
      sampleIntervalMs: () => 1000,
    });
    expect(lines).toEqual([
      { enterprise: 'e1', pollutant: 'w01018', milligrams: 80_000n, samples: 1, flaggedSamples: 3, leftOut: { 'flow-flag:D': 1, 'no-flow': 1, 'flag:M': 1 } },
    ]);
  });

  it('converts units explicitly: 100 L/s is 360 m3/h, and 50,000 ug/L is 50 mg/L', () => {
    const ts = 0;
    const inLitres = { ...r('d1', 'e1', 'w00000', 100, ts), unit: 'L/s' };
    const inMicrograms = { ...r('d1', 'e1', 'w01018', 50_000, ts), unit: 'ug/L' };
    const [line] = computeLoads({ readings: [inLitres, inMicrograms], sampleIntervalMs: () => 10_000 });
    // 360 m3/h x 10 s = 1 m3; 50 mg/L x 1 m3 = 50 g.
    expect(line).toMatchObject({ milligrams: 50_000n, samples: 1, flaggedSamples: 0 });
  });

  it('never guesses a unit it does not know: the sample is left out and named', () => {
    const flow = { ...r('d1', 'e1', 'w00000', 5, 0), unit: 'gal/min' };
    const [line] = computeLoads({ readings: [flow, r('d1', 'e1', 'w01018', 40, 0)], sampleIntervalMs: () => 1000 });
    expect(line).toMatchObject({ milligrams: 0n, samples: 0, flaggedSamples: 1, leftOut: { 'unit:gal/min': 1 } });
  });

  it('counts, for a window, the samples a device should have sent and did not', () => {
    const readings = [0, 1000, 5000].flatMap((ts) => [r('d1', 'e1', 'w00000', 3600, ts), r('d1', 'e1', 'w21003', 2, ts)]);
    const [line] = computeLoads({ readings, sampleIntervalMs: () => 1000, window: { fromMs: 0, toMs: 10_000 } });
    expect(line).toMatchObject({ samples: 3, missingSamples: 7 });
  });
});
