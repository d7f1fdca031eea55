/**
 * Flatline detector (tampering, a frozen analyzer or data logger): values
 * that repeat, exactly, for longer than chance explains. On the fitting part
 * each channel's repeat rate p (how often a sample equals the one before) is
 * learned; at each sample, the channels in a repeat of length L contribute
 * (L - 1) log10 p, the log-probability that noise alone repeated them so. A
 * frozen register block repeats every channel at once, which noise never
 * does, so it is found a sample or two in; a single coarse channel needs a
 * long repeat. The threshold is the rarer of `maxLog10Chance` and the rarest
 * joint repeat seen while fitting times a margin, so the fitting part itself
 * would raise no alarm. Alerts start where the statistic crosses it (when an
 * online detector would fire); the evidence gives where each repeat began.
 */
import type { Alert, Detector, OutfallSeries } from './detector.js';
import { DetectionError, fittedFor } from './detector.js';
import { findRuns, runsToAlerts } from './runs.js';
import { WarmupStore } from './warmup.js';

export interface FlatlineDetectorOptions {
  /** Shortest repeat (samples) a channel counts with: 2 is one sample equal to the one before. */
  readonly minRun: number;
  /** The fitted threshold is the rarest log10 chance seen while fitting times this margin. */
  readonly margin: number;
  /** Alert only on repeats rarer than this (log10 of the chance that noise made them). */
  readonly maxLog10Chance: number;
  /** Values closer than this count as repeated (0: exactly equal, as a frozen register reads). */
  readonly tolerance: number;
  /** Channels to watch; empty: every channel. */
  readonly channels: readonly string[];
}

export const defaultFlatlineOptions: FlatlineDetectorOptions = { minRun: 2, margin: 1.5, maxLog10Chance: -8, tolerance: 0, channels: [] };

/** Length of the repeat each sample ends (1 for a value that differs from the one before). */
export function repeatLengths(values: readonly number[], tolerance: number): number[] {
  const out: number[] = new Array<number>(values.length).fill(0);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const prev = i > 0 ? values[i - 1]! : Number.NaN;
    out[i] = Number.isFinite(prev) && Math.abs(v - prev) <= tolerance ? out[i - 1]! + 1 : 1;
  }
  return out;
}

interface OutfallModel {
  /** log10 of each channel's repeat rate (add-one smoothed). */
  readonly log10Rate: ReadonlyMap<string, number>;
  /** Alert where the joint log10 chance falls below this (negative). */
  readonly threshold: number;
}

export class FlatlineDetector implements Detector {
  readonly name = 'flatline';
  private readonly options: FlatlineDetectorOptions;
  private readonly models = new Map<string, OutfallModel>();
  private readonly warmup: WarmupStore;

  constructor(options: Partial<FlatlineDetectorOptions> = {}) {
    this.options = { ...defaultFlatlineOptions, ...options };
    if (!(this.options.minRun >= 2)) throw new DetectionError('BAD_OPTION', `minRun must be >= 2, got ${this.options.minRun}`);
    if (!(this.options.maxLog10Chance < 0)) throw new DetectionError('BAD_OPTION', `maxLog10Chance must be < 0, got ${this.options.maxLog10Chance}`);
    // Enough history to carry a repeat that began before the test part.
    this.warmup = new WarmupStore(10_000);
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    for (const s of train) {
      const log10Rate = new Map<string, number>();
      for (const name of this.watched(s)) {
        const len = repeatLengths(s.channels[name]!, this.options.tolerance);
        let pairs = 0;
        let repeats = 0;
        for (const l of len) {
          if (l >= 2) repeats += 1;
          if (l >= 1) pairs += 1;
        }
        log10Rate.set(name, Math.log10((repeats + 1) / (pairs + 2)));
      }
      const rarest = this.chance(s, log10Rate).reduce((a, b) => Math.min(a, b), 0);
      this.models.set(s.outfall, { log10Rate, threshold: Math.min(this.options.maxLog10Chance, rarest * this.options.margin) });
    }
    this.warmup.remember(train);
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const t of test) {
      const model = fittedFor(this.models, this.name, t.outfall);
      const { series, offset } = this.warmup.extend(t);
      const chance = this.chance(series, model.log10Rate);
      const ratio = chance.map((c, i) => (i >= offset ? c / model.threshold : 0));
      const lengths = new Map([...model.log10Rate.keys()].filter((n) => series.channels[n]).map((n) => [n, repeatLengths(series.channels[n]!, this.options.tolerance)] as const));
      const runs = findRuns(ratio, { maxGap: 0, minSamples: 1 }, offset);
      alerts.push(
        ...runsToAlerts(series, 'flatline', runs, (run) => {
          const frozen = [...lengths].filter(([, len]) => len[run.last]! >= this.options.minRun);
          const readings = frozen.map(([channel, len]) => {
            const firstOfRepeat = run.last - len[run.last]! + 1;
            const before = firstOfRepeat > 0 ? series.channels[channel]![firstOfRepeat - 1]! : Number.NaN;
            return { ts: series.ts[firstOfRepeat]!, channel, value: series.channels[channel]![run.last]!, expected: before };
          });
          const longest = frozen.reduce((m, [, len]) => Math.max(m, len[run.last]!), 0);
          return {
            detector: this.name,
            threshold: model.threshold,
            readings,
            note:
              `${frozen.map(([n]) => n).join(', ')} repeated the same value for up to ${longest} samples; ` +
              `noise repeats them so with a chance of 1 in 10^${Math.round(-chance[run.peak]!)} (alarm beyond 1 in 10^${Math.round(-model.threshold)}); ` +
              'the evidence ts is where each repeat began and expected is the value before it',
          };
        }),
      );
    }
    return alerts;
  }

  /** Per sample: log10 of the chance that noise made the repeats ending there (0: none). */
  private chance(s: OutfallSeries, log10Rate: ReadonlyMap<string, number>): number[] {
    const out = new Array<number>(s.ts.length).fill(0);
    for (const [name, rate] of log10Rate) {
      const values = s.channels[name];
      if (!values) continue;
      const len = repeatLengths(values, this.options.tolerance);
      for (let i = 0; i < len.length; i += 1) if (len[i]! >= this.options.minRun) out[i] = out[i]! + (len[i]! - 1) * rate;
    }
    return out;
  }

  private watched(s: OutfallSeries): string[] {
    const names = Object.keys(s.channels);
    return this.options.channels.length === 0 ? names : names.filter((n) => this.options.channels.includes(n));
  }
}
