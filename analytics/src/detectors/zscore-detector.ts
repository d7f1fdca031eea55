/**
 * Robust z-score detector: each channel of each outfall against a robust
 * baseline, either a trailing window (`rolling`, the detector) or the median
 * and MAD of the whole fitting part (`global`, the simple baseline). A
 * channel's threshold is a high quantile of its own z-scores on the fitting
 * part, times a margin, never below `minZ`.
 */
import type { Alert, Detector, EvidenceReading, OutfallSeries } from './detector.js';
import { DetectionError, fittedFor, MAX_EVIDENCE_READINGS } from './detector.js';
import { MAD_TO_SIGMA, mad, median, quantile, resolution } from '../series/robust-stats.js';
import { rollingZ } from './rolling-z.js';
import { findRuns, runsToAlerts } from './runs.js';
import { WarmupStore } from './warmup.js';

export interface ZScoreDetectorOptions {
  /** `rolling`: trailing median/MAD; `global`: median/MAD of the fitting part. */
  readonly mode: 'rolling' | 'global';
  /** Trailing window, samples (rolling mode). */
  readonly window: number;
  /** Quantile of the fitting part's |z| that sets the threshold (0..1). */
  readonly quantile: number;
  /** The threshold is that quantile times this margin. */
  readonly margin: number;
  /** Lowest threshold, in robust standard deviations. */
  readonly minZ: number;
  /** MAD floor as a fraction of the channel's MAD over the whole fitting part. */
  readonly madFloorFraction: number;
  /** Channels to watch; empty: every channel. */
  readonly channels: readonly string[];
  /** Unflagged samples allowed inside one alert. */
  readonly maxGap: number;
  /** Flagged samples an alert needs (2 trades one sample of delay for fewer one-sample blips). */
  readonly minSamples: number;
}

export const defaultZScoreOptions: ZScoreDetectorOptions = {
  mode: 'rolling',
  // 120 samples and minZ 6: no false alarm in 10 outfall-weeks of clean synthetic data
  // (60 and 5 gave 5 per outfall-week); see README.md.
  window: 120,
  quantile: 0.999,
  margin: 1.2,
  minZ: 6,
  madFloorFraction: 0.05,
  channels: [],
  maxGap: 2,
  minSamples: 1,
};

interface ChannelModel {
  readonly threshold: number;
  readonly madFloor: number;
  readonly median: number;
  readonly mad: number;
}

export class ZScoreDetector implements Detector {
  readonly name: string;
  private readonly options: ZScoreDetectorOptions;
  private readonly models = new Map<string, Map<string, ChannelModel>>();
  private readonly warmup: WarmupStore;

  constructor(options: Partial<ZScoreDetectorOptions> = {}) {
    this.options = { ...defaultZScoreOptions, ...options };
    if (!(this.options.quantile > 0 && this.options.quantile <= 1)) throw new DetectionError('BAD_OPTION', `quantile must be in (0, 1], got ${this.options.quantile}`);
    this.name = `${this.options.mode}-zscore`;
    this.warmup = new WarmupStore(this.options.mode === 'rolling' ? this.options.window : 0);
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    for (const s of train) {
      const perChannel = new Map<string, ChannelModel>();
      for (const name of this.watched(s)) {
        const values = s.channels[name]!;
        const globalMad = mad(values);
        if (!Number.isFinite(globalMad)) continue;
        const madFloor = Math.max(resolution(values), this.options.madFloorFraction * globalMad, 1e-12);
        const base = { threshold: Number.POSITIVE_INFINITY, madFloor, median: median(values), mad: globalMad };
        // First pass holds samples beyond minZ out of the window; the threshold comes from its scores.
        const z = this.scores(values, base, this.options.minZ).z.map(Math.abs);
        const threshold = Math.max(this.options.minZ, quantile(z, this.options.quantile) * this.options.margin);
        perChannel.set(name, { ...base, threshold });
      }
      this.models.set(s.outfall, perChannel);
    }
    this.warmup.remember(train);
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const t of test) {
      const perChannel = fittedFor(this.models, this.name, t.outfall);
      const { series, offset } = this.warmup.extend(t);
      const ratio: number[] = new Array<number>(series.ts.length).fill(0);
      const scored = new Map<string, { z: number[]; expected: number[]; threshold: number }>();
      for (const [name, model] of perChannel) {
        const values = series.channels[name];
        if (!values) continue;
        const { z, expected } = this.scores(values, model, model.threshold);
        scored.set(name, { z, expected, threshold: model.threshold });
        for (let i = offset; i < z.length; i += 1) {
          const r = Math.abs(z[i]!) / model.threshold;
          if (r > ratio[i]!) ratio[i] = r;
        }
      }
      const runs = findRuns(ratio, { maxGap: this.options.maxGap, minSamples: this.options.minSamples }, offset);
      alerts.push(
        ...runsToAlerts(series, 'spike', runs, (run) => {
          const readings: (EvidenceReading & { r: number })[] = [];
          for (const [channel, s] of scored) {
            for (let i = run.first; i <= run.last; i += 1) {
              const r = Math.abs(s.z[i]!) / s.threshold;
              if (r >= 1) readings.push({ ts: series.ts[i]!, channel, value: series.channels[channel]![i]!, expected: s.expected[i]!, r });
            }
          }
          readings.sort((a, b) => b.r - a.r);
          const top = readings.slice(0, MAX_EVIDENCE_READINGS).map(({ r: _r, ...e }) => e);
          const channels = [...new Set(readings.map((e) => e.channel))];
          return {
            detector: this.name,
            threshold: Math.min(...channels.map((c) => scored.get(c)!.threshold)),
            readings: top,
            note: `${channels.join(', ')} beyond ${this.options.mode === 'rolling' ? 'the rolling' : 'the fitted'} median by more than the fitted threshold (robust z)`,
          };
        }),
      );
    }
    return alerts;
  }

  private watched(s: OutfallSeries): string[] {
    const names = Object.keys(s.channels);
    return this.options.channels.length === 0 ? names : names.filter((n) => this.options.channels.includes(n));
  }

  private scores(values: readonly number[], model: ChannelModel, holdAt: number): { z: number[]; expected: number[] } {
    if (this.options.mode === 'rolling') return rollingZ(values, { window: this.options.window, madFloor: model.madFloor, holdAt });
    const sigma = MAD_TO_SIGMA * Math.max(model.mad, model.madFloor);
    return { z: values.map((v) => (v - model.median) / sigma), expected: values.map(() => model.median) };
  }
}
