/**
 * pH outside the permitted range (6-9 by default, GB 8978-1996): a rule, not
 * a statistic, so fitting learns nothing. Score = 1 + how far outside, in pH units.
 */
import type { Alert, Detector, OutfallSeries } from './detector.js';
import { CHANNELS, DetectionError } from './detector.js';
import { findRuns, runsToAlerts } from './runs.js';

export interface PhRangeDetectorOptions {
  readonly low: number;
  readonly high: number;
  /** The pH channel's name. */
  readonly channel: string;
  /** Consecutive out-of-range samples needed before alerting. */
  readonly minSamples: number;
}

export const defaultPhRangeOptions: PhRangeDetectorOptions = { low: 6, high: 9, channel: CHANNELS.ph, minSamples: 1 };

export class PhRangeDetector implements Detector {
  readonly name = 'ph-range';
  private readonly options: PhRangeDetectorOptions;

  constructor(options: Partial<PhRangeDetectorOptions> = {}) {
    this.options = { ...defaultPhRangeOptions, ...options };
    if (!(this.options.low < this.options.high)) throw new DetectionError('BAD_OPTION', `low (${this.options.low}) must be below high (${this.options.high})`);
  }

  async fit(_train: readonly OutfallSeries[]): Promise<void> {}

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const { low, high, channel } = this.options;
    const alerts: Alert[] = [];
    for (const s of test) {
      const ph = s.channels[channel];
      if (!ph) continue;
      const ratio = ph.map((v) => (v < low ? 1 + (low - v) : v > high ? 1 + (v - high) : 0));
      const runs = findRuns(ratio, { maxGap: 0, minSamples: this.options.minSamples });
      alerts.push(
        ...runsToAlerts(s, 'ph-out-of-range', runs, (run) => {
          const readings = [];
          for (let i = run.first; i <= run.last && readings.length < 20; i += 1) {
            readings.push({ ts: s.ts[i]!, channel, value: ph[i]!, expected: ph[i]! < low ? low : high });
          }
          return { detector: this.name, threshold: ph[run.peak]! < low ? low : high, readings, note: `pH outside ${low}-${high} (peak ${Number(ph[run.peak]!.toFixed(2))})` };
        }),
      );
    }
    return alerts;
  }
}
