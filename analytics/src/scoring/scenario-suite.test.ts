/**
 * The detectors against firmware-sim's labelled scenario suite (fixed seeds):
 * each illegal-discharge pattern found with event F1 >= 0.9 and a median
 * delay of at most 3 samples, and at most one false alarm per outfall-week of
 * clean data; each alert names the pattern and carries evidence.
 */
import { scoreSuitePattern } from './suite-report.js';
import type { SuitePattern } from '@qingliu/firmware-sim';

// Smaller than the reported suite (analytics/dist/cli/suite.js) to keep the test run short.
const SIZE = { outfalls: 3, days: 18 } as const;

const NAMED: Record<Exclude<SuitePattern, 'clean'>, string> = {
  spike: 'spike',
  'bypass-dump': 'bypass-dump',
  dilution: 'dilution',
  flatline: 'flatline',
  replay: 'replay',
  'ph-excursion': 'ph-out-of-range',
};

describe('scenario suite', () => {
  it.each(Object.keys(NAMED) as Exclude<SuitePattern, 'clean'>[])('%s: event F1 >= 0.9, median delay <= 3 samples, <= 1 false alarm per outfall-week', async (pattern) => {
    for (const seed of [11]) {
      const r = await scoreSuitePattern({ pattern, seed, ...SIZE });
      expect(r.scores.event.labelled).toBe(SIZE.outfalls * 3);
      expect(r.scores.event.f1).toBeGreaterThanOrEqual(0.9);
      expect(r.scores.medianDelaySamples).not.toBeNull();
      expect(r.scores.medianDelaySamples!).toBeLessThanOrEqual(3);
      expect(r.falseAlarmsPerOutfallWeek).toBeLessThanOrEqual(1);
      // Each detected label is named for what it is by at least one overlapping alert.
      const named = r.alerts.filter((a) => a.kind === NAMED[pattern]);
      expect(named.length).toBeGreaterThanOrEqual(r.scores.event.detectedLabels);
      for (const a of named) {
        expect(a.evidence.note.length).toBeGreaterThan(20);
        expect(a.evidence.readings.length).toBeGreaterThan(0);
      }
    }
  }, 60_000);

  it('clean data: at most one false alarm per outfall-week', async () => {
    const r = await scoreSuitePattern({ pattern: 'clean', seed: 13, outfalls: 4, days: 28 });
    expect(r.cleanOutfallWeeks).toBeGreaterThan((4 * 28 * 0.3) / 7 - 0.1);
    expect(r.falseAlarmsPerOutfallWeek).toBeLessThanOrEqual(1);
  }, 60_000);
});
